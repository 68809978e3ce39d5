"""The command line on real tenders (DESIGN 9): lots, a criteria tree, pass/fail, price per quality point, and
every bad input the issue lists as one line naming file, key or row, field and value, with exit 2.

Fixture: tests/fixtures/lots/ (rubric.yaml: two lots, L1 the larger, at most one lot per supplier; a quality
group Q of 40 with sub-criteria Q1 (share 75, its own 0-4 scale) and Q2 (share 25); a pass/fail question; a
mandatory outcome O1 whose target L2 lowers to 2. Alpha ranks first in both lots, so having won L1 it is
passed over in L2, which goes to Beta; Gamma commits nothing to O1 and is disqualified (SV209)."""
import json
import shutil
from pathlib import Path

import pytest

from evaluator.cli import main

LOTS = Path(__file__).parent / "fixtures" / "lots"
RUBRIC, PPQP, BIDS, SCORES = LOTS / "rubric.yaml", LOTS / "ppqp.yaml", LOTS / "bids", LOTS / "scores.csv"
ALPHA, BETA, GAMMA = "Alpha Travel Ltd", "Beta Coaches Ltd", "Gamma Minibuses Ltd"


def cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return code, out, err


def refused(capsys, *args) -> str:
    """The one line a bad input gives, with exit 2."""
    code, out, err = cli(capsys, *args)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (code, out, err)
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    return lines[0]


@pytest.fixture
def tender(tmp_path):
    """A copy of the fixture to break one thing in."""
    dest = tmp_path / "lots"
    shutil.copytree(LOTS, dest)
    return dest


def edit(path: Path, old: str, new: str) -> Path:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))
    return path


# ------------------------------------------------------------------------------------------------- evaluate
def test_evaluate_json_is_the_lotted_document_of_9_3(capsys):
    code, out, err = cli(capsys, "evaluate", "--rubric", RUBRIC, "--bids", BIDS, "--scores", SCORES, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"tender", "official_lens", "lots", "rubric_flags"}
    assert doc["tender"] == "TR-2026-016" and doc["official_lens"] == "design"
    assert [lot["id"] for lot in doc["lots"]] == ["L1", "L2"]
    for lot in doc["lots"]:
        assert {"id", "title", "bids", "awarded_to", "passed_over"} <= set(lot)
        bid = lot["bids"][0]
        assert {"bidder", "eligible", "complete", "total", "rank", "price_score", "quality_score",
                "social_value_score", "lenses", "flags"} <= set(bid)
    l1, l2 = doc["lots"]
    assert sorted(b["bidder"] for b in l1["bids"]) == [ALPHA, BETA]
    assert sorted(b["bidder"] for b in l2["bids"]) == [ALPHA, BETA, GAMMA]
    assert l1["awarded_to"] == ALPHA and l1["passed_over"] == []
    # Alpha ranks first in L2 too, but already holds L1 (the larger lot, awarded first): the limit passes it over
    assert next(b for b in l2["bids"] if b["rank"] == 1)["bidder"] == ALPHA
    assert l2["awarded_to"] == BETA and l2["passed_over"] == [ALPHA]
    gamma = next(b for b in l2["bids"] if b["bidder"] == GAMMA)
    assert not gamma["eligible"] and gamma["rank"] is None
    assert "SV209" in [f["code"] for f in gamma["flags"]]


