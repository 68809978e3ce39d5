"""The app, driven by Streamlit's AppTest: every page on the shipped sample, the numbers it shows against the
engine's, uploads (good, partly bad, malformed), score and design edits, and state kept across pages."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from evaluator import evaluate, load_bids, load_rubric, load_scores, self_assess
from evaluator.formatting import gbp, marks, percent
from evaluator.reading import figures_vs_design
from tests.apptest import APP, click, messages, ok, table, unescape, upload, load_uploaded
from tests.conftest import ROOT, tender_paths

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

PAGES = ["tender", "design", "score", "results", "figures", "self_assessment"]


def engine(name: str = "home_care_north"):
    rubric, bids, scores = tender_paths(name)
    r = load_rubric(rubric)
    b = load_bids(bids, r).require_valid()
    return evaluate(r, b, load_scores(scores, r, b.bidders))


def start(page: str | None = None):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    return at


@pytest.fixture(scope="module")
def home_ev():
    return engine("home_care_north")


# ------------------------------------------------------------------------------------------ every page

@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_the_default_sample(page):
    at = start(page)
    ok(at)
    assert len(at.dataframe) + len(at.metric) > 0  # populated, no upload needed


def test_opens_on_the_sample_tender_with_its_numbers(home_ev):
    at = start()
    ok(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Bids loaded"] == str(len(home_ev.results))
    assert metrics["Contract value"] == "£4,800,000"
    assert metrics["Social value weight"] == "30%"
    assert any("HC-2026-014" in t.value for t in at.text)


def offences(at) -> list[str]:
    """Every offence against tests/page_text.py's rules in the page AppTest drew (its main area: the sidebar
    and the demonstration's banner are every page's, the app's own)."""
    from types import SimpleNamespace
    from tests.every_page import Visit, read_page
    visit = Visit("", "", "")
    read_page(SimpleNamespace(main=at.main, sidebar=SimpleNamespace(children={}), exception=at.exception,
                              error=at.error), visit)
    return [f"{element}: {o}" for element, o in visit.offences if "A real panel runs" not in o]


def test_results_page_shows_the_engine_numbers_as_a_commissioner_reads_them(home_ev):
    at = start("results")
    ok(at)
    shown = table(at, {"Rank", "Bidder", "Total", "Price", "Quality", "Social value"}).set_index("Bidder")
    r = home_ev.results.set_index("bidder")
    assert set(shown.index) == set(r.index)
    for bidder, row in r.iterrows():
        assert shown.loc[bidder, "Total"] == marks(row["total"])
        assert shown.loc[bidder, "Price"] == marks(row["price_score"])
        assert shown.loc[bidder, "Social value"] == marks(row["social_value_score"])
        assert shown.loc[bidder, "Claimed £"] == gbp(row["claimed_value"])
        assert shown.loc[bidder, "Credited £"] == gbp(row["credited_value"])
    # the published worked example (README): Northtown first on 70.74, Apex second on 66.88
    assert shown.loc["Northtown Community Care CIC", ["Rank", "Total"]].tolist() == ["1", "70.74"]
    assert shown.loc["Apex Care Group Ltd", ["Rank", "Total", "Figures lens rank"]].tolist() == ["2", "66.88", "1"]
    assert shown.loc["Apex Care Group Ltd", "Claimed £"] == "£2,930,436"
    assert "Fully scored" not in shown.columns          # said only while a bid is not fully scored
    said = [unescape(m.value) for m in at.markdown]
    assert "6 bids: 5 ranked, 1 disqualified; every bid fully scored by the panel." in said
    # the disqualified bid: its ranks in words, and why
    riverside = shown.loc["Riverside Care Co-operative"]
    assert (riverside["Rank"], riverside["Figures lens rank"]) == ("disqualified", "disqualified")
    assert riverside["Disqualified by"] == "Below a minimum score (SV203)"
    dq = table(at, {"Bidder", "Criterion", "Reason"})
    assert dq["Bidder"].tolist() == ["Riverside Care Co-operative"]
    assert "below the minimum of 40" in dq["Reason"].iat[0]
    # the flags table lists every flag the engine raised
    flags = table(at, {"Bidder", "Commitment", "Code", "Severity", "Finding", "Fix"})
    assert len(flags) == len(home_ev.flags)
    assert any(f"First under the official design lens: {home_ev.winner()}" == t.value for t in at.text)
    assert offences(at) == []


def test_results_never_announces_a_winner_before_the_panel_has_scored():
    from app_pages.results import winner_lines
    rubric, bids, _ = tender_paths("home_care_north")
    r = load_rubric(rubric)
    unscored = evaluate(r, load_bids(bids, r).require_valid())          # bids, no scores yet
    lines = winner_lines(unscored)
    assert lines[0].startswith("Provisional ranking: 6 of 6 ranked bids are not fully scored")
    assert "no winner can be announced until the panel has scored" in lines[0]
    assert not any(line.startswith("First under") for line in lines)
    from app_pages.results import results_shown, results_table
    shown, _ = results_shown(results_table(unscored), unscored.other_lens)
    assert set(shown["Fully scored"]) == {"no"}       # the table says which bids the panel has not finished
    from app_pages.results import count_line
    assert count_line(results_table(unscored)) == "6 bids: 6 ranked, 0 disqualified; 6 not fully scored by the panel yet."
    scored = engine()
    assert winner_lines(scored)[0] == f"First under the official design lens: {scored.winner()}"


