"""The app on real tenders (issue 16, DESIGN.md 9), driven by AppTest: a tender with lots loaded from files on
the Tender page (and refused, with a message in place, when its scores have no lot or a bid names a lot the
tender does not have); the Score and Moderation pages showing the criteria as a tree, each question on its own
scale and a pass/fail question as Pass or Fail; Results, Figures vs design and Reports one lot at a time with
the lot picker, and the award across lots (who won each lot, who the limit passed over, and why); price per
quality point with its quality points and £ per point."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
import yaml

from evaluator import load_bids, load_rubric, load_scores
from evaluator.workspace import Workspace
from tests.apptest import APP, click, messages, ok, table, unescape, upload, load_uploaded
from tests.conftest import tender_paths
from tests.test_workspace_lots import ASHBY, CRESTLINE, KINGSFORD, MERIDIAN, WESTVALE, lotted_tender

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest
GARETH = "Gareth Lloyd"  # an evaluator of the lotted tender (schools_fm's panel)


def engine(rubric: Path, bids: Path, scores: Path):
    from evaluator.lots import evaluate_tender
    r = load_rubric(rubric)
    b = load_bids(bids, r).require_valid()
    return evaluate_tender(r, b, load_scores(scores, r, b.bidders))


@pytest.fixture
def tender(tmp_path):
    return lotted_tender(tmp_path / "tender")


def opened(tender, page: str | None = None, lots: bool = True, evaluator: str | None = None):
    """The app opened on the lotted tender's workspace (as `workspace init` makes it; the app reopens what was
    open last), on `page`; as the demonstration's evaluator persona `evaluator` (declared no conflict), else
    its lead."""
    rubric, bids, scores = tender
    home = Path(os.environ["SOCIAL_VALUE_HOME"])
    ws = Workspace.create(home / "lots.sqlite", rubric, bids, scores_path=scores)
    (home / "last_opened.json").write_text(json.dumps({"workspace": str(ws.path)}), encoding="utf-8")
    at = AppTest.from_file(APP, default_timeout=90)
    if evaluator:
        from evaluator.panel import EVALUATOR, demonstration
        ws.declare(demonstration(evaluator, EVALUATOR), False)
        at.session_state["sv_persona"] = (evaluator, EVALUATOR)
    at.run()
    ok(at)
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
        ok(at)
    return at


def options_of(editor) -> list[str]:
    """The choices a data editor's score column offers."""
    import json as _json
    config = _json.loads(editor.proto.columns)
    return config["score"]["type_config"]["options"]


def shown(at) -> str:
    parts = [df.value.to_csv() for df in at.dataframe]
    for kind in ("markdown", "caption", "text", "warning", "success", "info", "error", "subheader"):
        parts += [unescape(str(getattr(e, "value", ""))) for e in getattr(at, kind)]
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------ Tender page

def test_a_lotted_tender_loads_from_files_on_the_tender_page(tender):
    rubric, bids, scores = tender
    at = AppTest.from_file(APP, default_timeout=90).run()
    upload(at, "up_rubric", rubric)
    upload(at, "up_bids", sorted(bids.iterdir()))
    upload(at, "up_scores", scores)
    load_uploaded(at)
    ok(at)
    assert not messages(at, "warning"), messages(at, "warning")
    lots = table(at, {"Lot", "Title", "Contract value", "Bids"}).set_index("Lot")
    assert lots.loc["L1", "Bids"] == "3" and lots.loc["L2", "Bids"] == "3"
    assert lots.loc["L2", "Contract value"] == "£4,500,000"
    bid_table = table(at, {"Lot", "Bidder", "Price"})
    assert sorted(bid_table.loc[bid_table["Bidder"] == WESTVALE, "Lot"]) == ["L1", "L2"]
    per = table(at, {"Evaluator", "Lot", "Scores"})
    assert set(per["Lot"]) == {"L1", "L2"}


