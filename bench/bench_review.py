"""Benchmark: a pilot review of 100,000 published releases from one JSON Lines file (issue 6).

Generates the releases by varying real Sell2Wales releases (from ../shared/data/ocds_wales when present,
else the test fixtures): a fresh OCID each, one of 400 buyers, and award criteria in every encoding the
review reads (text weights "70", "70%", "15-40%", missing, unreadable; the award-criteria extension's
numbers; the core awardCriteria code), with social value weighted in some, mentioned only in text in
others, and a sprinkling of malformed lines and duplicate OCIDs. Then times
`python -m evaluator review FILE --json` in a fresh process and reads its peak memory.

Targets (issue 6): under 2 minutes and under 2 GB for 100,000 releases.

    python bench/bench_review.py [--releases 100000] [--out bench/out/review] [--gzip]
"""
from __future__ import annotations

import argparse
import copy
import gzip
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
WALES = ROOT.parent / "shared" / "data" / "ocds_wales"
FIXTURES = ROOT / "tests" / "fixtures" / "ocds"


def base_releases() -> list[dict]:
    if WALES.is_dir():
        return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(WALES.glob("*.json"))]
    pkg = json.loads((FIXTURES / "extension_package.json").read_text(encoding="utf-8"))
    return [r for r in pkg["releases"] if isinstance(r, dict) and "tender" in r]


def criteria_variant(rng: random.Random) -> dict | str | None:
    sv = rng.choice([0, 0, 0, 5, 10, 10, 15, 20])
    price = rng.choice([20, 30, 40, 50, 60])
    quality = 100 - price - sv
    style = rng.random()
    crit = [("quality", "Quality", quality), ("price", None, price)] + ([("quality", "Social value", sv)] if sv else [])
    if style < 0.35:  # text, as Sell2Wales publishes
        fmt = rng.choice(["{:g}", "{:g}%", "{:g} %"])
        return {"criteria": [{"type": t, **({"name": n} if n else {}), "description": fmt.format(w)} for t, n, w in crit]}
    if style < 0.55:  # the award-criteria extension
        return {"criteria": [{"type": t, "name": n or "Price",
                              "numbers": [{"number": w, "weight": "percentageExact"}]} for t, n, w in crit]}
    if style < 0.62:  # ranges
        return {"criteria": [{"type": t, **({"name": n} if n else {}), "description": f"{max(w - 5, 0):g}-{w + 5:g}%"}
                             for t, n, w in crit]}
    if style < 0.70:  # partial notice: only the first quality criterion and price
        return {"criteria": [{"type": "quality", "name": "Technical", "description": "10"},
                             {"type": "price", "description": "63.7"}]}
    if style < 0.75:
        return {"criteria": [{"type": "quality", "name": "Quality", "description": "about two thirds"},
                             {"type": "price"}]}
    if style < 0.90:
        return {"criteria": [{"type": "price"}]}
    return None


def generate(path: Path, n: int, gz: bool, seed: int = 6) -> int:
    rng = random.Random(seed)
    bases = base_releases()
    buyers = [f"Council {i:03d}" for i in range(400)]
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = (lambda p: gzip.open(p, "wb", compresslevel=1)) if gz else (lambda p: open(p, "wb"))
    with opener(path) as fh:
        for i in range(n):
            r = copy.copy(rng.choice(bases))
            tender = dict(r.get("tender") or {})
            r["ocid"] = f"ocds-bench-{i:07d}"
            r["id"] = f"{r['ocid']}-1"
            r["buyer"] = {"name": rng.choice(buyers), "id": "org"}
            lots = []
            for j, lot in enumerate(tender.get("lots") or [{"id": "1"}]):
                lot = dict(lot)
                ac = criteria_variant(rng)
                if ac is None:
                    lot.pop("awardCriteria", None)
                else:
                    lot["awardCriteria"] = ac
                lots.append(lot)
            tender["lots"] = lots
            r["tender"] = tender
            if i % 5000 == 17:
                fh.write(b'{"ocid": "broken", "tender": {"title": "cut off"\n')
            if i % 10000 == 3:
                r["ocid"] = "ocds-bench-0000000"  # a duplicate OCID
            fh.write(orjson.dumps(r))
            fh.write(b"\n")
    return path.stat().st_size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--releases", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "review")
    ap.add_argument("--gzip", action="store_true", help="write and review releases.jsonl.gz instead")
    ap.add_argument("--keep", action="store_true", help="reuse the generated file if it exists")
    args = ap.parse_args()
    path = args.out / ("releases.jsonl.gz" if args.gzip else "releases.jsonl")
    if not (args.keep and path.exists()):
        t0 = time.perf_counter()
        size = generate(path, args.releases, args.gzip)
        print(f"generated {args.releases:,} releases, {size / 2**20:,.0f} MB on disk, in "
              f"{time.perf_counter() - t0:.1f} s: {path}")
    out = args.out / "review.json"
    cmd = [sys.executable, "-m", "evaluator", "review", str(path), "--json"]
    timer = ["/usr/bin/time", "-v"] if os.path.exists("/usr/bin/time") else []
    t0 = time.perf_counter()
    with open(out, "wb") as fh:
        proc = subprocess.run(timer + cmd, cwd=ROOT, stdout=fh, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
        return 1
    peak_kb = next((int(line.split(":")[1]) for line in proc.stderr.splitlines()
                    if "Maximum resident set size" in line), None)
    if peak_kb is None:
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    doc = orjson.loads(out.read_bytes())
    s = doc["summary"]
    print(f"review --json of {args.releases:,} releases: {wall:.1f} s wall (target < 120 s), "
          f"peak memory {peak_kb / 2**20:.2f} GB (target < 2 GB)")
    print(f"  {s['tenders']:,} tenders, {s['lots']:,} lots, {s['problems']} input problems, "
          f"{s['weight_social_value']['tenders']:,} weight social value, {s['meet_10_percent']['tenders']:,} meet 10%, "
          f"{len(s['buyers'])} buyers; JSON {out.stat().st_size / 2**20:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