def test_results_names_each_flag_in_words_first_and_its_code_second(home_ev):
    at = start("results")
    ok(at)
    dq = table(at, {"Bidder", "Criterion", "Reason"})
    assert list(dq.columns[:4]) == ["Bidder", "Criterion", "Flag", "Code"]
    assert dq[["Flag", "Code"]].values.tolist() == [["Below a minimum score", "SV203"]]
    flags = table(at, {"Bidder", "Commitment", "Code", "Severity", "Finding", "Fix"})
    assert "Name" not in flags.columns and not flags["Flag"].str.contains("-").any()
    assert flags.columns.get_loc("Flag") == flags.columns.get_loc("Code") - 1
    from tests.page_text import table_offences
    assert table_offences(flags) == []                  # findings and fixes in words (a file's name aside)
    codes = at.multiselect(key="flag_code")
    assert codes.format_func("SV203") == "Below a minimum score (SV203)"
    assert not any("below-threshold" in str(o) for o in codes.options)


def test_results_flag_filters_and_explain_tables(home_ev):
    at = start("results")
    at.multiselect(key="flag_severity").set_value(["error"]).run()
    at.selectbox(key="flag_bidder").set_value("Apex Care Group Ltd").run()
    ok(at)
    flags = table(at, {"Bidder", "Commitment", "Code", "Severity", "Finding", "Fix"})
    expected = home_ev.flags[(home_ev.flags["severity"] == "error") & (home_ev.flags["bidder"] == "Apex Care Group Ltd")]
    assert sorted(flags["Code"]) == sorted(expected["code"]) and len(flags) == 4  # A3, A4 lack a KPI: the buyer requires one
    at.selectbox(key="explain_bidder").set_value("Apex Care Group Ltd").run()
    ok(at)
    walk = table(at, {"Step", "Amount", "Running total"})
    ref = home_ev.explain("Apex Care Group Ltd")["walk"]
    assert walk["Running total"].tolist() == [gbp(v) for v in ref["running_total"]]
    assert walk["Running total"].iat[-1] == "£369,175" and walk["Amount"].iat[-1] == ""   # the credited £: no step
    assert "−£1,580,292" in walk["Amount"].tolist()                                       # a minus sign before the £
    snake = [c for df in at.dataframe for c in df.value.columns if isinstance(c, str) and "_" in c]
    assert not snake, f"headers in the engine's names, not words: {snake}"
    shown = table(at, {"Criterion", "Part", "Weight", "Working", "Marks"})     # marks read to two decimals
    assert shown["Marks"].iat[-1] == "66.88" and shown["Weight"].iat[0] == "40.00"
    assert "20 × design fraction 34.70% (priority-weighted attainment)" in shown["Working"].tolist()
    assert offences(at) == []


def test_figures_page_ranks_walk_attainment_and_reading(home_ev):
    at = start("figures")
    ok(at)
    ranks = table(at, {"Bidder", "Figures rank", "Design rank", "Claimed £", "Credited £"}).set_index("Bidder")
    r = home_ev.results.set_index("bidder")
    for bidder, row in r.iterrows():
        for lens in ("figures", "design"):
            want = row[f"{lens}_rank"]
            assert ranks.loc[bidder, f"{lens.capitalize()} rank"] == ("disqualified" if pd.isna(want) else f"{int(want)}")
        assert ranks.loc[bidder, "Credited £"] == gbp(row["credited_value"])
    assert ranks.loc["Northtown Community Care CIC", ["Figures rank", "Design rank", "Places gained under design"]
                     ].tolist() == ["2", "1", "+1"]
    assert ranks.loc["Apex Care Group Ltd", ["Places gained under design", "Credited share"]].tolist() == ["−1", "12.6%"]
    assert ranks.loc["Riverside Care Co-operative", "Places gained under design"] == ""
    # default walk: the bid the other lens would pick, ending at its credited £
    assert at.selectbox(key="walk_bidder").value == home_ev.winner("figures") == "Apex Care Group Ltd"
    walk = table(at, {"Step", "£ change", "Running total"})
    assert walk["Step"].iat[0] == "Claimed by the supplier"
    assert walk["Running total"].iat[0] == gbp(r.loc["Apex Care Group Ltd", "claimed_value"]) == "£2,930,436"
    assert walk["Running total"].iat[-1] == gbp(r.loc["Apex Care Group Ltd", "credited_value"]) == "£369,175"
    assert walk["£ change"].iat[1] == "−£1,580,292"
    at.selectbox(key="walk_bidder").set_value("Northtown Community Care CIC").run()
    walk = table(at, {"Step", "£ change", "Running total"})
    assert walk["Running total"].iat[-1] == gbp(r.loc["Northtown Community Care CIC", "credited_value"])
    snake = [c for df in at.dataframe for c in df.value.columns if isinstance(c, str) and "_" in c]
    assert not snake, f"headers in the engine's names, not words: {snake}"
    att = table(at, {"Bidder", "O1 attainment", "O4 attainment"}).set_index("Bidder")
    a = home_ev.attainment.set_index(["bidder", "outcome"])["attainment"]
    assert att.loc["Apex Care Group Ltd", "O1 attainment"] == percent(a.loc[("Apex Care Group Ltd", "O1")], 1) == "45.9%"
    targets = table(at, {"Id", "Name", "Unit", "Target"}).set_index("Id")
    assert targets.loc["O1", "Unit"] == "FTE-years"
    paragraph = [unescape(m.value) for m in at.markdown if "Under the official design lens" in unescape(m.value)]
    assert paragraph == [figures_vs_design(home_ev)]
    assert "Apex Care Group Ltd instead" in paragraph[0]
    assert len(at.get("vega_lite_chart")) == 4  # ranks, £, walk, attainment
    assert offences(at) == []


