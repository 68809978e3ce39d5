"""The regulation 31 assessment summaries (PDF), read back with pypdf: what each supplier receives."""
from __future__ import annotations

import re

from pypdf import PdfReader

from evaluator.report_set import summary_file_names

from .report_fixture import HOSTILE, LONG_SENTENCE, has
from .report_fixture import fixture_ev, report_dir, report_text, summaries  # noqa: F401 - fixtures


def test_each_summary_has_every_criterion_with_weight_score_and_marks(summaries, fixture_ev):
    ev = fixture_ev
    scale = ev.scale.set_index(["bidder", "criterion"])
    for b, text in summaries.items():
        row = ev.results.set_index("bidder").loc[b]
        assert has(text, b)
        start = text.index("Your scores")
        part = text[start:text.index("Sub-totals and total", start)]
        for c in ev.rubric.spec.criteria:
            if c.kind == "price":
                m = row["price_score"]
            elif c.kind == "scale":
                m = scale.loc[(b, c.id), "marks"]
            else:
                m = row["design_score"]
            assert re.search(rf"{re.escape(c.id)} {re.escape(c.name)} {c.weight:g} .*?{m:.2f}", part), (b, c.id)
        subtotal = text[text.index("Sub-totals and total"):]
        assert (f"Price {row['price_score']:.2f} Quality {row['quality_score']:.2f} Social value "
                f"{row['social_value_score']:.2f} Total (out of 100) {row['total']:.2f}") in subtotal


def test_summaries_say_how_each_criterion_was_assessed_and_where_criteria_are_published(summaries, fixture_ev):
    for text in summaries.values():
        assert "How it was assessed" in text and "Scores available" in text
        assert "Scores 0, 20, 40, 60, 80, 100 (0–30 marks)" in text
        assert "https://procurement.northshire.gov.uk/tenders/HC-2026-014/award-criteria" in text


def test_summary_gives_the_moderated_rationale_not_the_individual_evaluators(summaries, fixture_ev):
    text = summaries["Northtown Community Care CIC"]
    assert "Panel agreed Good: specific, evidenced patch model" in text
    assert "Helen Marsh" not in text and "Priya Raman" not in text


def test_supplier_details_are_shown_or_plainly_missing(summaries):
    gofal = summaries[HOSTILE[0]]
    assert "Tŷ Ŵyn, 1 Heol y Frenhines, Abertawe SA1 1AA" in gofal
    assert "GB-COH-04587213" in gofal and "bids@apexcaregroup.co.uk" in gofal
    budget = summaries[HOSTILE[2]]
    assert "Unique identifier Not given in the bid" in budget
    assert "Contact address Not given in the bid" in budget
    assert "Contact email Not given in the bid" in budget


def test_winner_and_losers_are_told_the_outcome_and_why(summaries, fixture_ev):
    r = fixture_ev.results.set_index("bidder")
    winner = fixture_ev.winner()
    assert winner == "Northtown Community Care CIC"
    assert "ranked first" in summaries[winner]
    assert "Why the contract is not being awarded to you" not in summaries[winner]
    for b in (HOSTILE[0], HOSTILE[1], HOSTILE[2]):
        t = summaries[b]
        assert "Why the contract is not being awarded to you" in t
        assert f"The winning tender, from {winner}, scored {r.loc[winner, 'total']:.2f} of 100" in t
        gap = r.loc[winner, "total"] - r.loc[b, "total"]
        assert f"{gap:.2f} marks fewer" in t
        assert "The largest difference was on" in t
    dq = summaries[HOSTILE[4]]
    assert "disqualified" in dq and "below the minimum of 40" in dq
    assert "cannot be the most advantageous tender" in dq


def test_a_very_long_rationale_runs_over_pages_without_loss(report_dir, summaries, report_text):
    name = summary_file_names([HOSTILE[0]])[HOSTILE[0]]
    assert len(PdfReader(report_dir / name).pages) >= 4
    text = summaries[HOSTILE[0]]
    assert text.count("Criterion Explanation") >= 3          # the header row repeats on every page
    assert text.replace("Criterion Explanation ", "").count(LONG_SENTENCE) == 700
    assert report_text.count("Criterion Evaluator Score Rationale") >= 3
    assert report_text.replace("Criterion Evaluator Score Rationale ", "").count(LONG_SENTENCE) == 700


def test_a_flat_tender_disqualifying_for_a_mandatory_outcome_says_so(tmp_path):
    """A rubric written to section 4 plus `mandatory: true` on O1 (DESIGN 9): the bid with nothing credited
    towards O1 is told that, not that it missed a minimum score."""
    import shutil
    from evaluator import evaluate, load_bids, load_rubric, load_scores
    from evaluator.assessment_summary import assessment_summary_pdf
    from evaluator.evaluation_report import evaluation_report_pdf
    from .report_fixture import BIDS, FIX, SCORES, pdf_text
    text = (FIX / "rubric.yaml").read_text(encoding="utf-8")
    (tmp_path / "rubric.yaml").write_text(text.replace(
        "    - id: O1\n", "    - id: O1\n      mandatory: true\n"), encoding="utf-8")
    shutil.copytree(FIX / "proxies", tmp_path / "proxies")
    r = load_rubric(tmp_path / "rubric.yaml")
    b = load_bids(BIDS, r).require_valid()
    ev = evaluate(r, b, load_scores(SCORES, r, b.bidders))
    budget = HOSTILE[2]
    summary = pdf_text(assessment_summary_pdf(ev, budget))
    assert "but is disqualified (nothing is credited towards mandatory outcome O1" in summary
    assert "did not reach a minimum score" not in summary
    assert "Your tender is disqualified: nothing is credited towards mandatory outcome O1" in summary
    report = pdf_text(evaluation_report_pdf(ev))
    assert has(report, f"Disqualified: {budget}: nothing is credited towards mandatory outcome O1")
