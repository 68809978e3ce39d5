"""The explain tables' titles: one list, read the same by `explain` on the command line and the Results page."""
import subprocess
import sys

from evaluator.explain_tables import explain_tables

from .conftest import ROOT, tender_paths


def test_every_table_the_engine_explains_has_a_title_written_for_people(ev):
    bidder = ev.results["bidder"].iat[0]
    tables = explain_tables(ev, bidder)
    engine = list(ev.explain(bidder))
    keys = [t.key for t in tables]
    assert [k for k in keys if k != "price_base"] == engine               # every table, in the engine's order
    if "price_base" in keys:                                              # DESIGN 9.4: after the validated £
        assert keys.index("price_base") == keys.index("valuation") + 1
    untitled = [t.key for t in tables if t.title == t.key]
    assert not untitled, f"explain tables shown under their code name: {untitled}"
    assert len({t.title for t in tables}) == len(tables)                # no two tables read the same


def test_explain_on_the_command_line_prints_those_titles_in_that_order():
    from evaluator import evaluate, load_bids, load_rubric, load_scores
    rubric, bids, scores = tender_paths("home_care_north")
    r = load_rubric(rubric)
    b = load_bids(bids, r).require_valid()
    ev = evaluate(r, b, load_scores(scores, r, b.bidders))
    out = subprocess.run([sys.executable, "-m", "evaluator", "explain", "--rubric", str(rubric), "--bids", str(bids),
                          "--scores", str(scores), "--bidder", "Apex Care Group Ltd"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    printed = [line for line in out.stdout.splitlines() if line.startswith("== ")]
    assert printed == [f"== {t.title} ==" for t in explain_tables(ev, "Apex Care Group Ltd")]
    assert "== Validated £ year by year ==" in printed


def test_no_title_quotes_a_section_number_of_the_design():
    import re
    from evaluator.explain_tables import TITLES
    numbered = [t for t in TITLES.values() if re.search(r"\(\d+\.\d+\)", t)]
    assert not numbered, f"titles a commissioner reads with spec section numbers: {numbered}"


def test_a_criteria_tree_is_one_table_per_level_after_the_marks_with_its_groups_and_pass_fail():
    from pathlib import Path

    from evaluator import load_bids, load_rubric, load_scores
    from evaluator.lots import evaluate_tender
    lots = Path(__file__).parent / "fixtures" / "lots"
    r = load_rubric(lots / "rubric.yaml")
    b = load_bids(lots / "bids", r).require_valid()
    ev = evaluate_tender(r, b, load_scores(lots / "scores.csv", r, b.bidders)).evaluation("L2")
    tables = explain_tables(ev, "Alpha Travel Ltd")
    keys = [t.key for t in tables]
    assert keys[:5] == ["marks", "tree_level_1", "tree_level_2", "groups", "pass_fail"]
    tree = ev.explain("Alpha Travel Ltd")["tree"]
    assert "tree" not in keys and [k for k in ev.explain("Alpha Travel Ltd") if k != "tree"] == [
        k for k in keys if not k.startswith("tree_level_") and k not in ("groups", "pass_fail", "price_base")]
    level1, level2 = tables[1].frame, tables[2].frame
    assert len(level1) + len(level2) == len(tree)          # every node of the tree, once
    assert list(level2["path"]) == ["Q > Q1", "Q > Q2"]
    assert level1.set_index("path").loc["Q", "marks"] == level2["marks"].sum()   # a group is its children's sum
    assert list(tables[4].frame["result"]) == ["pass"]
    untitled = [t.key for t in tables if t.title == t.key]
    assert not untitled and len({t.title for t in tables}) == len(tables)