def test_scores_without_a_lot_for_a_lotted_tender_are_a_message_in_place(tender, tmp_path):
    rubric, bids, scores = tender
    no_lot = tmp_path / "scores.csv"
    pd.read_csv(scores).drop(columns=["lot"]).to_csv(no_lot, index=False)
    at = AppTest.from_file(APP, default_timeout=90).run()
    upload(at, "up_rubric", rubric)
    upload(at, "up_bids", sorted(bids.iterdir()))
    upload(at, "up_scores", no_lot)
    load_uploaded(at)
    ok(at)
    said = "\n".join(messages(at, "warning") + messages(at, "error"))
    assert "scores.csv" in said and "'lot'" in said, said
    assert "Traceback" not in said


def test_a_bid_for_a_lot_the_tender_does_not_have_is_a_message_in_place(tender):
    rubric, bids, _ = tender
    stray = bids / "ashby_district_property_maintenance_L1.yaml"
    stray.write_text(stray.read_text(encoding="utf-8").replace("lot: L1", "lot: L7"), encoding="utf-8")
    at = AppTest.from_file(APP, default_timeout=90).run()
    upload(at, "up_rubric", rubric)
    upload(at, "up_bids", sorted(bids.iterdir()))
    load_uploaded(at)
    ok(at)
    said = "\n".join(messages(at, "warning") + messages(at, "error"))
    assert "ashby_district_property_maintenance_L1.yaml" in said and "L7" in said, said


# ------------------------------------------------------------------------------------------ Score and Moderation

def test_the_score_page_shows_the_tree_own_scales_and_pass_fail(tender):
    at = opened(tender, "score", evaluator=GARETH)
    text = shown(at)
    tree = table(at, {"Criterion", "Points", "Share of its group", "Scored as"})
    assert tree["Criterion"].tolist()[:4] == ["Price", "Quality", "· Technical approach and mobilisation",
                                             "· Health, safety and safeguarding"]
    assert tree.set_index("Code").loc["Q1", "Points"] == "26.25"  # 75% of 35
    assert tree.set_index("Code").loc["PF", "Scored as"].startswith("Pass or Fail")
    assert "**Quality**: 35 points, the sum of its sub-criteria" in text
    lot = at.selectbox(key="score_lot")
    assert lot.value == "L1" and lot.options == ["L1 North schools (£8,000,000)", "L2 Civic buildings (£4,500,000)"]
    editors = {e.key: e for e in at.data_editor}
    assert {"score_editor_Q1", "score_editor_Q2", "score_editor_SVQ", "score_editor_PF"} <= set(editors)
    assert set(editors["score_editor_PF"].value["bidder"]) == {WESTVALE, ASHBY, KINGSFORD}  # lot L1's bids
    # pass/fail offered as Pass and Fail; Q2 on its own scale with its own descriptors
    assert options_of(editors["score_editor_PF"]) == ["Pass", "Fail"]
    assert options_of(editors["score_editor_Q2"]) == ["0 - Unacceptable", "1 - Poor", "2 - Adequate", "3 - Good",
                                                      "4 - Excellent"]
    assert options_of(editors["score_editor_Q1"])[3].startswith("60 - Satisfactory")