def test_evaluate_text_shows_each_lot_its_ranking_and_the_award(capsys):
    code, out, err = cli(capsys, "evaluate", "--rubric", RUBRIC, "--bids", BIDS, "--scores", SCORES)
    assert code == 0, err
    assert "=== Lot L1: North routes (contract value £1,000,000) ===" in out
    assert "=== Lot L2: South routes (contract value £600,000) ===" in out
    l1, l2 = out.split("=== Lot L2")[0], out.split("=== Lot L2")[1]
    assert f"Awarded to {ALPHA}." in l1
    assert f"Awarded to {BETA}." in l2
    assert f"Passed over: {ALPHA}, already awarded 1 lot (L1), the most one supplier may hold (1)." in l2
    assert f"Disqualified: {GAMMA}: " in l2 and "O1" in l2.split(f"Disqualified: {GAMMA}: ")[1].splitlines()[0]
    award = out.split("Award across lots (in the order awarded):")[1].splitlines()
    assert award[1].split() == ["Order", "Lot", "Title", "Contract", "value", "Awarded", "to", "Passed", "over"]
    assert award[3].split()[:2] == ["1", "L1"] and ALPHA in award[3] and "£1,000,000" in award[3]
    assert award[4].split()[:2] == ["2", "L2"] and award[4].rstrip().endswith(ALPHA) and BETA in award[4]


def test_a_lot_nobody_bids_for_is_said_and_not_awarded(capsys, tender):
    rubric = edit(tender / "rubric.yaml", "  - {id: L2, title: South routes, contract_value: 600000, targets: {O1: 2}}\n",
                  "  - {id: L2, title: South routes, contract_value: 600000, targets: {O1: 2}}\n"
                  "  - {id: L3, title: East routes, contract_value: 300000}\n")
    code, out, err = cli(capsys, "evaluate", "--rubric", rubric, "--bids", tender / "bids", "--scores", SCORES)
    assert code == 0, err
    lines = out.splitlines()
    at = lines.index("=== Lot L3: East routes (contract value £300,000) ===")
    assert lines[at + 1] == "No bids for this lot: not awarded."
    assert lines[-1].split() == ["3", "L3", "East", "routes", "£300,000", "not", "awarded", "-"]


def test_price_per_quality_point_shows_quality_points_and_pounds_per_point(capsys):
    code, out, err = cli(capsys, "evaluate", "--rubric", PPQP, "--bids", BIDS, "--scores", SCORES, "--json")
    assert code == 0, err
    l1 = json.loads(out)["lots"][0]
    for b in l1["bids"]:
        assert b["quality_points"] == pytest.approx(b["total"])
        price = {ALPHA: 900000, BETA: 850000}[b["bidder"]]
        assert b["price_per_point"] == pytest.approx(price / b["quality_points"])
    ranked = sorted((b for b in l1["bids"] if b["rank"]), key=lambda b: b["rank"])
    assert [b["price_per_point"] for b in ranked] == sorted(b["price_per_point"] for b in ranked)  # lowest wins
    code, text, err = cli(capsys, "evaluate", "--rubric", PPQP, "--bids", BIDS, "--scores", SCORES)
    assert code == 0, err
    assert "ranked by £ per quality point (lowest wins)" in text
    header = next(line for line in text.splitlines() if line.startswith("Rank"))
    assert "Quality points" in header and "£ per point" in header and "Total" not in header
    alpha = next(b for b in l1["bids"] if b["bidder"] == ALPHA)
    row = next(line for line in text.split("=== Lot L2")[0].splitlines() if ALPHA in line and "£900,000" in line)
    cells = row.split()
    assert cells[0] == str(alpha["rank"]) and cells[4] == f"{alpha['quality_points']:.2f}"   # quality points
    assert cells[5] == "£900,000"                                                             # price
    assert float(cells[6].lstrip("£").replace(",", "")) == pytest.approx(alpha["price_per_point"], abs=0.006)