@pytest.mark.parametrize("sample", ["home_care_north", "schools_fm", "school_catering"])
def test_the_lead_s_pages_read_as_finished_work_on_every_sample(sample):
    """Results (every bid explained), Figures vs design (every bid's walk) and Sensitivity on every shipped
    samples: nothing a commissioner reads breaks the rules of tests/page_text.py."""
    at = start()
    at.selectbox(key="sample_choice").set_value(sample)
    click(at, "Open this sample").run()
    at.session_state["sens_draws"] = 300
    found = []
    for page, picker in (("results", "explain_bidder"), ("figures", "walk_bidder"), ("sensitivity", None)):
        at.switch_page(f"app_pages/{page}.py").run()
        ok(at)
        found += [f"{page}: {o}" for o in offences(at)]
        for bidder in (at.selectbox(key=picker).options if picker else [])[1:]:
            at.selectbox(key=picker).set_value(bidder).run()
            found += [f"{page}, {bidder}: {o}" for o in offences(at)]
    assert found == []


# ------------------------------------------------------------------------------------------ uploads

def test_upload_another_tender_with_a_broken_file_loads_the_good_ones():
    rubric, bids, scores = tender_paths("schools_fm")
    at = start()
    upload(at, "up_rubric", rubric)
    files = [p for p in sorted(bids.iterdir()) if p.suffix in (".yaml", ".json")]
    upload(at, "up_bids", files + [("broken.yaml", b"bidder: [unclosed\nprice: 1\n", "text/yaml")])
    upload(at, "up_scores", scores)
    load_uploaded(at)
    ok(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Bids loaded"] == str(len(files))
    assert metrics["Contract value"] == "£12,500,000"
    warnings = "\n".join(messages(at, "warning"))
    assert re.search(r"^broken\.yaml, line \d+, column \d+: is not valid YAML", warnings, re.M), warnings
    assert "/tmp" not in warnings  # the user's file name, not a temporary path
    at.switch_page("app_pages/results.py").run()
    ok(at)
    ev = engine("schools_fm")
    shown = table(at, {"Bidder", "Total"}).set_index("Bidder")
    for bidder, total in ev.results.set_index("bidder")["total"].items():
        assert shown.loc[bidder, "Total"] == marks(total)


def test_malformed_rubric_upload_changes_nothing(home_ev):
    at = start()
    before = {m.label: m.value for m in at.metric}
    upload(at, "up_rubric", ("bad.yaml", b"tender: {id: X}\ncriteria: []\nweights: 3\n", "text/yaml"))
    upload(at, "up_bids", [tender_paths("schools_fm")[1] / "westvale_building_services.yaml"])
    load_uploaded(at)
    ok(at)
    errors = messages(at)
    assert any(e.startswith("Nothing was loaded") for e in errors)
    assert any(re.search(r"^bad\.yaml, key weights.*unknown key", e, re.M) for e in errors), errors
    assert {m.label: m.value for m in at.metric} == before
    at.switch_page("app_pages/results.py").run()
    shown = table(at, {"Bidder", "Total"}).set_index("Bidder")
    assert shown.loc["Northtown Community Care CIC", "Total"] == marks(home_ev.results.set_index("bidder").loc["Northtown Community Care CIC", "total"])


def test_bids_that_are_all_broken_change_nothing():
    at = start()
    before = {m.label: m.value for m in at.metric}
    upload(at, "up_bids", [("a.json", b"{not json", "application/json"), ("b.yaml", b"- just\n- a list\n", "text/yaml")])
    load_uploaded(at)
    ok(at)
    errors = "\n".join(messages(at))
    assert "a.json, line 1, column 2: is not valid JSON" in errors
    assert "b.yaml: must be a mapping" in errors
    assert "nothing was changed" in errors
    assert {m.label: m.value for m in at.metric} == before


def test_bulk_csv_pair_and_xlsx_bid_upload(tmp_path):
    from bench.bench_bulk import generate
    from evaluator.template import write_template
    import yaml

    generate(tmp_path, n_bids=12, n_rows=150, seed=3)
    rubric_path = tender_paths("home_care_north")[0]
    at = start()
    upload(at, "up_bids", [tmp_path / "bids.csv", tmp_path / "commitments.csv"])
    load_uploaded(at)
    ok(at)
    assert {m.label: m.value for m in at.metric}["Bids loaded"] == "12"
    r = load_rubric(rubric_path)
    expected = evaluate(r, load_bids(tmp_path, r).require_valid())
    at.switch_page("app_pages/results.py").run()
    shown = table(at, {"Bidder", "Total"}).set_index("Bidder")
    for bidder, total in expected.results.set_index("bidder")["total"].items():
        assert shown.loc[bidder, "Total"] == marks(total)

    bid = yaml.safe_load((tender_paths("home_care_north")[1] / "northtown_community_care.yaml").read_text())
    xlsx = write_template(r, tmp_path / "northtown.xlsx", bid=bid)
    at.switch_page("app_pages/tender.py").run()
    upload(at, "up_bids", [xlsx])
    load_uploaded(at)
    ok(at)
    bids = table(at, {"Bidder", "Price", "Commitments", "File"})
    assert bids["Bidder"].tolist() == ["Northtown Community Care CIC"] and bids["File"].tolist() == ["northtown.xlsx"]


def test_scores_upload_alone_good_and_bad(home_ev):
    _, _, scores = tender_paths("home_care_north")
    text = scores.read_text()
    at = start()
    # a bad file (a score off the scale, a missing rationale) changes nothing and says which rows
    bad = text.replace(",80,", ",85,", 1)
    lines = bad.splitlines()
    cells = lines[2].split(",")
    lines[2] = ",".join(cells[:4] + [""])
    upload(at, "up_scores", ("scores.csv", ("\n".join(lines) + "\n").encode(), "text/csv"))
    load_uploaded(at)
    ok(at)
    errors = "\n".join(messages(at))
    assert re.search(r"scores\.csv, row 2, field 'score', value '85'", errors), errors
    assert re.search(r"scores\.csv, row 3, field 'rationale'", errors), errors
    at.switch_page("app_pages/results.py").run()
    shown = table(at, {"Bidder", "Total"}).set_index("Bidder")
    assert shown.loc["Apex Care Group Ltd", "Total"] == marks(home_ev.results.set_index("bidder").loc["Apex Care Group Ltd", "total"])
    # a good file with only panel scores (no MODERATED) is used at once: medians, SV206 info flags
    panel_only = "\n".join(l for l in text.splitlines() if ",MODERATED," not in l) + "\n"
    at.switch_page("app_pages/tender.py").run()
    upload(at, "up_scores", ("scores.csv", panel_only.encode(), "text/csv"))
    load_uploaded(at)
    ok(at)
    at.switch_page("app_pages/results.py").run()
    flags = table(at, {"Bidder", "Criterion", "Code", "Finding"})
    assert "SV206" in set(flags["Code"])


# ------------------------------------------------------------------------------------------ scores

def _seed_scores(at, edits: dict) -> None:
    at.session_state["score_editor"] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}