def test_a_pass_fail_score_entered_on_the_score_page_is_saved_for_its_lot(tender):
    at = opened(tender, "score", evaluator=GARETH)
    at.selectbox(key="score_lot").set_value("L2").run()
    pf = [e for e in at.data_editor if e.key == "score_editor_PF"][0]
    row = pf.value["bidder"].tolist().index(WESTVALE)
    at.session_state["score_editor_PF"] = {"edited_rows": {row: {"score": "Fail", "rationale": "No certificate"}},
                                           "added_rows": [], "deleted_rows": []}
    at.run()
    ok(at)
    ws = Workspace.open(Path(os.environ["SOCIAL_VALUE_HOME"]) / "lots.sqlite")
    saved = ws.scores().set_index(["bidder", "criterion", "evaluator", "lot"])
    assert saved.loc[(WESTVALE, "PF", GARETH, "L2"), "score"] == 0.0
    assert (WESTVALE, "PF", GARETH, "L1") not in saved.index
    # submitting is refused while any question of any lot has no score from him
    at.button(key="score_submit").click().run()
    ok(at)
    assert any("cannot submit yet" in m and "lot L1" in m for m in messages(at)), messages(at)
    from evaluator.panel import EVALUATOR, demonstration
    me = demonstration(GARETH, EVALUATOR)
    for bidder, criterion, lot in ws.gaps(GARETH):
        ws.set_score(bidder, criterion, GARETH, 1 if criterion == "PF" else ws.criterion_scale(criterion)[-1],
                     "Read in full", lot=lot, by=me)
    # once he submits, the panel's scores of lot L2 show, pass/fail as Pass or Fail
    at.button(key="score_submit").click().run()
    ok(at)
    assert not messages(at), messages(at)
    panel = table(at, {"Bid", "Criterion", GARETH, "Consensus score", "Score used"})
    pf = panel[panel["Criterion"] == "PF"].set_index("Bid")
    assert pf.loc[WESTVALE, GARETH] == "Fail" and pf.loc[WESTVALE, "Consensus score"] == "Pass"
    assert pf.loc[CRESTLINE, "Score used"] == "Fail"
    assert set(panel["Bid"]) == {WESTVALE, CRESTLINE, MERIDIAN}


def test_moderation_reads_pass_fail_as_pass_or_fail_and_records_a_consensus_per_lot(tender):
    at = opened(tender, "moderation")
    at.selectbox(key="mod_lot").set_value("L2").run()
    ok(at)
    side = table(at, {"Bid", "Criterion", "Consensus score", "Status"})
    pf = side[side["Criterion"] == "PF"].set_index("Bid")["Consensus score"]
    assert pf.loc[CRESTLINE] == "Fail" and pf.loc[WESTVALE] == "Pass"
    assert set(side["Bid"]) == {WESTVALE, CRESTLINE, MERIDIAN}  # lot L2's bids only
    at.selectbox(key="mod_cell").set_value((CRESTLINE, "PF")).run()
    score = at.selectbox(key="mod_score_PF")
    assert score.options == ["Pass", "Fail"]
    score.set_value("Pass")
    at.text_area(key="mod_rationale").set_value("Certificate supplied at clarification")
    click(at, "Record consensus").run()
    ok(at)
    ws = Workspace.open(Path(os.environ["SOCIAL_VALUE_HOME"]) / "lots.sqlite")
    saved = ws.scores().set_index(["bidder", "criterion", "evaluator", "lot"])
    assert saved.loc[(CRESTLINE, "PF", "MODERATED", "L2"), "score"] == 1.0
    assert any("consensus Pass" in m for m in messages(at, "success"))


# ------------------------------------------------------------------------------------------ Results, Figures, Reports

