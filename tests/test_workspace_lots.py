"""The workspace of a real tender (DESIGN.md 9): scores keyed by lot, pass/fail questions and criteria with a
scale of their own. A tender with lots gets a workspace of its own format (3); every workspace made before
keeps opening unchanged, its scores with lot "". Also: `lotted_tender`, the small lotted tender the app's tests
use (the schools maintenance sample in two lots, with a criteria tree, an own scale and a pass/fail question)."""
from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from evaluator.exceptions import EvaluatorError
from evaluator.workspace import FORMAT, LOTS_FORMAT, Workspace

from .conftest import ROOT, tender_paths

PY = sys.executable
WESTVALE, CRESTLINE = "Westvale Building Services Ltd", "Crestline Estates Services Ltd"
ASHBY, KINGSFORD, MERIDIAN = ("Ashby & District Property Maintenance Ltd", "Kingsford Mechanical & Electrical Ltd",
                             "Meridian FM Solutions plc")
# who bids in which lot: Westvale in both (one bid per lot), the others in one
LOTS = {"westvale_building_services.yaml": ["L1", "L2"], "ashby_district_property_maintenance.yaml": ["L1"],
        "kingsford_mechanical_electrical.json": ["L1"], "crestline_estates_services.yaml": ["L2"],
        "meridian_fm_solutions.json": ["L2"]}
TREE = [
    {"id": "PRICE", "kind": "price", "name": "Price", "weight": 50, "method": "linear"},
    {"id": "Q", "kind": "group", "name": "Quality", "weight": 35, "criteria": [
        {"id": "Q1", "kind": "scale", "name": "Technical approach and mobilisation", "share": 75, "threshold": 40},
        {"id": "Q2", "kind": "scale", "name": "Health, safety and safeguarding", "share": 25,
         "scale": [0, 1, 2, 3, 4], "descriptors": {0: "Unacceptable", 1: "Poor", 2: "Adequate", 3: "Good",
                                                   4: "Excellent"}}]},
    {"id": "SVQ", "kind": "scale", "name": "Social value method statement", "weight": 5, "social_value": True},
    {"id": "SV", "kind": "social_value", "name": "Social value commitments", "weight": 10},
    {"id": "PF", "kind": "pass_fail", "name": "Insurance and accreditation"},
]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "evaluator", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def _own(score: float) -> int:
    """Q2's 0-100 scores from the sample read on Q2's own 0-4 scale."""
    return {0: 0, 20: 1, 40: 2, 60: 2, 80: 3, 100: 4}[int(score)]