def as_evaluator(name: str, page: str = "score"):
    """The app as the demonstration's evaluator persona `name` (the sidebar's picker), declared no conflict."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["sv_persona"] = (name, "evaluator")
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    if any(r.key == "coi_choice" for r in at.radio):
        at.radio(key="coi_choice").set_value("I have no conflict of interest")
        click(at, "Record my declaration").run()
    assert not at.exception
    return at


def test_score_edits_are_used_everywhere_and_survive_moving_pages(home_ev):
    """An evaluator's own score, entered on the Score page, is used by every page at once (here on a cell
    with no consensus yet, where the panel's median is the score used)."""
    from app.panel import score_label
    at = as_evaluator("Helen Marsh")
    assert not any(s.label == "I am" for s in at.selectbox)  # who scores is the persona, not a drop-down
    grid = at.data_editor[0].value
    cell = ("Easton Homecare Partnership", "SVQ")  # the one cell with no consensus in the sample
    row = grid.index[(grid["bidder"] == cell[0]) & (grid["criterion"] == cell[1])][0]
    r = home_ev.rubric
    _seed_scores(at, {int(row): {"score": score_label(100.0, r), "rationale": "Re-read: every outcome evidenced"}})
    at.run()
    ok(at)
    # the engine, fed the same change, is the reference
    scores = home_ev.scores.copy()
    hit = (scores["bidder"] == cell[0]) & (scores["criterion"] == cell[1]) & (scores["evaluator"] == "Helen Marsh")
    assert hit.sum() == 1
    scores.loc[hit, ["score", "rationale"]] = [100.0, "Re-read: every outcome evidenced"]
    expected = evaluate(home_ev.rubric, home_ev.bidset, scores).results.set_index("bidder")
    at = start("results")  # the lead's pages
    for page in ("results", "figures", "tender", "results"):
        at.switch_page(f"app_pages/{page}.py").run()
        ok(at)
    shown = table(at, {"Bidder", "Total", "Quality"}).set_index("Bidder")
    assert shown.loc[cell[0], "Quality"] == marks(expected.loc[cell[0], "quality_score"])
    assert shown.loc[cell[0], "Total"] == marks(expected.loc[cell[0], "total"])
    # back on the Score page, the edit is still there, for the same evaluator
    at = as_evaluator("Helen Marsh")
    at.switch_page("app_pages/tender.py").run()
    at.switch_page("app_pages/score.py").run()
    assert at.data_editor[0].value.loc[row, "score"] == score_label(100.0, r)