def test_results_show_the_award_across_lots_and_each_lot_on_its_own(tender):
    lots_ev = engine(*tender)
    at = opened(tender, "results")
    award = table(at, {"Lot", "Awarded to", "Passed over", "Why"}).set_index("Lot")
    want = lots_ev.award.set_index("lot")
    for lot in ("L1", "L2"):
        assert award.loc[lot, "Awarded to"] == (want.loc[lot, "awarded_to"] or "(not awarded)")
        assert award.loc[lot, "Passed over"] == ", ".join(want.loc[lot, "passed_over"])
    passed = [lot for lot in ("L1", "L2") if award.loc[lot, "Passed over"]]
    assert passed, "the limit of one lot per supplier passes someone over in this tender"
    assert "already holds 1 lot(s)" in award.loc[passed[0], "Why"]
    for lot in ("L1", "L2"):
        at.selectbox(key="results_lot").set_value(lot).run()
        ok(at)
        ev = lots_ev.evaluation(lot)
        results = table(at, {"Rank", "Bidder", "Total"}).set_index("Bidder")
        assert set(results.index) == set(ev.results["bidder"])
        for bidder, total in ev.results.set_index("bidder")["total"].items():
            assert results.loc[bidder, "Total"] == f"{total:.2f}"
        groups = table(at, {"Bidder", "Under a group minimum"})
        assert any(c.startswith("Q Quality") for c in groups.columns)
    at.selectbox(key="results_lot").set_value(passed[0]).run()
    said = "\n".join(messages(at, "warning"))
    winner = lots_ev.evaluation(passed[0]).winner()
    assert f"Lot {passed[0]} is awarded to {want.loc[passed[0], 'awarded_to']}: {winner} ranks first" in said, said
    at.selectbox(key="results_lot").set_value("L2").run()
    dq = table(at, {"Bidder", "Criterion", "Code", "Reason"})
    assert CRESTLINE in set(dq.loc[dq["Code"] == "SV208", "Bidder"])
    pf = table(at, {"Bidder", "PF"}).set_index("Bidder")
    assert pf.loc[CRESTLINE, "PF"] == "Fail"


def test_figures_and_reports_work_per_lot(tmp_path):
    at = opened(lotted_tender(tmp_path / "flat", tree=False), "figures")  # the reports of a tree: reports16
    at.selectbox(key="figures_lot").set_value("L2").run()
    ok(at)
    ranks = table(at, {"Bidder", "Figures rank", "Design rank"})
    assert WESTVALE in set(ranks["Bidder"]) and ASHBY not in set(ranks["Bidder"])
    assert table(at, {"Lot", "Awarded to", "Why"}) is not None
    at.switch_page("app_pages/reports.py").run()
    ok(at)
    assert at.selectbox(key="reports_lot").value == "L2"  # the lot chosen is kept across pages
    buttons = at.get("download_button")
    files = [b.proto.url for b in buttons]  # the documents offered, for that lot
    assert len(buttons) >= 4, files
    text = shown(at)
    assert "Assessment summaries (regulation 31): lot L2" in text


# ------------------------------------------------------------------------------------------ price per quality point

def test_price_per_quality_point_shows_quality_points_and_pounds_per_point(tmp_path):
    rubric, bids, scores = lotted_tender(tmp_path / "ppqp", lots=False)
    spec = yaml.safe_load(rubric.read_text(encoding="utf-8"))
    spec["award"] = "price_per_quality_point"
    spec["criteria"] = [c for c in spec["criteria"] if c["kind"] != "price"]
    spec["criteria"][0]["weight"] = 70  # Quality 70 + SVQ 5 + SV 25: 100 quality points, no price criterion
    spec["criteria"][2]["weight"] = 25
    rubric.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    r = load_rubric(rubric)
    b = load_bids(bids, r).require_valid()
    from evaluator import evaluate
    ev = evaluate(r, b, load_scores(scores, r, b.bidders))
    at = opened((rubric, bids, scores), "results")
    shown_table = table(at, {"Rank", "Bidder", "Quality points", "£ per quality point"}).set_index("Bidder")
    res = ev.results.set_index("bidder")
    for bidder, row in res.iterrows():
        assert shown_table.loc[bidder, "Quality points"] == f"{row['quality_points']:.2f}"
        assert shown_table.loc[bidder, "£ per quality point"] == f"£{row['price_per_point']:,.2f}"
    ranked = res[res["rank"].notna()].sort_values("rank")
    assert ranked["price_per_point"].is_monotonic_increasing  # lowest £ per quality point first
    assert shown_table["Rank"].tolist()[:len(ranked)] == [f"{int(r)}" for r in ranked["rank"]]
    assert any("price per quality point" in c.value for c in at.caption)


# ------------------------------------------------------------------------------------------ Self-assessment

