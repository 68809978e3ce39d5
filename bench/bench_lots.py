"""Benchmark: a lotted tender of 20 lots x 50 bids with a three-level criteria tree, evaluated end to end
(issue 16's target: under 2 s).

Generates the tender in a temporary folder (a rubric with 20 lots, a criteria tree three levels deep with
shares, a per-criterion scale, a pass/fail question and a mandatory outcome; bids.csv, responses.csv and
commitments.csv in the bulk form with a `lot` column; scores.csv from three evaluators plus MODERATED,
with a `lot` column), then times `python -m evaluator evaluate --json` in a fresh process, N times,
against a floor measured in the same run: a fresh process that imports pandas and reads the same files (the rubric with PyYAML, the
four CSV files with pandas), timed whole the same way. Prints best and median of each, wall time and CPU
time (user + sys of the child process, from getrusage: on a loaded machine the fairer measure), and the
ratio of the medians.

    python bench/bench_lots.py [--lots 20] [--bids 50] [--commitments 5] [--repeats 5] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
PROXIES = ROOT / "rubrics" / "proxies" / "public_2025.csv"
TARGET_S = 2.0

MEASURES = [  # code, unit, outcome, typical quantity over the term for a lot of about £1m
    ("LOCAL-SPEND", "gbp", "O1", 90000),
    ("EMP-LOCAL-BARRIERS", "fte_year", "O2", 4),
    ("APPRENTICE", "apprentice_year", "O3", 2),
    ("CARBON-TCO2E", "tco2e", "O4", 15),
    ("TRAINING-HOUR", "hour", "O5", 200),
    ("VOLUNTEER-HOUR", "hour", "", 150),
]
PLACES = ["Northtown", "Easton", "Millbrook"]
EVALUATORS = ["Evaluator A", "Evaluator B", "Evaluator C"]
NARRATIVE = ("We will deliver this through our local team and partners, with a named lead, and report to the "
             "council every quarter with records that can be checked against the target for the lot.")


def rubric(n_lots: int, rng: np.random.Generator) -> dict:
    """Twenty lots of different values, each with its own targets for some outcomes; a tree three deep."""
    values = (rng.uniform(0.4, 2.5, n_lots) * 1_000_000).round(-4)
    lots = []
    for i, v in enumerate(values):
        lot = {"id": f"L{i + 1:02d}", "title": f"Area {i + 1}", "contract_value": float(v)}
        if i % 3 == 0:
            lot["targets"] = {"O1": float(round(v * 0.1, -3)), "O2": float(max(1, round(v / 250_000)))}
        lots.append(lot)
    return {
        "tender": {"id": "BENCH-LOTS", "title": "Lotted benchmark tender", "buyer": "Bench Council",
                   "contract_value": float(values.sum()), "duration_years": 3, "local_area": PLACES,
                   "workforce_fte": 400},
        "proxies": "public_2025.csv",
        "lens": "design",
        "lots": lots,
        "max_lots_per_supplier": 1,
        "tie_break": ["quality", "price"],
        "scale": [0, 25, 50, 75, 100],
        "criteria": [
            {"id": "PRICE", "kind": "price", "name": "Price", "weight": 40, "method": "relative"},
            {"id": "Q", "kind": "group", "name": "Quality", "weight": 45, "min_share": 0.3, "criteria": [
                {"id": "QA", "kind": "group", "name": "Service", "share": 60, "criteria": [
                    {"id": "QA1", "kind": "scale", "name": "Menus", "share": 50, "threshold": 1,
                     "scale": [0, 1, 2, 3, 4]},
                    {"id": "QA2", "kind": "scale", "name": "Mobilisation", "share": 50}]},
                {"id": "QB", "kind": "group", "name": "People", "share": 40, "criteria": [
                    {"id": "QB1", "kind": "scale", "name": "Staffing", "share": 70},
                    {"id": "QB2", "kind": "scale", "name": "Safeguarding", "share": 30, "threshold": 25}]}]},
            {"id": "SVG", "kind": "group", "name": "Social value", "weight": 15, "social_value": True, "criteria": [
                {"id": "SVQ", "kind": "scale", "name": "Social value plan", "share": 40},
                {"id": "SV", "kind": "social_value", "name": "Social value commitments", "share": 60}]},
            {"id": "PF", "kind": "pass_fail", "name": "Food hygiene rating 5"},
        ],
        "design": {"outcomes": [
            {"id": "O1", "name": "Local spend", "measures": ["LOCAL-SPEND"], "unit": "gbp", "baseline": 0,
             "target": 150000, "priority": 35, "mandatory": True, "evidence_required": "E2",
             "if_not_delivered": "Recovery plan"},
            {"id": "O2", "name": "Local jobs", "measures": ["EMP-LOCAL-BARRIERS"], "unit": "fte_year",
             "baseline": 0, "target": 6, "priority": 25, "evidence_required": "E2",
             "if_not_delivered": "Recovery plan"},
            {"id": "O3", "name": "Apprentices", "measures": ["APPRENTICE"], "unit": "apprentice_year",
             "baseline": 0, "target": 3, "priority": 15, "evidence_required": "E2",
             "if_not_delivered": "Carried forward"},
            {"id": "O4", "name": "Carbon", "measures": ["CARBON-TCO2E"], "unit": "tco2e", "baseline": 0,
             "target": 30, "priority": 15, "evidence_required": "E2", "if_not_delivered": "Revised plan"},
            {"id": "O5", "name": "Skills", "measures": ["TRAINING-HOUR"], "unit": "hour", "baseline": 0,
             "target": 300, "priority": 10, "evidence_required": "E1", "if_not_delivered": "Reviewed"},
        ]},
    }


def generate(out: Path, n_lots: int, n_bids: int, n_commitments: int, seed: int = 16) -> dict[str, Path]:
    """The tender's files in `out`: rubric.yaml (+ its proxy table), bids/bids.csv, bids/responses.csv,
    bids/commitments.csv and scores.csv. Suppliers come from a pool of 2.5 x bids a lot, so most bid in
    several lots, and each scores alike in every lot, so the award limit (one lot each) passes some over."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    spec = rubric(n_lots, rng)
    (out / "rubric.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    shutil.copy(PROXIES, out / "public_2025.csv")
    pool = np.array([f"Supplier {i:03d} Ltd" for i in range(int(n_bids * 2.5))], dtype=object)
    strength = dict(zip(pool, rng.uniform(0, 1, len(pool))))  # a supplier scores alike in every lot
    bids, responses, commitments, scores = [], [], [], []
    for lot in spec["lots"]:
        value = lot["contract_value"]
        for bidder in rng.choice(pool, n_bids, replace=False):
            bids.append({"bidder": bidder, "lot": lot["id"], "price": float(round(value * rng.uniform(0.85, 1.1), -3))})
            responses += [{"bidder": bidder, "lot": lot["id"], "criterion": c, "text": "Our answer to the question."}
                          for c in ("QA1", "QA2", "QB1", "QB2", "SVQ")]
            for j in range(n_commitments):
                code, unit, outcome, typical = MEASURES[int(rng.choice(len(MEASURES), p=[.3, .2, .15, .15, .1, .1]))]
                commitments.append({
                    "bidder": bidder, "lot": lot["id"], "id": f"C{j + 1}", "measure": code, "outcome": outcome,
                    "description": "Commitment",
                    "quantity": float(max(1, round(rng.gamma(2, typical * value / 2e6), 1))),
                    "unit": unit, "start_year": 1, "end_year": 3, "location": PLACES[int(rng.integers(3))],
                    "beneficiaries": f"{bidder} cohort {j}",
                    "evidence_grade": str(rng.choice(["E1", "E2", "E3"], p=[.2, .6, .2])),
                    "evidence_description": "Monitoring data 2025", "deadweight": 0.2, "attribution": 0.1,
                    "deflator_rationale": "Local trend", "narrative": NARRATIVE,
                    "kpi": "Quarterly count from records", "contract_specific": True})
            levels = {"QA1": [1, 2, 3, 4], "PF": ["fail", "pass", "pass", "pass", "pass", "pass"]}
            for crit in ("QA1", "QA2", "QB1", "QB2", "SVQ", "PF"):
                choices = levels.get(crit, [25, 50, 75, 100])
                at = np.clip(strength[bidder] + rng.normal(0, 0.15), 0, 0.999) if crit != "PF" else rng.random()
                moderated = choices[int(at * len(choices))]
                for who in EVALUATORS + ["MODERATED"]:
                    scores.append({"lot": lot["id"], "bidder": bidder, "criterion": crit, "evaluator": who,
                                   "score": moderated, "rationale": "Scored against the descriptors"})
    folder = out / "bids"
    folder.mkdir(exist_ok=True)
    pd.DataFrame(bids).to_csv(folder / "bids.csv", index=False)
    pd.DataFrame(responses).to_csv(folder / "responses.csv", index=False)
    pd.DataFrame(commitments).to_csv(folder / "commitments.csv", index=False)
    pd.DataFrame(scores).to_csv(out / "scores.csv", index=False)
    return {"rubric": out / "rubric.yaml", "bids": folder, "scores": out / "scores.csv"}


FLOOR = """
import sys, yaml, pandas as pd
yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
for f in sys.argv[2:]:
    pd.read_csv(f)
"""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(cmd: list[str], **kwargs) -> tuple[float, float, bytes]:
    """(wall seconds, CPU seconds (user + sys) of the child, its stdout)."""
    t0, c0 = time.perf_counter(), _cpu()
    proc = subprocess.run(cmd, capture_output=True, **kwargs)
    seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])} ... failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    return seconds, cpu, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lots", type=int, default=20)
    ap.add_argument("--bids", type=int, default=50, help="bids per lot")
    ap.add_argument("--commitments", type=int, default=5, help="commitments per bid")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="generate the tender here and keep it (default: a temp folder)")
    args = ap.parse_args()
    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="bench_lots_")
    out = args.keep or Path(tmp.name)
    try:
        files = generate(out, args.lots, args.bids, args.commitments)
        cmd = [sys.executable, "-m", "evaluator", "evaluate", "--rubric", str(files["rubric"]),
               "--bids", str(files["bids"]), "--scores", str(files["scores"]), "--json"]
        env = {**os.environ, "SOCIAL_VALUE_HOME": str(out / "home")}
        floor_cmd = [sys.executable, "-c", FLOOR, str(files["rubric"]), str(files["scores"]),
                     *(str(files["bids"] / f) for f in ("bids.csv", "responses.csv", "commitments.csv"))]
        evaluate_s, floor_s, evaluate_cpu, floor_cpu, document = [], [], [], [], b""
        for _ in range(args.repeats):  # interleaved, so both see the same load on the machine
            seconds, cpu, document = _timed(cmd, cwd=ROOT, env=env)
            evaluate_s.append(seconds)
            evaluate_cpu.append(cpu)
            seconds, cpu, _ = _timed(floor_cmd, cwd=ROOT)
            floor_s.append(seconds)
            floor_cpu.append(cpu)
        doc = json.loads(document)
        lots = doc.get("lots", [])
        n_bids = sum(len(lot.get("bids", [])) for lot in lots)
        passed_over = sum(len(lot.get("passed_over") or []) for lot in lots)
        e_med, f_med = float(np.median(evaluate_s)), float(np.median(floor_s))
        e_cpu, f_cpu = float(np.median(evaluate_cpu)), float(np.median(floor_cpu))
        print(f"{len(lots)} lots, {n_bids} bids, {args.commitments} commitments a bid, three-level tree; "
              f"{passed_over} bids passed over by the award limit")
        print(f"evaluate --json: median {e_med:.2f} s, best {min(evaluate_s):.2f} s of {args.repeats} "
              f"(target under {TARGET_S:g} s: {'met' if e_med < TARGET_S else 'NOT met'})")
        print(f"floor (python, import pandas, read the same 5 files): median {f_med:.2f} s, best {min(floor_s):.2f} s")
        print(f"CPU (user + sys): evaluate median {e_cpu:.2f} s, best {min(evaluate_cpu):.2f} s "
              f"(target under {TARGET_S:g} s: {'met' if e_cpu < TARGET_S else 'NOT met'}); "
              f"floor median {f_cpu:.2f} s, best {min(floor_cpu):.2f} s")
        print(f"evaluate / floor (medians): {e_med / f_med:.2f}x wall, {e_cpu / f_cpu:.2f}x CPU; "
              f"JSON {len(document) / 1e6:.1f} MB")
        print(json.dumps({"lots": len(lots), "bids": n_bids, "passed_over": passed_over, "repeats": args.repeats,
                          "evaluate_median_s": round(e_med, 3), "evaluate_best_s": round(min(evaluate_s), 3),
                          "floor_median_s": round(f_med, 3), "floor_best_s": round(min(floor_s), 3),
                          "ratio_of_medians": round(e_med / f_med, 2),
                          "evaluate_cpu_median_s": round(e_cpu, 3), "evaluate_cpu_best_s": round(min(evaluate_cpu), 3),
                          "floor_cpu_median_s": round(f_cpu, 3), "floor_cpu_best_s": round(min(floor_cpu), 3),
                          "ratio_of_cpu_medians": round(e_cpu / f_cpu, 2), "target_s": TARGET_S,
                          "cores": os.cpu_count()}))
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