def test_no_quality_question_and_a_failed_pass_fail_question(capsys, tender):
    """Price and social value only (once a KeyError inside the tool), with a pass/fail question Alpha fails in L1:
    disqualified with SV208 and the reason said; L1 goes to Beta, so Alpha is free to win L2."""
    rubric = tender / "rubric.yaml"
    text = rubric.read_text()
    start, end = text.index("  - id: Q\n"), text.index("  - {id: SV, kind")
    rubric.write_text(text[:start].replace("weight: 40, method", "weight: 85, method") + text[end:])
    for bid in (tender / "bids").glob("*.yaml"):
        lines = bid.read_text().splitlines()
        bid.write_text("\n".join("responses: {}" if x.startswith("responses:") else x for x in lines) + "\n")
    scores = tender / "scores.csv"
    rows = [x for x in scores.read_text().splitlines() if x.startswith("lot,") or ",PF," in x]
    scores.write_text("\n".join(rows).replace("L1,Alpha Travel Ltd,PF,MODERATED,pass",
                                              "L1,Alpha Travel Ltd,PF,MODERATED,fail") + "\n")
    code, out, err = cli(capsys, "evaluate", "--rubric", rubric, "--bids", tender / "bids", "--scores", scores)
    assert code == 0, err
    l1, l2 = out.split("=== Lot L2")
    assert (f"Disqualified: {ALPHA}: failed pass/fail question PF (Insurance and operator licence, moderated): the "
            "bid is disqualified") in l1.splitlines()
    assert f"Awarded to {BETA}." in l1 and f"Awarded to {ALPHA}." in l2


# ------------------------------------------------------------------------------------------------- explain
def test_explain_gives_a_table_per_level_of_the_tree_for_the_lot_asked(capsys):
    code, out, err = cli(capsys, "explain", "--rubric", RUBRIC, "--bids", BIDS, "--scores", SCORES,
                         "--bidder", ALPHA, "--lot", "L2", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["lot"] == "L2" and doc["bidder"] == ALPHA
    level1, level2 = doc["tables"]["tree_level_1"], doc["tables"]["tree_level_2"]
    assert [r["path"] for r in level1] == ["PRICE", "Q", "SVQ", "SV", "PF"]
    assert [r["path"] for r in level2] == ["Q > Q1", "Q > Q2"]
    assert [r["weight"] for r in level2] == [30, 10]
    q = next(r for r in level1 if r["path"] == "Q")
    assert sum(r["marks"] for r in level2) == q["marks"]                  # exactly: no rounding drift
    code, text, err = cli(capsys, "explain", "--rubric", RUBRIC, "--bids", BIDS, "--scores", SCORES,
                          "--bidder", ALPHA, "--lot", "L2")
    assert code == 0, err
    titles = [line for line in text.splitlines() if line.startswith("== ")]
    assert titles[:3] == ["== Marks: the inputs and the sum ==",
                          "== Criteria tree, level 1: the criteria (a group's marks are the sum of its "
                          "sub-criteria's) ==", "== Criteria tree, level 2: sub-criteria =="]
    assert text.splitlines()[0] == f"Lot L2: South routes; bid of {ALPHA}"


def test_explain_names_the_lots_when_the_bidder_bids_in_several(capsys):
    line = refused(capsys, "explain", "--rubric", RUBRIC, "--bids", BIDS, "--scores", SCORES, "--bidder", ALPHA)
    assert line == f"error: field '--bidder', value '{ALPHA}': bids in lots L1, L2: pass --lot with one of them"
    line = refused(capsys, "explain", "--rubric", RUBRIC, "--bids", BIDS, "--bidder", ALPHA, "--lot", "L3")
    assert line == "error: field '--lot', value 'L3': is not a lot of this tender; its lots are L1, L2"
    line = refused(capsys, "explain", "--rubric", RUBRIC, "--bids", BIDS, "--bidder", GAMMA, "--lot", "L1")
    assert line == f"error: field '--bidder', value '{GAMMA}': has no bid in lot L1; it bids in L2"
    flat = Path(__file__).parent.parent / "rubrics" / "schools_fm.yaml"
    line = refused(capsys, "explain", "--rubric", flat, "--bids", flat.parent.parent / "sample_bids" / "schools_fm",
                   "--bidder", ALPHA, "--lot", "L1")
    assert line == f"error: {flat}, field '--lot', value 'L1': this tender has no lots: leave --lot out"
    # one lot: no --lot needed
    code, out, err = cli(capsys, "explain", "--rubric", RUBRIC, "--bids", BIDS, "--bidder", GAMMA, "--json")
    assert code == 0 and json.loads(out)["lot"] == "L2"


# ------------------------------------------------------------------------------------------------- check
def test_check_assesses_a_bid_against_its_own_lots_targets(capsys):
    code, out, err = cli(capsys, "check", "--rubric", RUBRIC, "--bid", BIDS / "alpha_l2.yaml")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1] == "Your bid is for lot L2 (South routes): contract value £600,000 over 2 years."
    assert lines[2] == "This lot's outcome targets: O1 2 FTE-years (tender-wide 4); O2 10 WELLBYs."
    assert any(line.startswith("  O1 ") and "of the target of 2 FTE-years" in line for line in lines)
    code, out, err = cli(capsys, "check", "--rubric", RUBRIC, "--bid", BIDS / "alpha_l2.yaml", "--json")
    doc = json.loads(out)
    assert doc["lot"] == "L2" and doc["lot_figures"]["targets"] == {"O1": 2}
    assert doc["lot_figures"]["contract_value"] == 600000
    code, out1, err = cli(capsys, "check", "--rubric", RUBRIC, "--bid", BIDS / "beta_l1.yaml", "--json")
    l1 = json.loads(out1)
    # the same 2 FTE-years (Alpha's in L2, Beta's in L1): twice the attainment against L2's halved target
    o1_l1 = l1["lenses"]["design"]["attainment"]["O1"]
    assert 0 < o1_l1 < 0.5 and doc["lenses"]["design"]["attainment"]["O1"] == pytest.approx(2 * o1_l1)