def test_a_score_without_rationale_is_named_and_not_used_and_submitting_shows_the_panel(home_ev):
    from app.panel import score_label
    at = as_evaluator("Priya Raman")
    grid = at.data_editor[0].value
    q1 = int(grid.index[(grid["bidder"] == "Apex Care Group Ltd") & (grid["criterion"] == "Q1")][0])
    _seed_scores(at, {q1: {"score": score_label(100.0, home_ev.rubric), "rationale": ""}})
    at.run()
    ok(at)
    warnings = "\n".join(messages(at, "warning"))
    assert re.search(r"scores, row \d+ \(Apex Care Group Ltd / Q1 / Priya Raman\), field 'rationale'.*not", warnings), warnings
    assert [d.proto.label for d in at.get("download_button")] == ["Download my scores (scores.csv)"]
    click(at, "Submit my scoring").run()  # the panel appears once Priya has submitted
    ok(at)
    panel = table(at, {"Bid", "Criterion", "Evaluators", "Highest score"})
    q1 = panel[(panel["Bid"] == "Apex Care Group Ltd") & (panel["Criterion"] == "Q1")]
    # the 100 without a rationale is not used (it stays, as typed, in place of her saved 80 until it is complete)
    assert q1["Evaluators"].iat[0] == "2" and q1["Highest score"].iat[0] == "80"
    assert [d.proto.label for d in at.get("download_button")] == ["Download scores.csv"]


# ------------------------------------------------------------------------------------------ design

def _seed_design(at, table_name: str, edits: dict, added: list | None = None) -> None:
    at.session_state[f"design_{table_name}"] = {"edited_rows": edits, "added_rows": added or [], "deleted_rows": []}


def design_check_codes(at) -> set:
    """The codes of the design checks the Design page lists (each check a message ending 'Code SVnnn')."""
    import re
    shown = [unescape(m.value) for kind in ("error", "warning", "info") for m in getattr(at, kind)]
    return {c for m in shown for c in re.findall(r"\nCode (SV\d+)$", m)}


def test_design_weights_not_100_are_refused_never_rescaled(home_ev):
    at = start("design")
    ok(at)
    _seed_design(at, "criteria", {0: {"weight": 35}})  # PRICE 40 -> 35: sum 95
    at.run()
    ok(at)
    errors = "\n".join(messages(at))
    assert "SV301 weights-sum: the criteria weights add up to 95, not 100" in errors
    assert {m.label: m.value for m in at.metric}["Weights add up to"] == "95"
    at.switch_page("app_pages/results.py").run()
    shown = table(at, {"Bidder", "Price"}).set_index("Bidder")
    r = home_ev.results.set_index("bidder")
    assert shown.loc["Budget Home Support Ltd", "Price"] == marks(r.loc["Budget Home Support Ltd", "price_score"]) == "40.00"
    # the draft survives the trip, still refused
    at.switch_page("app_pages/design.py").run()
    assert at.data_editor(key="design_criteria").value["weight"].tolist()[0] == 35
    assert any("SV301" in e for e in messages(at))


