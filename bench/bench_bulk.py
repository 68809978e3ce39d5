"""Benchmark: evaluate a bulk-form tender of 10,000 bids and 1,000,000 commitment rows, end to end, in two
shapes (a typical return, about 0.6 flags a row; a careless one, about 2.5 flags and 0.8 KB of JSON a row).

Generates each tender (bids.csv + commitments.csv) against the shipped home-care rubric, then times
`python -m evaluator evaluate --json` in a fresh process (best of the repeats, its JSON read through a pipe)
against a floor measured in the same run: a fresh process that imports pyarrow, reads the same CSV files and
writes as many bytes as evaluate wrote, through the same pipe, timed whole. It reports the ratio and the
peak memory of each (budget: under 3 GB). With --tree, other checkouts (an older commit's worktree) are
timed in the same run, so a change's cost is a ratio against the same floor.

    python bench/bench_bulk.py [--bids 10000] [--rows 1000000] [--out bench/out/bulk] [--reuse]
                               [--shapes typical flagged] [--tree ../older-checkout]

With --reuse, the tenders already generated in --out/<shape>/ are timed as they are.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parents[1]
RUBRIC = ROOT / "rubrics" / "home_care_north.yaml"

MEASURES = [  # code, unit, outcome, typical quantity, central proxy
    ("EMP-LOCAL-BARRIERS", "fte_year", "O1", 6, 23874),
    ("WELLBY", "wellby", "O2", 8, 13000),
    ("APPRENTICE", "apprentice_year", "O3", 3, 14763),
    ("CARBON-TCO2E", "tco2e", "O4", 20, 245),
    ("LOCAL-SPEND", "gbp", "", 50000, 1),
    ("VOLUNTEER-HOUR", "hour", "", 400, 12.21),
]
NARRATIVE = ("We will recruit through the local jobcentre and our community partners, pair every new starter "
             "with a mentor for their first six months, and report quarterly to the council with payroll "
             "evidence so that progress can be checked against the target.")


def _table(columns: dict) -> pa.Table:
    """NaN means 'not given': written as an empty cell (pyarrow would write the text 'nan', which the
    evaluator rightly refuses as a number nobody can have meant)."""
    return pa.table({k: pa.array(v, from_pandas=True) for k, v in columns.items()})


SHAPES = ("typical", "flagged")


def generate(out: Path, n_bids: int, n_rows: int, seed: int = 7, shape: str = "typical") -> None:
    """`typical`: the faults TOM-style returns show, about 0.6 flags a row. `flagged`: a careless return
    where most rows carry two or more flags (no narrative, no KPI, no deadweight, an inflated proxy, years
    past the term, delivery outside the area), so that the JSON is about 0.8 KB a commitment row: the
    shape where writing the flags, not checking the rows, is most of the work."""
    rng = np.random.default_rng(seed)
    bad = shape == "flagged"
    out.mkdir(parents=True, exist_ok=True)
    bidders = np.array([f"Bidder {i:05d} Ltd" for i in range(n_bids)], dtype=object)
    prices = rng.normal(4_600_000, 250_000, n_bids).round(-3)
    pacsv.write_csv(_table({
        "bidder": bidders, "price": prices,
        "supplier_id": np.array([f"GB-COH-{10000000 + i}" for i in range(n_bids)], dtype=object),
        "contact_email": np.array([f"bids{i}@supplier.example" for i in range(n_bids)], dtype=object),
        "contact_address": np.full(n_bids, "1 High Street, Northtown", dtype=object),
    }), out / "bids.csv")

    owner = np.sort(rng.integers(0, n_bids, n_rows))
    ids = np.arange(n_rows) - np.searchsorted(owner, owner)  # 0.. within each bid
    # A realistic mix for a framework's bulk return: most rows serve the buyer's outcomes and are
    # reasonably complete, with the faults the checks exist for at rates seen in TOM-style returns.
    m = rng.choice(len(MEASURES), n_rows, p=[.3, .15, .15, .25, .1, .05])
    codes = np.array([x[0] for x in MEASURES], dtype=object)[m]
    units = np.array([x[1] for x in MEASURES], dtype=object)[m]
    outcomes = np.array([x[2] for x in MEASURES], dtype=object)[m]
    typical = np.array([x[3] for x in MEASURES], dtype=float)[m]
    proxy = np.array([x[4] for x in MEASURES], dtype=float)[m]
    quantity = np.maximum(1, rng.gamma(2.0, typical / 2.0)).round(1)
    claimed_proxy = np.where(rng.random(n_rows) < (0.6 if bad else 0.2),
                             proxy * rng.uniform(1.1 if bad else 0.95, 2.0 if bad else 1.3, n_rows), np.nan).round(2)
    claimed_value = np.where(~np.isnan(claimed_proxy), quantity * claimed_proxy, np.nan).round(0)
    grades = np.array(["E0", "E1", "E2", "E3", "E4"], dtype=object)[rng.choice(5, n_rows, p=[.03, .07, .6, .25, .05])]
    dead = np.where(rng.random(n_rows) < (0.5 if bad else 0.85), rng.uniform(0.05, 0.5, n_rows).round(2), np.nan)
    attr = np.where(~np.isnan(dead), rng.uniform(0.05, 0.3, n_rows).round(2), np.nan)
    end = np.where(rng.random(n_rows) < (0.2 if bad else 0.03), 5, 4)
    away = [.3, .2, .2, .3] if bad else [.4, .3, .28, .02]
    local = np.array(["Northtown", "Easton", "Millbrook", "Leeds"], dtype=object)[rng.choice(4, n_rows, p=away)]
    narrative = np.where(rng.random(n_rows) < (0.5 if bad else 0.95), NARRATIVE, "Local jobs.").astype(object)
    kpi = np.where(rng.random(n_rows) < (0.5 if bad else 0.95), "Quarterly count with payroll evidence",
                   None).astype(object)
    cohort = np.char.add(np.char.add(owner.astype(str), "-"), ids.astype(str)).astype(object)
    cohort = np.where(rng.random(n_rows) < 0.01, "long-term unemployed residents", cohort)
    pacsv.write_csv(_table({
        "bidder": bidders[owner], "id": np.char.add("C", ids.astype(str)).astype(object),
        "measure": codes, "outcome": outcomes, "description": np.full(n_rows, "Commitment", dtype=object),
        "quantity": quantity, "unit": units, "claimed_proxy": claimed_proxy, "claimed_value": claimed_value,
        "start_year": np.ones(n_rows, dtype=np.int64), "end_year": end.astype(np.int64),
        "persistence_years": np.where(grades == "E3", 2, 0).astype(np.int64), "drop_off": np.full(n_rows, 0.2),
        "location": local, "beneficiaries": cohort,
        "evidence_grade": grades, "evidence_description": np.full(n_rows, "Monitoring data 2024", dtype=object),
        "deadweight": dead, "attribution": attr, "displacement": np.full(n_rows, np.nan),
        "deflator_rationale": np.where(~np.isnan(dead), "ONS local labour market trend", None).astype(object),
        "narrative": narrative, "kpi": kpi, "contract_specific": rng.random(n_rows) > 0.02,
    }), out / "commitments.csv")


def _run_measured(cmd: list[str], **kwargs) -> tuple[float, int, bytes, int, float]:
    """Run one process: (seconds, bytes written to stdout, stderr, exit code, its own peak memory in GiB).
    The peak is that process's (os.wait4), not the largest of every child this bench has started."""
    import tempfile
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, **kwargs)
        size = 0
        while chunk := proc.stdout.read(1 << 20):  # counted, not kept: this process stays small
            size += len(chunk)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        err.seek(0)
        return seconds, size, err.read(), proc.returncode, usage.ru_maxrss / 1024 / 1024  # KiB -> GiB