def test_check_without_a_bid_shows_the_tree_the_award_and_the_lots(capsys):
    code, out, err = cli(capsys, "check", "--rubric", PPQP)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1].startswith("Quality points sum to 100 (awarded by price per quality point: lowest £ per point "
                               "wins); social value carries 30%.")
    assert lines[2:6] == ["Criteria tree (points of 100; a group's are the sum of its sub-criteria's):",
                          "  Q Quality: 70", "    Q1 Service model: 52.5 (75% of Q)",
                          "    Q2 Safeguarding: 17.5 (25% of Q)"]
    assert "  PF Insurance and operator licence: pass/fail" in lines
    assert "2 lots: L1 North routes (£1,000,000); L2 South routes (£600,000). At most 1 lot per supplier." in lines
    code, out, err = cli(capsys, "check", "--rubric", PPQP, "--json")
    lots = json.loads(out)["lots"]
    assert [(x["id"], x["contract_value"], x["targets"]) for x in lots] == [("L1", 1000000, {}), ("L2", 600000, {"O1": 2})]


def test_check_flags_a_mandatory_outcome_the_bid_leaves_out(capsys):
    code, out, err = cli(capsys, "check", "--rubric", RUBRIC, "--bid", BIDS / "gamma_l2.yaml", "--json")
    assert code == 0, err
    assert "SV209" in [f["code"] for f in json.loads(out)["flags"]]
    code, out, err = cli(capsys, "check", "--rubric", RUBRIC, "--bid", BIDS / "gamma_l2.yaml")
    lines = out.splitlines()
    assert ("  O1 Local residents facing barriers into driving work: net 0 of the target of 2 FTE-years = 0% (mandatory: "
            "a bid with nothing credited towards it is disqualified)") in lines
    assert ("Pass/fail questions the panel will judge (a fail disqualifies the bid): PF (Insurance and operator "
            "licence).") in lines


# ------------------------------------------------------------------------------------------------- review
def test_review_reads_a_tree_and_its_lots(capsys):
    code, out, err = cli(capsys, "review", RUBRIC, "--json")
    assert code == 0, err
    t = json.loads(out)["tenders"][0]
    assert [lot["id"] for lot in t["lots"]] == ["L1", "L2"]
    crit = {c["path"]: c for c in t["lots"][0]["criteria"]}
    assert list(crit) == ["PRICE", "Q", "Q > Q1", "Q > Q2", "SVQ", "SV", "PF"]
    assert [crit[p]["weight"] for p in ("Q", "Q > Q1", "Q > Q2")] == [40, 30, 10]
    assert crit["PF"]["weight"] is None and crit["PF"]["weight_kind"] == "pass_fail"
    assert t["lots"][0]["weight_total"] == 100 and t["lots"][0]["social_value_weight"] == 20
    assert "SV301" not in [f["code"] for f in t["flags"]]
    code, text, err = cli(capsys, "review", RUBRIC)
    assert "    Q Quality: 40" in text.splitlines() and "      Q1 Service model: 30" in text.splitlines()
    assert "    PF Insurance and operator licence: pass/fail" in text.splitlines()