def test_valid_design_edit_is_used_everywhere_and_checked_live(home_ev):
    import yaml
    at = start("design")
    # price 40 -> 45 and the social-value criterion 20 -> 5: sums to 100, social value now 15%... then 5%
    _seed_design(at, "criteria", {0: {"weight": 55}, 2: {"weight": 0}, 3: {"weight": 15}})
    at.run()
    ok(at)
    assert any("valid and in use" in s.value for s in at.success)
    # social value now 15%: above the PPN 002 minimum, no SV302
    assert "SV302" not in design_check_codes(at)
    _seed_design(at, "criteria", {0: {"weight": 65}, 2: {"weight": 0}, 3: {"weight": 5}})
    at.run()
    assert "SV302" in design_check_codes(at)
    # the engine with the same weights is the reference
    spec = yaml.safe_load(tender_paths("home_care_north")[0].read_text())
    for c, w in zip(spec["criteria"], (65, 30, 0, 5)):
        c["weight"] = w
    edited = tmp_rubric = None
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        tmp_rubric = Path(d) / "r.yaml"
        tmp_rubric.write_text(yaml.safe_dump(spec))
        edited = load_rubric(tmp_rubric, proxies_path=ROOT / "rubrics" / "proxies" / "public_2025.csv")
    expected = evaluate(edited, home_ev.bidset, home_ev.scores).results.set_index("bidder")
    at.switch_page("app_pages/results.py").run()
    ok(at)
    shown = table(at, {"Bidder", "Total", "Price"}).set_index("Bidder")
    for bidder, row in expected.iterrows():
        assert shown.loc[bidder, "Total"] == marks(row["total"])
    at.switch_page("app_pages/tender.py").run()
    assert {m.label: m.value for m in at.metric}["Social value weight"] == "5%"
    # discard: back to the rubric as loaded
    at.switch_page("app_pages/design.py").run()
    click(at, "Discard edits").run()
    ok(at)
    assert at.data_editor(key="design_criteria").value["weight"].tolist() == [40, 30, 10, 20]
    at.switch_page("app_pages/results.py").run()
    shown = table(at, {"Bidder", "Total"}).set_index("Bidder")
    assert shown.loc["Apex Care Group Ltd", "Total"] == marks(home_ev.results.set_index("bidder").loc["Apex Care Group Ltd", "total"])


def test_design_outcome_edit_and_downloads(home_ev):
    at = start("design")
    _seed_design(at, "outcomes", {0: {"target": 15}})  # halve O1's target: attainment doubles (capped at 1)
    at.run()
    ok(at)
    downloads = at.get("download_button")
    assert len(downloads) == 2
    at.switch_page("app_pages/figures.py").run()
    att = table(at, {"Bidder", "O1 attainment"}).set_index("Bidder")
    before = home_ev.attainment.set_index(["bidder", "outcome"])["attainment"]
    doubled = percent(min(1.0, 2 * before.loc[("Apex Care Group Ltd", "O1")]), 1)
    assert att.loc["Apex Care Group Ltd", "O1 attainment"] == doubled == "91.8%"
    # a bad outcome (target 0) is named, and the last valid design stays in use
    at.switch_page("app_pages/design.py").run()
    _seed_design(at, "outcomes", {0: {"target": 0}})
    at.run()
    errors = "\n".join(messages(at))
    assert "the design" in errors and "target" in errors and "greater than 0" in errors
    at.switch_page("app_pages/figures.py").run()
    att = table(at, {"Bidder", "O1 attainment"}).set_index("Bidder")
    assert att.loc["Apex Care Group Ltd", "O1 attainment"] == doubled


# ------------------------------------------------------------------------------------------ supplier

def test_self_assessment_example_matches_the_engine_and_shows_no_other_bid(home_ev):
    at = start("self_assessment")
    ok(at)
    rubric, bids, _ = tender_paths("home_care_north")
    r = load_rubric(rubric)
    from evaluator import load_bid
    sa = self_assess(r, load_bid(bids / "apex_care_group.yaml", r).require_valid())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Design lens marks (official)"] == f"{sa['design_score']:.2f} / 20"
    assert metrics["Figures lens marks"] == f"{sa['figures_score']:.2f} / 20"
    flags = table(at, {"Commitment", "Flag", "Code", "Severity", "Finding", "Fix"})
    assert sorted(flags["Code"]) == sorted(sa["flags"]["code"])
    assert list(flags.columns[:4]) == ["Commitment", "Flag", "Finding", "Fix"]  # within reach on a phone
    assert "Criterion" not in flags.columns  # no column left empty
    assert not any("_" in str(v) for v in flags[["Finding", "Fix"]].to_numpy().ravel())  # fields named in words
    walk = table(at, {"Step", "£ change", "Running total"}).set_index("Step")
    assert walk.loc["Claimed by the supplier", "Running total"] == "£2,930,436"
    assert walk["£ change"].str.startswith("\u2212£").any() and not walk["£ change"].str.contains("£-").any()
    others = set(home_ev.results["bidder"]) - {"Apex Care Group Ltd"}
    page_text = " ".join([t.value for t in at.text] + [m.value for m in at.markdown] + [c.value for c in at.caption]
                         + [" ".join(map(str, df.value.astype(str).to_numpy().ravel())) for df in at.dataframe])
    assert not any(o in page_text for o in others)


