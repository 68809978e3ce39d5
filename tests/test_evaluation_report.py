"""The evaluation report (PDF), read back with pypdf: what a procurement lead signs."""
from __future__ import annotations

from evaluator import evaluate, load_bids, load_rubric, load_scores
from evaluator.cli import main
from evaluator.report_set import summary_file_names

from .report_fixture import BIDS, FIX, HOSTILE, RUBRIC, SCORES, flat, has, pdf_text
from .report_fixture import fixture_ev, report_dir, report_text, summaries  # noqa: F401 - fixtures


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


def test_appendix_lists_proxies_with_sources_and_licences(report_text, fixture_ev):
    i = report_text.index("B. Proxy table")
    part = report_text[i:]
    for code in fixture_ev.rubric.proxies.index if fixture_ev.rubric.proxies.index.name == "code" else fixture_ev.rubric.proxies["code"]:
        assert has(part, code)
    assert "Open Government Licence v3.0" in part


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


def test_documents_name_each_file_as_given_and_quote_no_command_line(report_dir, report_text, summaries):
    """Issue 19: the report's "Bid file" row and its fingerprints showed the path the server read the file
    from (an upload sits in a temporary folder), the appendix quoted `sha256sum FILE` and the summaries gave
    targets as "30 fte_year". A document names a file by the name it was given, says in words how to check
    it, and gives units in words."""
    from .conftest import ROOT
    squeezed = report_text.replace(" ", "")
    assert str(ROOT).replace(" ", "") not in squeezed and "/tmp/" not in squeezed
    assert "Bid file northtown_community_care.yaml" in report_text
    assert "bid northtown_community_care.yaml" in report_text          # the fingerprints table, by name
    assert "python -m" not in report_text and "sha256sum FILE" not in report_text
    assert "any SHA-256 tool" in report_text
    read = report_text[:report_text.index("Settings (the rubric as read")]  # not the fingerprinted settings JSON
    assert "30 FTE-years" in read and "fte_year" not in read and "apprentice_year" not in read
    for text in summaries.values():
        assert "30 FTE-years" in text and "12 apprentice-years" in text and "fte_year" not in text


def test_flags_are_named_in_words_with_the_code_after(report_text, summaries, fixture_ev):
    """Issue 19: a flag's name in plain English first, its code as the secondary detail, as the pages and the
    command line say it ("Below a minimum score (SV203)")."""
    from evaluator.flags import flag_label, flag_words
    for code in set(fixture_ev.flags["code"]):
        assert has(report_text, flag_label(code)), code
    apex = next(t for b, t in summaries.items() if "Apex" in b)
    for code in set(fixture_ev.flags.loc[fixture_ev.flags["bidder"].str.contains("Apex"), "code"]) - {"SV205", "SV206"}:
        assert has(apex, f"{flag_words(code)} ({code},"), code