def test_review_flags_price_per_quality_point_with_a_price_criterion(capsys, tender):
    rubric = edit(tender / "rubric.yaml", "scale: [0, 25, 50, 75, 100]\n",
                  "scale: [0, 25, 50, 75, 100]\naward: price_per_quality_point\n")
    code, out, err = cli(capsys, "review", rubric, "--json")
    assert code == 0, err
    sv301 = [f["message"] for f in json.loads(out)["tenders"][0]["flags"] if f["code"] == "SV301"]
    assert sv301 == ["award: price_per_quality_point divides each price by its quality points, but the criteria hold "
                     "a price criterion (Price); the quality points add up to 60, not 100; the rubric would be refused"]


def test_review_flags_each_group_that_does_not_add_up(capsys, tender):
    edit(tender / "rubric.yaml", "name: Safeguarding, share: 25", "name: Safeguarding, share: 20")
    code, out, err = cli(capsys, "review", tender / "rubric.yaml", "--json")
    assert code == 0, err
    t = json.loads(out)["tenders"][0]
    sv301 = [f for f in t["flags"] if f["code"] == "SV301"]
    assert len(sv301) == 1 and sv301[0]["criterion"] == "Q"
    assert "the shares in group Q add up to 95, not 100 (Q1 75 + Q2 20)" in sv301[0]["message"]


# ------------------------------------------------------------------------------------------------- bad input
def test_shares_that_do_not_add_up(capsys, tender):
    rubric = edit(tender / "rubric.yaml", "name: Safeguarding, share: 25", "name: Safeguarding, share: 20")
    line = refused(capsys, "evaluate", "--rubric", rubric, "--bids", tender / "bids")
    assert line.startswith(f"error: {rubric}, key criteria[1].criteria (group Q), field 'share', value 95.0: SV301 ")
    assert "the shares of group Q's criteria add up to 95, not 100 (Q1 75 + Q2 20)" in line


def test_share_and_weight_mixed_in_one_group(capsys, tender):
    rubric = edit(tender / "rubric.yaml", "name: Safeguarding, share: 25", "name: Safeguarding, weight: 10")
    line = refused(capsys, "evaluate", "--rubric", rubric, "--bids", tender / "bids")
    assert line.startswith(f"error: {rubric}, key criteria[1].criteria (group Q), field 'share', value 'Q1': SV301 ")
    assert "the criteria of group Q mix 'share' (Q1) and 'weight' (Q2)" in line


def test_a_tree_deeper_than_three_levels(capsys, tender):
    rubric = edit(tender / "rubric.yaml", "      - {id: Q2, kind: scale, name: Safeguarding, share: 25}\n", """\
      - id: Q2
        kind: group
        name: Safeguarding
        share: 25
        criteria:
          - id: Q2A
            kind: group
            name: Children
            share: 100
            criteria:
              - {id: Q2A1, kind: scale, name: Training, share: 100}
""")
    line = refused(capsys, "evaluate", "--rubric", rubric, "--bids", tender / "bids")
    assert line.startswith(f"error: {rubric}, key criteria[1].criteria[1].criteria[0].criteria[0] (id Q2A1), "
                           "field 'criteria', value 'Q2A1': is 4 levels deep; a criteria tree has 3 levels at most")


def test_a_pass_fail_question_with_a_weight(capsys, tender):
    rubric = edit(tender / "rubric.yaml", "name: Insurance and operator licence}",
                  "name: Insurance and operator licence, weight: 5}")
    line = refused(capsys, "evaluate", "--rubric", rubric, "--bids", tender / "bids")
    assert line.startswith(f"error: {rubric}, key criteria[4] (id PF), field 'weight', value 5.0: a pass/fail "
                           "question carries no weight")