def test_self_assessment_shows_the_range_of_marks_with_its_assumptions():
    """The example draft (Apex Care Group, home_care_north): design lens 6.94 at both ends (the bid as
    drafted); Q1 12.00 (a score of 40, the lowest that keeps the bid in, x 30/100) to 30.00; SVQ 0.00 to
    10.00; total 6.94 + 12 + 0 = 18.94 to 6.94 + 30 + 10 = 46.94 of 60. Apex claims £2,930,436, above
    24% of £4,800,000 (£1,152,000), so its figures lens is 20.00 at both ends."""
    at = start("self_assessment")
    ok(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Total, design lens for social value (price not included)"] == "18.94 to 46.94 / 60"
    rng = table(at, {"Criterion", "Low", "High", "Of", "Marked by"})
    got = {(c, lo, hi) for c, lo, hi in zip(rng["Criterion"], rng["Low"], rng["High"])}
    assert {("Q1 Service delivery model", "12.00", "30.00"), ("SVQ Social value delivery plan", "0.00", "10.00")} <= got
    assert ("SV Social value commitments (design lens)", "6.94", "6.94") in got  # the two SV rows told apart
    assert ("SV Social value commitments (figures lens)", "20.00", "20.00") in got
    assumed = " ".join(m.value for m in at.markdown if "What each range assumes" in m.value).replace("\\", "")
    assert "Q1: the panel's score: if your response scores 40 (Weak) to 100 (Excellent)" in assumed
    assert "a score below 40 disqualifies the bid" in assumed
    assert any("Price is not included" in c.value for c in at.caption)


def test_self_assessment_upload_and_bad_draft(tmp_path):
    at = start("self_assessment")
    upload(at, "draft_bid", tender_paths("home_care_north")[1] / "northtown_community_care.yaml")
    at.run()
    ok(at)
    assert any(t.value == "Bid: Northtown Community Care CIC" for t in at.text)
    at.number_input(key="best_claimed").set_value(3_000_000).run()
    r = load_rubric(tender_paths("home_care_north")[0])
    from evaluator import load_bid
    sa = self_assess(r, load_bid(tender_paths("home_care_north")[1] / "northtown_community_care.yaml", r), 3_000_000)
    assert {m.label: m.value for m in at.metric}["Figures lens marks"] == f"{sa['figures_score']:.2f} / 20"
    upload(at, "draft_bid", ("draft.yaml", b"bidder: X\nprice: -5\ncommitments: 7\n", "text/yaml"))
    at.run()
    ok(at)
    errors = "\n".join(messages(at))
    assert "draft.yaml" in errors and "commitments" in errors and "/tmp" not in errors


# ------------------------------------------------------------------------------------------ safety

HOSTILE = '[Click me](http://evil.example) <b>bold</b> **Care**: "Quotes" Ltd.'


def test_supplier_text_is_never_rendered_as_markup(tmp_path):
    src = (tender_paths("home_care_north")[1] / "budget_home_support.yaml").read_text()
    hostile = src.replace("bidder: Budget Home Support Ltd", "bidder: '" + HOSTILE.replace("'", "''") + "'")
    assert hostile != src
    at = start()
    upload(at, "up_bids", [("hostile.yaml", hostile.encode(), "text/yaml"),
                           tender_paths("home_care_north")[1] / "apex_care_group.yaml"])
    load_uploaded(at)
    ok(at)
    for page in PAGES:
        at.switch_page(f"app_pages/{page}.py").run()
        ok(at)
        for el in list(at.markdown) + list(at.caption) + list(at.error) + list(at.warning) + list(at.info) + list(at.success):
            assert "](http" not in el.value and "<b>" not in el.value, (page, el.value)
    # the name itself is shown intact, as text, where it belongs
    at.switch_page("app_pages/results.py").run()
    assert HOSTILE in set(table(at, {"Bidder", "Total"})["Bidder"])
    at.switch_page("app_pages/figures.py").run()
    reading = [m.value for m in at.markdown if "Under the official" in unescape(m.value)][0]
    assert "\\[Click me\\]\\(http" in reading


def test_an_unexpected_error_is_a_plain_message_not_a_traceback(tmp_path):
    script = tmp_path / "boom.py"
    script.write_text(f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom app.ui import guard\n"
                      "with guard('a test'):\n    raise KeyError('internal detail')\n")
    at = AppTest.from_file(str(script), default_timeout=30).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Something went wrong inside the tool while drawing this part of the page (KeyError). Nothing you loaded "
        "or entered has been changed."]


def test_the_other_sample_opens_on_every_page():
    ev = engine("schools_fm")
    at = start()
    at.selectbox(key="sample_choice").set_value("schools_fm")
    click(at, "Open this sample").run()
    ok(at)
    assert {m.label: m.value for m in at.metric}["Bids loaded"] == str(len(ev.results))
    for page in PAGES[1:]:
        at.switch_page(f"app_pages/{page}.py").run()
        ok(at)
    at.switch_page("app_pages/design.py").run()
    codes = design_check_codes(at)
    assert codes == set(ev.rubric_flags["code"]) and "SV303" in codes
    at.switch_page("app_pages/results.py").run()
    shown = table(at, {"Bidder", "Total"}).set_index("Bidder")
    for bidder, total in ev.results.set_index("bidder")["total"].items():
        assert shown.loc[bidder, "Total"] == marks(total)