FLOOR = """
import sys, pyarrow.csv as c
tables = [c.read_csv(f) for f in sys.argv[2:]]
out, left, block = sys.stdout.buffer, int(sys.argv[1]), b"x" * (1 << 20)
while left > 0:
    left -= out.write(block[:min(left, len(block))])
"""


def time_floor(folder: Path, size: int, repeats: int) -> tuple[float, float]:
    """The floor: a fresh process that imports pyarrow, reads the same CSV files and writes as many bytes
    as evaluate wrote, through the same pipe, timed whole like evaluate. (best seconds, peak GiB)."""
    best, peak = float("inf"), 0.0
    for _ in range(repeats):
        seconds, wrote, err, code, rss = _run_measured(
            [sys.executable, "-c", FLOOR, str(size), str(folder / "bids.csv"), str(folder / "commitments.csv")])
        if code != 0 or wrote != size:
            sys.exit(f"the floor failed: {err.decode()[:2000]}")
        best, peak = min(best, seconds), max(peak, rss)
    return best, peak


def time_evaluate(folder: Path, tree: Path, repeats: int) -> tuple[float, float, float, int]:
    """`evaluate --json` of the code in `tree`, a fresh process each time. (best s, median s, peak GiB, bytes)."""
    times, peak, size = [], 0.0, 0
    for _ in range(repeats):
        seconds, size, err, code, rss = _run_measured(
            [sys.executable, "-m", "evaluator", "evaluate", "--rubric", str(RUBRIC), "--bids", str(folder), "--json"],
            cwd=tree, env={**os.environ, "SOCIAL_VALUE_HOME": str(folder / "home")})
        if code != 0:
            sys.exit(f"evaluate in {tree} failed ({code}): {err.decode()[:2000]}")
        times.append(seconds)
        peak = max(peak, rss)
    return min(times), float(np.median(times)), peak, size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bids", type=int, default=10_000)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "bulk",
                    help="a folder per shape is made in it")
    ap.add_argument("--shapes", nargs="+", choices=SHAPES, default=list(SHAPES))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--tree", type=Path, action="append", default=[],
                    help="also time the evaluator in this checkout (e.g. an older commit's worktree), in the "
                         "same run; repeatable")
    ap.add_argument("--reuse", action="store_true",
                    help="time the tenders already in --out instead of generating them again")
    ap.add_argument("--generate-only", metavar="SHAPE", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.generate_only:
        generate(args.out, args.bids, args.rows, shape=args.generate_only)
        return
    trees = [ROOT] + [t.resolve() for t in args.tree]
    results = []
    for shape in args.shapes:
        folder = args.out / shape
        if not (args.reuse and (folder / "bids.csv").is_file() and (folder / "commitments.csv").is_file()):
            # in a child: the generator's arrays must not swell this process
            subprocess.run([sys.executable, __file__, "--generate-only", shape, "--bids", str(args.bids),
                            "--rows", str(args.rows), "--out", str(folder)], check=True)
        mb = sum(f.stat().st_size for f in folder.glob("*.csv")) / 1e6
        for tree in trees:
            best, median, peak, size = time_evaluate(folder, tree, args.repeats)
            floor, floor_peak = time_floor(folder, size, args.repeats)
            rows = args.rows
            results.append({"shape": shape, "tree": str(tree), "csv_mb": round(mb), "json_mb": round(size / 1e6, 1),
                            "json_kb_per_row": round(size / 1e3 / rows, 2),
                            "evaluate_best_s": round(best, 2), "evaluate_median_s": round(median, 2),
                            "floor_best_s": round(floor, 2), "ratio": round(best / floor, 2),
                            "peak_gib": round(peak, 2), "floor_peak_gib": round(floor_peak, 2)})
            r = results[-1]
            print(f"{shape:8} {tree}: evaluate {best:.2f} s best of {args.repeats} (median {median:.2f}); floor "
                  f"{floor:.2f} s (read {mb:,.0f} MB of CSV with pyarrow, write {size / 1e6:,.0f} MB); "
                  f"ratio {r['ratio']:.2f}x; peak {peak:.2f} GiB (floor {floor_peak:.2f})", flush=True)
    print(json.dumps({"bids": args.bids, "commitments": args.rows, "cores": os.cpu_count(), "results": results,
                      "budget": "peak < 3 GB"}, indent=2))


if __name__ == "__main__":
    main()