def lotted_tender(folder: Path, lots: bool = True, pf_fail: str = CRESTLINE, tree: bool = True) -> tuple[Path, Path, Path]:
    """The schools maintenance sample as a real tender: a criteria tree (Quality = Q1 75% + Q2 25%, Q2 on its
    own 0-4 scale with its own descriptors), a pass/fail question (PF; `pf_fail` fails it) and, with
    `lots`, two lots (L1 North schools £8m, L2 Civic buildings £4.5m; one lot per supplier), Westvale
    bidding in both. `tree` False: the sample's own flat criteria (lots only). Returns (rubric, bids folder,
    scores.csv), scores.csv with a lot column when lotted."""
    rubric_path, bids, scores_path = tender_paths("schools_fm")
    spec = yaml.safe_load(rubric_path.read_text(encoding="utf-8"))
    (folder / "proxies").mkdir(parents=True, exist_ok=True)  # the shipped table, beside the rubric as shipped
    shutil.copy(rubric_path.parent / spec["proxies"], folder / spec["proxies"])
    if tree:
        spec["criteria"] = TREE
    if lots:
        spec["lots"] = [{"id": "L1", "title": "North schools", "contract_value": 8_000_000},
                        {"id": "L2", "title": "Civic buildings", "contract_value": 4_500_000}]
        spec["max_lots_per_supplier"] = 1
    folder.mkdir(parents=True, exist_ok=True)
    out_rubric = folder / ("fm_lots.yaml" if lots else "fm_tree.yaml")
    out_rubric.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    out_bids = folder / "bids"
    out_bids.mkdir(exist_ok=True)
    who: dict[str, list[str]] = {}
    for name, lot_ids in LOTS.items():
        text = (bids / name).read_text(encoding="utf-8")
        data = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
        who[data["bidder"]] = lot_ids if lots else [""]
        for lot in (lot_ids if lots else [None]):
            doc = dict(data, lot=lot) if lot else data
            stem, suffix = name.rsplit(".", 1)
            target = out_bids / (f"{stem}_{lot}.{suffix}" if lot else name)
            target.write_text(json.dumps(doc, indent=1) if suffix == "json" else
                              yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    frame = pd.read_csv(scores_path)
    if tree:
        frame.loc[frame["criterion"] == "Q2", "score"] = frame.loc[frame["criterion"] == "Q2", "score"].map(_own)
    frame["score"] = frame["score"].astype(object).map(lambda v: f"{float(v):g}")
    pf = [] if not tree else [{"bidder": b, "criterion": "PF", "evaluator": "MODERATED",
           "score": "fail" if b == pf_fail else "pass",
           "rationale": "Certificates missing" if b == pf_fail else "Certificates seen"} for b in who]
    frame = pd.concat([frame, pd.DataFrame(pf)], ignore_index=True)
    if lots:
        frame = pd.concat([frame.assign(lot=lot)[frame["bidder"].map(lambda b: lot in who.get(b, []))]
                           for lot in ("L1", "L2")], ignore_index=True)
    out_scores = folder / "scores.csv"
    frame.to_csv(out_scores, index=False)
    return out_rubric, out_bids, out_scores


@pytest.fixture
def lotted(tmp_path) -> Workspace:
    rubric, bids, scores = lotted_tender(tmp_path / "tender")
    return Workspace.create(tmp_path / "lots.sqlite", rubric, bids, scores_path=scores)


# ------------------------------------------------------------------------- old workspaces, unchanged

def test_a_workspace_of_a_tender_without_lots_keeps_its_format_and_schema(tmp_path):
    """A tender without lots: format 2 and the schema every earlier version wrote, so nothing changes for it."""
    rubric, bids, scores = tender_paths("home_care_north")
    ws = Workspace.create(tmp_path / "hc.sqlite", rubric, bids, scores_path=scores)
    assert ws.meta["format"] == FORMAT == "2" and not ws.lotted
    con = sqlite3.connect(ws.path)
    try:
        columns = [r[1] for r in con.execute("PRAGMA table_info(scores)")]
        bidder_columns = [r[1] for r in con.execute("PRAGMA table_info(bidders)")]
    finally:
        con.close()
    assert columns == ["bidder", "criterion", "evaluator", "score", "rationale", "updated_at", "seq"]
    assert bidder_columns == ["bidder", "file"]
    frame = ws.scores()
    assert set(frame["lot"]) == {""} and len(frame) == len(pd.read_csv(scores))
    assert ws.verify().intact


def test_a_lot_given_for_a_tender_without_lots_is_refused(tmp_path):
    rubric, bids, scores = tender_paths("home_care_north")
    ws = Workspace.create(tmp_path / "hc.sqlite", rubric, bids)
    with pytest.raises(EvaluatorError) as exc:
        ws.set_score("Apex Care Group Ltd", "Q1", "Ann", 60, "Sound plan", lot="L1")
    assert "field 'lot'" in exc.value.line() and "no lots" in exc.value.line()


# ------------------------------------------------------------------------- a tree without lots

def test_pass_fail_and_own_scales_are_checked_on_save(tmp_path):
    rubric, bids, _ = lotted_tender(tmp_path / "tender", lots=False)
    ws = Workspace.create(tmp_path / "tree.sqlite", rubric, bids)
    assert ws.meta["format"] == FORMAT
    assert ws.criterion_scale("Q2") == [0.0, 1.0, 2.0, 3.0, 4.0] and ws.criterion_scale("PF") == [0.0, 1.0]
    saved = ws.set_score(WESTVALE, "PF", "MODERATED", "Pass", "Certificates seen")
    assert saved["score"] == 1.0
    assert ws.set_score(WESTVALE, "PF", "Ann", "FAIL", "No certificate")["score"] == 0.0
    with pytest.raises(EvaluatorError) as exc:
        ws.set_score(WESTVALE, "PF", "Ann", "maybe", "Not sure")
    assert "field 'score'" in exc.value.line() and "'maybe'" in exc.value.line() and "pass or fail" in exc.value.line()
    with pytest.raises(EvaluatorError) as exc:
        ws.set_score(WESTVALE, "Q2", "Ann", 60, "Good")  # on the rubric's scale, not on Q2's own
    assert "criterion's scale (0, 1, 2, 3, 4)" in exc.value.line()
    ws.set_score(WESTVALE, "Q2", "Ann", 3, "Good")
    assert ws.verify().intact


# ------------------------------------------------------------------------- a tender with lots

def test_a_lotted_tender_keeps_scores_keyed_by_lot(lotted):
    assert lotted.lotted and lotted.meta["format"] == LOTS_FORMAT and lotted.lots == ["L1", "L2"]
    bids = lotted.bids()
    assert sorted(bids.loc[bids["bidder"] == WESTVALE, "lot"]) == ["L1", "L2"]  # one supplier, two bids
    frame = lotted.scores()
    assert set(frame["lot"]) == {"L1", "L2"}
    both = frame[(frame["bidder"] == WESTVALE) & (frame["criterion"] == "Q1") & (frame["evaluator"] == "MODERATED")]
    assert sorted(both["lot"]) == ["L1", "L2"]
    # the same bidder, question and evaluator in two lots are two scores: changing one leaves the other
    lotted.set_score(WESTVALE, "Q1", "MODERATED", 40, "Weaker for civic buildings", lot="L2")
    frame = lotted.scores().set_index(["bidder", "criterion", "evaluator", "lot"])
    assert frame.loc[(WESTVALE, "Q1", "MODERATED", "L2"), "score"] == 40
    assert frame.loc[(WESTVALE, "Q1", "MODERATED", "L1"), "score"] == 80
    log = lotted.audit_log()
    assert json.loads(log["key"].iat[-1]) == [WESTVALE, "Q1", "MODERATED", "L2"]
    assert lotted.verify().intact
    assert lotted.delete_score(WESTVALE, "Q1", "MODERATED", lot="L2")
    assert lotted.verify().intact


def test_a_lotted_workspace_refuses_a_score_without_its_lot_or_for_a_bid_not_in_it(lotted):
    cases = [({}, "field 'lot'", "required"),
             ({"lot": "L9"}, "field 'lot'", "'L9'"),
             ({"lot": "L2", "bidder": ASHBY}, "field 'bidder'", "in lot L2")]
    for extra, field, words in cases:
        args = {"bidder": WESTVALE, **extra}
        lot = args.pop("lot", "")
        with pytest.raises(EvaluatorError) as exc:
            lotted.set_score(args["bidder"], "Q1", "Ann", 60, "Fine", lot=lot)
        line = exc.value.line()
        assert field in line and words in line, line
        assert "\n" not in line


def test_a_score_moved_to_another_lot_behind_the_tools_back_is_caught(lotted):
    con = sqlite3.connect(lotted.path)
    try:
        moved = con.execute("UPDATE scores SET lot = 'L2' WHERE bidder = ? AND criterion = 'Q1' "
                            "AND evaluator = 'MODERATED'", (ASHBY,)).rowcount
        con.commit()
    finally:
        con.close()
    assert moved == 1
    report = lotted.verify()
    assert not report.intact
    assert f"{ASHBY} / Q1 / MODERATED / L2" in " ".join(p.line() for p in report.problems)


def test_export_and_import_carry_the_lots(lotted, tmp_path):
    manifest = lotted.export(tmp_path / "export")
    header = (tmp_path / "export" / "scores.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "bidder,criterion,evaluator,score,rationale,lot"
    assert manifest["workspace_format"] == LOTS_FORMAT
    again = Workspace.import_export(tmp_path / "again.sqlite", tmp_path / "export")
    assert again.lotted and again.verify().intact
    cols = ["bidder", "criterion", "evaluator", "lot", "score"]
    key = ["lot", "bidder", "criterion", "evaluator"]
    assert again.scores()[cols].sort_values(key).reset_index(drop=True).equals(
        lotted.scores()[cols].sort_values(key).reset_index(drop=True))


def test_the_command_line_scores_and_reports_per_lot(lotted):
    done = cli("workspace", "score", "--db", lotted.path, "--bidder", WESTVALE, "--criterion", "PF",
               "--evaluator", "Ann", "--score", "pass", "--rationale", "Seen", "--lot", "L2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"saved: lot L2: {WESTVALE} / PF / Ann = 1")
    refused = cli("workspace", "score", "--db", lotted.path, "--bidder", WESTVALE, "--criterion", "Q1",
                  "--evaluator", "Ann", "--score", "60", "--rationale", "Fine")
    assert refused.returncode == 2 and "field 'lot'" in refused.stderr and refused.stderr.count("\n") == 1
    status = cli("workspace", "status", "--db", lotted.path, "--json")
    assert status.returncode == 0, status.stderr
    cells = json.loads(status.stdout)["cells"]
    assert {c["lot"] for c in cells} == {"L1", "L2"}
    assert {(c["lot"], c["bidder"]) for c in cells if c["criterion"] == "Q1"} == \
        {(lot, b) for b, lot in zip(lotted.bids()["bidder"], lotted.bids()["lot"])}