def test_a_rubric_without_its_bids_is_refused_and_changes_nothing():
    at = start()
    before = {m.label: m.value for m in at.metric}
    upload(at, "up_rubric", tender_paths("schools_fm")[0])
    load_uploaded(at)
    ok(at)
    assert any("schools_fm.yaml: a rubric is loaded with its bids" in e for e in messages(at))
    assert {m.label: m.value for m in at.metric} == before


def test_upload_names_cannot_leave_the_upload_folder_and_markup_is_escaped():
    from app.ui import escape_md
    from app.uploads import Upload
    assert Upload("../../etc/evil.yaml", b"x").name == "evil.yaml"
    assert Upload("C:\\\\Users\\\\me\\\\bid.json", b"x").name == "bid.json"
    assert Upload("", b"x").name == "unnamed"
    assert Upload("a.yaml", b"1").digest != Upload("a.yaml", b"2").digest
    text = escape_md('[x](http://e) <b> *a* _b_ `c` $d$ :red[e] # h')
    assert not re.search(r"(?<!\\)[\[\]()<>*_`$:#]", text)


def test_rubric_download_round_trips_and_template_opens(tmp_path):
    import io
    import openpyxl
    from app.state import rubric_from_spec, rubric_spec, rubric_yaml
    from app_pages.design import _template_bytes
    for name in ("home_care_north", "schools_fm"):
        path = tender_paths(name)[0]
        r = load_rubric(path)
        text = rubric_yaml(r)
        assert "weight: 40.0" not in text
        copy = tmp_path / f"{name}.yaml"  # with the proxy table it names, where it names it
        (tmp_path / "proxies").mkdir(exist_ok=True)
        (tmp_path / "proxies" / "public_2025.csv").write_bytes((path.parent / "proxies" / "public_2025.csv").read_bytes())
        copy.write_text(text)
        again = load_rubric(copy)
        assert again.spec == r.spec
        assert rubric_from_spec(rubric_spec(r), r).spec == r.spec
        wb = openpyxl.load_workbook(io.BytesIO(_template_bytes(name, r)))
        assert {"Bid", "Responses", "Commitments"} <= set(wb.sheetnames)


@pytest.mark.parametrize("name", ["home_care_north", "schools_fm"])
def test_visiting_the_design_page_edits_nothing(name):
    at = start()
    at.selectbox(key="sample_choice").set_value(name)
    click(at, "Open this sample").run()
    at.switch_page("app_pages/design.py").run()
    ok(at)
    at.switch_page("app_pages/tender.py").run()
    assert not any("has been edited" in i.value for i in at.info)


def test_self_assessment_against_an_uploaded_rubric_alone():
    rubric, bids, _ = tender_paths("schools_fm")
    at = start("self_assessment")
    upload(at, "draft_rubric", rubric)
    at.run()
    ok(at)
    assert [t.value for t in at.text if t.value.startswith("Rubric:")] == [
        "Rubric: FM-2026-031 Planned and reactive maintenance of schools and civic buildings (official lens: design)"]
    assert not at.metric  # no example draft against another buyer's rubric: the supplier uploads theirs
    upload(at, "draft_bid", bids / "westvale_building_services.yaml")
    at.run()
    ok(at)
    r = load_rubric(rubric)
    from evaluator import load_bid
    sa = self_assess(r, load_bid(bids / "westvale_building_services.yaml", r))
    weight = f"{r.sv_criterion.weight:g}"
    assert {m.label: m.value for m in at.metric}["Design lens marks (official)"] == f"{sa['design_score']:.2f} / {weight}"
    upload(at, "draft_rubric", ("r.yaml", b"tender: {id: X, title: T, contract_value: 1, duration_years: 1}\ncriteria:\n"
                                          b"  - {id: P, kind: price, weight: 90}\n", "text/yaml"))
    at.run()
    ok(at)
    assert any("SV301" in e for e in messages(at))


@pytest.mark.parametrize("tree", [True, False])
def test_the_lead_s_pages_read_as_finished_work_on_a_tender_with_lots(tmp_path, tree):
    """Results, Figures vs design and Sensitivity, lot by lot, on the lotted tender of tests/test_app_lots.py
    (a criteria tree with pass/fail, or flat): nothing a commissioner reads breaks the rules."""
    from tests.test_app_lots import lotted_tender, opened
    at = opened(lotted_tender(tmp_path / "tender", tree=tree))
    at.session_state["sens_draws"] = 300
    found = []
    for page, picker in (("results", "results_lot"), ("figures", "figures_lot"), ("sensitivity", "lot_choice")):
        at.switch_page(f"app_pages/{page}.py").run()
        ok(at)
        for lot in ("L1", "L2"):
            at.selectbox(key=picker).set_value(lot).run()
            ok(at)
            found += [f"{page}, {lot}: {o}" for o in offences(at)]
    assert found == []
    ranks = table(at.switch_page("app_pages/results.py").run(), {"Rank", "Bidder"})
    assert "None" not in set(ranks["Rank"]) and "" not in set(ranks["Rank"])
