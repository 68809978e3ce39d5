"""The PDF reports (issue 4), read back with pypdf: what a procurement lead signs and a supplier receives.

The fixture tender (tests/fixtures/report/) is the home care sample with hostile and non-ASCII names:
Welsh ŵ ŷ, accents, £, €, en dashes, `<b>` without a close, `<img src=...>`, `&copy`, a bidder with no
contact details and a moderated rationale long enough to run over several pages.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from evaluator import evaluate, load_bids, load_rubric, load_scores
from evaluator.cli import main
from evaluator.report import (Inputs, esc, evaluation_report_pdf, safe_file_stem, settings_json, settings_sha256,
                              summary_file_names)

from .conftest import ROOT, tender_paths

FIX = ROOT / "tests" / "fixtures" / "report"
RUBRIC, BIDS, SCORES = FIX / "rubric.yaml", FIX / "bids", FIX / "bids" / "scores.csv"
HOSTILE = [
    "Gofal Tŷ Ŵyn Cyf – Apex & <b>Partners",
    'Café Résumé Soins <img src="http://127.0.0.1:9/x.png"> &copy Ltd',
    '=HYPERLINK("http://evil.example","Budget") Home Support',
    "Easton Homecare Partnership <script>alert(1)</script>",
    "Riverside Care Co-operative € Ltd",
]
LONG_SENTENCE = "The panel read every part of the response and weighed it against the descriptors;"


def pdf_text(path_or_bytes) -> str:
    """All the text of a PDF with runs of white space collapsed (table cells wrap lines)."""
    import io
    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    reader = PdfReader(src)
    pages = []
    for p in reader.pages:  # without the running header and page number, which interrupt text split over pages
        lines = [ln for ln in (p.extract_text() or "").splitlines()
                 if not re.fullmatch(r"\s*Page \d+\s*", ln) and " · " not in ln[:40]]
        pages.append(" ".join(" ".join(lines).split()))
    return " ".join(pages)


def flat(s: str) -> str:
    return " ".join(s.split())


def has(text: str, expected: str) -> bool:
    """`expected` in `text`, ignoring white space: a token wider than its column (a long name without
    spaces) is broken across lines in the PDF, which is right, and pypdf reads the break as a space."""
    return re.sub(r"\s+", "", expected) in re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def fixture_ev():
    r = load_rubric(RUBRIC)
    b = load_bids(BIDS, r).require_valid()
    return evaluate(r, b, load_scores(SCORES, r, b.bidders))


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports") / "out"
    code = main(["report", "--rubric", str(RUBRIC), "--bids", str(BIDS), "--scores", str(SCORES), "--out", str(out)])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def report_text(report_dir):
    return pdf_text(report_dir / "evaluation_report.pdf")


@pytest.fixture(scope="module")
def summaries(report_dir, fixture_ev):
    names = summary_file_names(fixture_ev.results["bidder"].tolist())
    return {b: pdf_text(report_dir / n) for b, n in names.items()}


# ------------------------------------------------------------------------------------------ the report set
def test_cli_writes_the_report_set_with_safe_file_names(report_dir, fixture_ev):
    files = sorted(p.name for p in report_dir.iterdir())
    assert "evaluation_report.pdf" in files and "results.xlsx" in files
    summaries = [f for f in files if f.startswith("assessment_summary_")]
    assert len(summaries) == len(fixture_ev.results) == 6
    assert all(re.fullmatch(r"assessment_summary_[a-z0-9_]+\.pdf", f) for f in summaries)
    assert "assessment_summary_gofal_ty_wyn_cyf_apex_b_partners.pdf" in summaries


def test_safe_file_stems_never_escape_the_folder_and_stay_unique():
    taken: set = set()
    stems = [safe_file_stem(n, taken) for n in ["../../etc/passwd", "A/B", "A B", "a-b", "", "ŵŷ"]]
    assert all("/" not in s and "." not in s and s for s in stems)
    assert len(set(stems)) == len(stems)
    assert stems[0] == "etc_passwd"
    names = summary_file_names(["Acme Ltd", "ACME LTD", "Acme, Ltd."])
    assert len(set(names.values())) == 3


def test_every_name_renders_literally_in_the_evaluation_report(report_text):
    for name in HOSTILE + ["Northtown Community Care CIC"]:
        assert has(report_text, name), name
    assert "Adult domiciliary care – North district (Gwasanaeth gofal <i>cartref</i>) & €" in report_text
    assert "Cyngor Sir Gŵyr & Northshire <b>Council" in report_text
    assert "Siân Ŵyn-Rhŷs" in report_text            # an evaluator's name
    assert "£4,800,000" in report_text


def test_injected_markup_in_rationales_prints_literally(report_text, summaries):
    assert '<b>Good</b> & <img src="http://127.0.0.1:9/y.png"> &copy –' in report_text
    assert '=HYPERLINK("http://evil.example","see")' in report_text
    assert "-2 steps below; costs in € and £ –" in report_text
    gofal = summaries[HOSTILE[0]]
    assert '<b>Good</b> & <img src="http://127.0.0.1:9/y.png"> &copy –' in gofal


def test_no_file_or_url_is_opened_because_of_what_a_bid_says(fixture_ev, monkeypatch):
    import reportlab.lib.utils as rl_utils
    import reportlab.platypus.paraparser as paraparser

    def refuse(*a, **k):
        raise AssertionError(f"reportlab tried to open {a!r}")
    monkeypatch.setattr(rl_utils, "open_for_read", refuse)
    monkeypatch.setattr(paraparser, "ImageReader", refuse, raising=False)
    data = evaluation_report_pdf(fixture_ev, Inputs(scores_path=SCORES))
    assert b"/URI" not in data and b"/Subtype /Image" not in data


def test_the_escape_keeps_text_as_text():
    assert esc('<b>&copy <img src="x">') == '&lt;b&gt;&amp;copy &lt;img src="x"&gt;'
    assert esc("a\nb\x07c") == "a<br/>bc"
    assert esc(None) == "" and esc(float("nan")) == ""


def test_cover_states_method_weights_scale_and_thresholds(report_text, fixture_ev):
    for c in fixture_ev.rubric.spec.criteria:
        assert f"{c.id} {c.name}" in report_text
    assert "Minimum score 40: a bid scoring below it is disqualified" in report_text
    assert "80 Good: addresses every part of the question" in report_text
    assert "Official lens for the award design" in report_text
    assert "Procurement Act 2023, s98" in report_text


def test_ranking_and_totals_match_the_engine(report_text, fixture_ev):
    r = fixture_ev.results
    for b in r.itertuples(index=False):
        rank = str(int(b.rank)) if b.eligible else "DQ"
        assert has(report_text, f"{rank} {b.bidder} {b.total:.2f} {b.price_score:.2f} {b.quality_score:.2f}")
    assert "The winner changes with the lens: Northtown Community Care CIC under the design lens" in report_text


def test_figures_against_design_has_the_three_charts(report_text):
    i = report_text.index("Figures as claimed against the buyer's design")
    part = report_text[i:i + 6000]
    for title in ("Claimed £ against credited £", "Ranks under both lenses",
                  "Attainment of each outcome's target (design lens)"):
        assert title in part
    assert "claimed £ (figures lens)" in part and "Figures lens rank" in part and "£1.0m" in part


def test_one_section_per_bid_with_scores_commitments_flags_and_walk(report_text, fixture_ev):
    for n, b in enumerate(fixture_ev.results.sort_values("total", ascending=False)["bidder"], start=1):
        assert f"Bid {n}: " in report_text
    for _, s in fixture_ev.scores.iterrows():
        assert flat(s["rationale"])[:80] in report_text
    assert report_text.count("From claimed £ to credited £") == len(fixture_ev.results)
    assert "evaluators' scores for Q1 range from 20 to 80, 3 scale steps apart" in report_text  # SV205
    for code in fixture_ev.flags["code"].unique():
        assert code in report_text


def test_walk_ends_at_the_credited_value(report_text, fixture_ev):
    from evaluator.formatting import gbp
    for b in fixture_ev.results.itertuples(index=False):
        assert f"Credited (validated £) {gbp(b.credited_value)}" in report_text


def test_fingerprints_match_the_files_and_the_settings(report_text, fixture_ev):
    files = [RUBRIC, FIX / "proxies" / "public_2025.csv", SCORES] + sorted(p for p in BIDS.iterdir() if p.name != "scores.csv")
    for f in files:
        assert hashlib.sha256(f.read_bytes()).hexdigest() in report_text, f.name
    inputs = Inputs(scores_path=SCORES, options={"skip_invalid": False})
    sj = settings_json(fixture_ev, inputs)
    assert settings_sha256(fixture_ev, inputs) == hashlib.sha256(sj.encode("utf-8")).hexdigest()
    assert settings_sha256(fixture_ev, inputs) in report_text


def test_the_settings_fingerprint_changes_with_a_setting(fixture_ev):
    a = settings_sha256(fixture_ev, Inputs(options={"skip_invalid": False}))
    assert a != settings_sha256(fixture_ev, Inputs(options={"skip_invalid": True}))


def test_appendix_lists_proxies_with_sources_and_licences(report_text, fixture_ev):
    i = report_text.index("B. Proxy table")
    part = report_text[i:]
    for code in fixture_ev.rubric.proxies.index if fixture_ev.rubric.proxies.index.name == "code" else fixture_ev.rubric.proxies["code"]:
        assert has(part, code)
    assert "Open Government Licence v3.0" in part


# ------------------------------------------------------------------------------------------ reg 31 summaries
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


# ------------------------------------------------------------------------------------------ shipped samples
@pytest.mark.parametrize("tender", ["home_care_north", "schools_fm"])
def test_sample_tenders_report_with_totals_matching_the_engine(tender, tmp_path):
    rubric, bids, scores = tender_paths(tender)
    assert main(["report", "--rubric", str(rubric), "--bids", str(bids), "--scores", str(scores),
                 "--out", str(tmp_path)]) == 0
    r = load_rubric(rubric)
    b = load_bids(bids, r).require_valid()
    ev = evaluate(r, b, load_scores(scores, r, b.bidders))
    names = summary_file_names(ev.results["bidder"].tolist())
    for row in ev.results.itertuples(index=False):
        text = pdf_text(tmp_path / names[row.bidder])
        assert f"Total (out of 100) {row.total:.2f}" in text


# ------------------------------------------------------------------------------------------ self-assessment
def test_check_pdf_writes_the_self_assessment(tmp_path, capsys):
    out = tmp_path / "self.pdf"
    bid = BIDS / "carewell_services.json"
    assert main(["check", "--rubric", str(RUBRIC), "--bid", str(bid), "--pdf", str(out)]) == 0
    text = pdf_text(out)
    assert has(text, HOSTILE[1])
    assert "Self-assessment of a draft bid" in text and "From claimed £ to credited £" in text
    assert "SV101" in text and "Use a measure code from the buyer's proxy table" in text
    assert "Social-value marks you could expect" in text


# ------------------------------------------------------------------------------------------ bad input
def _run(argv, capsys):
    code = main(argv)
    return code, capsys.readouterr().err.strip().splitlines()


def test_out_that_is_a_file_is_bad_input(tmp_path, capsys):
    f = tmp_path / "file.txt"
    f.write_text("x")
    code, err = _run(["report", "--rubric", str(RUBRIC), "--bids", str(BIDS), "--out", str(f)], capsys)
    assert code == 2 and len(err) == 1 and "--out" in err[0] and "is a file" in err[0]


def test_out_that_cannot_be_created_is_bad_input(tmp_path, capsys):
    f = tmp_path / "file.txt"
    f.write_text("x")
    code, err = _run(["report", "--rubric", str(RUBRIC), "--bids", str(BIDS), "--out", str(f / "sub")], capsys)
    assert code == 2 and len(err) == 1 and "cannot write into this folder" in err[0]


def test_report_with_a_bad_rubric_is_bad_input(tmp_path, capsys):
    code, err = _run(["report", "--rubric", str(tmp_path / "missing.yaml"), "--bids", str(BIDS),
                      "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and err and "file not found" in err[0]


@pytest.mark.parametrize("name", ["self.txt", "missing_folder/self.pdf"])
def test_check_pdf_bad_path_is_bad_input(tmp_path, capsys, name):
    code, err = _run(["check", "--rubric", str(RUBRIC), "--bid", str(BIDS / "carewell_services.json"),
                      "--pdf", str(tmp_path / name)], capsys)
    assert code == 2 and len(err) == 1 and "--pdf" in err[0]
    assert not (tmp_path / name).exists()


# ------------------------------------------------------------------------------------------ other shapes of tender
def test_report_json_lists_the_files(tmp_path, capsys):
    import json
    code = main(["report", "--rubric", str(RUBRIC), "--bids", str(BIDS), "--out", str(tmp_path / "o"), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["tender"] == "HC-2026-014"
    assert Path(doc["evaluation_report"]).is_file() and Path(doc["workbook"]).is_file()
    assert set(doc["assessment_summaries"]) == set(HOSTILE) | {"Northtown Community Care CIC"}
    assert all(Path(p).is_file() for p in doc["assessment_summaries"].values())


def test_without_scores_the_summaries_say_the_criteria_were_not_scored(tmp_path):
    assert main(["report", "--rubric", str(RUBRIC), "--bids", str(BIDS), "--out", str(tmp_path)]) == 0
    text = pdf_text(tmp_path / summary_file_names(["Northtown Community Care CIC"])["Northtown Community Care CIC"])
    assert "This criterion was not scored (0 marks)." in text
    report = pdf_text(tmp_path / "evaluation_report.pdf")
    assert "evaluator scores" not in report.split("C. Fingerprints")[1].split("Settings")[0]


def test_figures_lens_official_explains_marks_by_claimed_value(tmp_path):
    rubric = tmp_path / "figures.yaml"
    rubric.write_text(RUBRIC.read_text(encoding="utf-8").replace("lens: design", "lens: figures"), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["report", "--rubric", str(rubric), "--proxies", str(FIX / "proxies" / "public_2025.csv"),
                 "--bids", str(BIDS), "--scores", str(SCORES), "--out", str(out)]) == 0
    r = load_rubric(rubric, proxies_path=FIX / "proxies" / "public_2025.csv")
    b = load_bids(BIDS, r).require_valid()
    ev = evaluate(r, b, load_scores(SCORES, r, b.bidders))
    assert ev.official_lens == "figures"
    names = summary_file_names(ev.results["bidder"].tolist())
    for row in ev.results.itertuples(index=False):
        text = pdf_text(out / names[row.bidder])
        assert f"Total (out of 100) {row.total:.2f}" in text
        assert "against the highest eligible claim" in text
    report = pdf_text(out / "evaluation_report.pdf")
    assert "Ranking under the official (figures) lens" in report
    assert "Official lens for the award figures" in report