def test_a_supplier_assesses_a_draft_on_its_own_lots_terms(tender, tmp_path):
    _, bids, _ = tender
    at = opened(tender, "self_assessment")
    upload(at, "draft_bid", bids / "westvale_building_services_L2.yaml").run()
    ok(at)
    texts = [t.value for t in at.text]
    assert "Lot: L2 Civic buildings" in texts
    assert any(m.label.startswith("Design lens marks") for m in at.metric)
    no_lot = tmp_path / "draft.yaml"
    no_lot.write_text("\n".join(line for line in (bids / "westvale_building_services_L2.yaml").read_text(
        encoding="utf-8").splitlines() if not line.startswith("lot:")), encoding="utf-8")
    upload(at, "draft_bid", no_lot).run()
    ok(at)
    said = "\n".join(messages(at, "error"))
    assert "draft.yaml" in said and "lot" in said, said


def test_a_flat_rubric_in_lots_keeps_its_one_grid_per_lot(tmp_path):
    at = opened(lotted_tender(tmp_path / "flat", tree=False), "score", evaluator=GARETH)
    before = Workspace.open(Path(os.environ["SOCIAL_VALUE_HOME"]) / "lots.sqlite").scores(evaluator=GARETH)
    at.selectbox(key="score_lot").set_value("L2").run()
    ok(at)
    grid = [e for e in at.data_editor if e.key == "score_editor"][0].value
    assert set(grid["bidder"]) == {WESTVALE, CRESTLINE, MERIDIAN}  # lot L2's bids, every question in one grid
    row = [i for i, (b, c) in enumerate(zip(grid["bidder"], grid["criterion"])) if b == CRESTLINE and c == "Q1"][0]
    at.session_state["score_editor"] = {"edited_rows": {row: {"score": "40 - Weak: partly meets the requirement, "
                                                                        "with gaps", "rationale": "Thin on mobilisation"}},
                                        "added_rows": [], "deleted_rows": []}
    at.run()
    ok(at)
    mine = Workspace.open(Path(os.environ["SOCIAL_VALUE_HOME"]) / "lots.sqlite").scores(evaluator=GARETH)
    changed = mine.merge(before, how="left", indicator=True).query("_merge == 'left_only'")
    assert changed[["bidder", "criterion", "score", "lot"]].values.tolist() == [[CRESTLINE, "Q1", 40.0, "L2"]]
    assert len(mine) == len(before)  # his other scores, in both lots, untouched


def test_reports_of_a_lotted_tender_use_the_whole_tender_documents_when_the_report_functions_draw_them(
        tmp_path, monkeypatch):
    """With report functions that draw a tender with lots whole (report_set.iter_summaries: the reports
    helper's), the page offers one evaluation report and workbook for every lot and the award, and the chosen
    lot's summaries, the lot's awardee marked as the intended award (the award across lots, not the lot's rank)."""
    import evaluator
    from evaluator import report_set
    drawn = []

    def report(ev, inputs=None, **_):
        drawn.append(type(ev).__name__)
        return b"%PDF whole tender"

    def summaries(ev):
        for lot in ev.lots:
            for b in ev.evaluation(lot).results["bidder"]:
                yield lot, b, f"assessment_summary_lot_{lot}_{b[:4]}.pdf", b"%PDF summary"
    monkeypatch.setattr(report_set, "iter_summaries", summaries, raising=False)
    monkeypatch.setattr(evaluator, "evaluation_report_pdf", report)
    monkeypatch.setattr(evaluator, "results_workbook", lambda ev, workspace=None: b"PK workbook")
    at = opened(lotted_tender(tmp_path / "flat", tree=False), "reports")
    at.selectbox(key="reports_lot").set_value("L2").run()
    ok(at)
    assert drawn and set(drawn) == {"LotsEvaluation"}
    labels = [unescape(b.proto.label) for b in at.get("download_button")]
    assert f"{MERIDIAN} (intended award)" in labels and WESTVALE in labels  # Westvale: passed over in L2
    assert ASHBY not in " ".join(labels)  # lot L1's
    assert any("cover every lot and the award" in unescape(c.value) for c in at.caption)
