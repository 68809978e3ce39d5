"""Benchmark: sensitivity of the winner, 10,000 draws for a 20-bid tender (issue 5 target: under 2 s).

Generates a 20-bid tender from the shipped home-care sample (each of the six sample bids cloned with a
new name, a price moved by up to ±8% and quantities scaled by 0.6-1.4), three evaluators' scores that
disagree in places, and a MODERATED score for most cells. Times, in this process, the draws and the
switching values (`sensitivity.analyse`, the model built from an existing evaluation), median of 5
runs; then the whole CLI command (`python -m evaluator sensitivity ... --draws 10000 --json`) in a
fresh process, which adds Python start-up, loading and evaluating the tender.

    python bench/bench_sensitivity.py [--bids 20] [--draws 10000] [--runs 5] [--out bench/out/sensitivity]
"""
from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RUBRIC = ROOT / "rubrics" / "home_care_north.yaml"
SAMPLE = ROOT / "sample_bids" / "home_care_north"
EVALUATORS = ["Helen Marsh", "David Okafor", "Priya Raman"]
SCALE = [0, 20, 40, 60, 80, 100]


def generate(out: Path, n_bids: int, seed: int = 11) -> Path:
    rng = np.random.default_rng(seed)
    bids = out / "bids"
    if out.exists():
        shutil.rmtree(out)
    bids.mkdir(parents=True)
    sources = sorted(p for p in SAMPLE.iterdir() if p.suffix in (".yaml", ".json"))
    docs = [json.loads(p.read_text()) if p.suffix == ".json" else yaml.safe_load(p.read_text()) for p in sources]
    names = []
    for i in range(n_bids):
        doc = json.loads(json.dumps(docs[i % len(docs)]))  # deep copy
        doc["bidder"] = f"{doc['bidder']} (variant {i:02d})"
        doc["price"] = round(float(doc["price"]) * rng.uniform(0.92, 1.08), -3)
        k = rng.uniform(0.6, 1.4)
        for c in doc.get("commitments", []):
            if c.get("quantity") is not None:
                c["quantity"] = round(float(c["quantity"]) * k, 2)
            if c.get("claimed_value") is not None and c.get("claimed_proxy") is not None:
                c["claimed_value"] = round(c["quantity"] * float(c["claimed_proxy"]), 2)
            elif c.get("claimed_value") is not None:
                c["claimed_value"] = round(float(c["claimed_value"]) * k, 2)
        (bids / f"bid_{i:02d}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
        names.append(doc["bidder"])
    with open(out / "scores.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["bidder", "criterion", "evaluator", "score", "rationale"])
        for name in names:
            for crit in ("Q1", "SVQ"):
                centre = int(rng.integers(2, 5))
                for e in EVALUATORS:
                    s = SCALE[int(np.clip(centre + rng.integers(-1, 2), 0, 5))]
                    w.writerow([name, crit, e, s, f"{e}'s reading of the response (benchmark)"])
                if rng.random() < 0.8:
                    w.writerow([name, crit, "MODERATED", SCALE[centre], "panel consensus (benchmark)"])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bids", type=int, default=20)
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "sensitivity")
    args = ap.parse_args()

    from evaluator import evaluate, load_bids, load_rubric, load_scores
    from evaluator import sensitivity

    out = generate(args.out, args.bids)
    rubric = load_rubric(RUBRIC)
    bidset = load_bids(out / "bids", rubric).require_valid()
    ev = evaluate(rubric, bidset, load_scores(out / "scores.csv", rubric, bidset.bidders))
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        result = sensitivity.analyse(ev, args.draws, seed=1)
        times.append(time.perf_counter() - t0)
    same = sensitivity.analyse(ev, args.draws, seed=1).to_json() == result.to_json()

    cmd = [sys.executable, "-m", "evaluator", "sensitivity", "--rubric", str(RUBRIC), "--bids", str(out / "bids"),
           "--scores", str(out / "scores.csv"), "--draws", str(args.draws), "--seed", "1", "--json"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    cli = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return 1
    doc = json.loads(proc.stdout)
    print(f"{args.bids} bids, {len(ev.commitments)} commitments, {args.draws:,} draws")
    print(f"analyse (draws + switching values), median of {args.runs}: {statistics.median(times):.3f} s "
          f"(min {min(times):.3f}, max {max(times):.3f}); target < 2 s: "
          f"{'met' if statistics.median(times) < 2 else 'NOT met'}")
    print(f"whole CLI command in a fresh process (start-up, load, evaluate, draws, JSON): {cli:.2f} s")
    print(f"same seed, same numbers: {same and doc == json.loads(json.dumps(result.to_json()))}")
    print("win probabilities: " + ", ".join(f"{b['bidder']} {b['win_probability']:.3f}" for b in doc["bids"][:4]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