def test_a_score_of_maybe(capsys, tender):
    scores = edit(tender / "scores.csv", "L1,Alpha Travel Ltd,PF,MODERATED,pass", "L1,Alpha Travel Ltd,PF,MODERATED,maybe")
    line = refused(capsys, "evaluate", "--rubric", tender / "rubric.yaml", "--bids", tender / "bids", "--scores", scores)
    assert str(scores) in line and "score" in line and "'maybe'" in line and "row" in line


def test_a_bid_for_a_lot_that_does_not_exist(capsys, tender):
    bid = edit(tender / "bids" / "gamma_l2.yaml", "lot: L2", "lot: L9")
    said = (f"error: {bid}, bid, field 'lot', value 'L9': is not a lot of this tender (its lots are L1 (North "
            "routes), L2 (South routes))")
    code, out, err = cli(capsys, "evaluate", "--rubric", tender / "rubric.yaml", "--bids", tender / "bids")
    # one line for the bid, and one saying what to do about it
    assert code == 2 and err.splitlines() == [said, f"error: {tender / 'bids'}: 1 bid(s) have problems; fix them, "
                                                    "or pass --skip-invalid to rank the rest"]
    assert refused(capsys, "check", "--rubric", tender / "rubric.yaml", "--bid", bid) == said


def test_the_same_supplier_twice_in_one_lot(capsys, tender):
    twice = tender / "bids" / "alpha_l1_again.yaml"
    twice.write_text((tender / "bids" / "alpha_l1.yaml").read_text())
    code, out, err = cli(capsys, "evaluate", "--rubric", tender / "rubric.yaml", "--bids", tender / "bids")
    assert code == 2
    assert err.splitlines()[0] == (f"error: {twice}, bid, field 'bidder', value '{ALPHA}': the same supplier bids "
                                   f"twice for lot L1 (first in {tender / 'bids' / 'alpha_l1.yaml'}); one bid per "
                                   "supplier per lot, so this one is set aside")
    # --skip-invalid ranks the rest: Alpha's first bid for L1 stands
    code, out, err = cli(capsys, "evaluate", "--rubric", tender / "rubric.yaml", "--bids", tender / "bids",
                         "--skip-invalid", "--json")
    assert code == 0, err
    assert sorted(b["bidder"] for b in json.loads(out)["lots"][0]["bids"]) == [ALPHA, BETA]


def test_scores_without_a_lot_column_for_a_lotted_tender(capsys, tender):
    scores = tender / "scores.csv"
    rows = [line.split(",", 1)[1] for line in scores.read_text().splitlines()]
    scores.write_text("\n".join(rows) + "\n")
    line = refused(capsys, "evaluate", "--rubric", tender / "rubric.yaml", "--bids", tender / "bids", "--scores", scores)
    assert str(scores) in line and "lot" in line


def test_a_lot_override_of_an_outcome_that_does_not_exist(capsys, tender):
    rubric = edit(tender / "rubric.yaml", "targets: {O1: 2}", "targets: {O7: 2}")
    line = refused(capsys, "evaluate", "--rubric", rubric, "--bids", tender / "bids")
    assert line == (f"error: {rubric}, key lots[1] (id L2), field 'targets', value 'O7': overrides the target of an "
                    "outcome the design does not have (O1, O2)")


def test_price_per_quality_point_with_a_price_criterion(capsys, tender):
    rubric = edit(tender / "rubric.yaml", "scale: [0, 25, 50, 75, 100]\n",
                  "scale: [0, 25, 50, 75, 100]\naward: price_per_quality_point\n")
    line = refused(capsys, "evaluate", "--rubric", rubric, "--bids", tender / "bids")
    assert line.startswith(f"error: {rubric}, key criteria[0] (id PRICE), field 'kind', value 'price': award: "
                           "price_per_quality_point divides each price by its quality points")
