"""Benchmark: the full report set (evaluation report PDF, one assessment summary PDF per bid, results
workbook) for a tender of 20 bids (target < 5 s) and of 200 bids (target < 60 s), issue 4.

The tenders are made by replicating the six shipped home-care bids with perturbed names, prices and
quantities (and their evaluators' scores, four rows per criterion with a MODERATED one) into
bench/out/reports_<n>/. Each run times `write_report_set` on an evaluation already in memory (the
reports' own cost), and separately the whole `python -m evaluator report` in a fresh process (reading,
evaluating, fonts and all). Prints medians.

    python bench/bench_reports.py [--sizes 20 200] [--repeat 3] [--out bench/out]
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
TARGETS = {20: 5.0, 200: 60.0}


def generate(out: Path, n_bids: int, seed: int = 4) -> Path:
    """n_bids bid files and a scores.csv, made from the shipped sample bids."""
    rng = np.random.default_rng(seed)
    folder = out / f"reports_{n_bids}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    bases = []
    for f in sorted(SAMPLE.iterdir()):
        if f.suffix == ".yaml":
            bases.append(yaml.safe_load(f.read_text(encoding="utf-8")))
        elif f.suffix == ".json":
            bases.append(json.loads(f.read_text(encoding="utf-8")))
    scores = list(csv.DictReader((SAMPLE / "scores.csv").open(encoding="utf-8")))
    by_bidder: dict[str, list[dict]] = {}
    for s in scores:
        by_bidder.setdefault(s["bidder"], []).append(s)
    rows = []
    for i in range(n_bids):
        base = bases[i % len(bases)]
        doc = json.loads(json.dumps(base))
        name = f"{base['bidder']} – lot {i:03d} (Gŵyr)"
        doc["bidder"] = name
        doc["price"] = float(round(base["price"] * rng.uniform(0.9, 1.1), -3))
        for c in doc.get("commitments", []):
            if isinstance(c.get("quantity"), (int, float)):
                c["quantity"] = round(float(c["quantity"]) * rng.uniform(0.7, 1.3), 2)
                c.pop("claimed_value", None)
        (folder / f"bid_{i:04d}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        for s in by_bidder.get(base["bidder"], []):
            rows.append({**s, "bidder": name})
        crits = {s["criterion"] for s in by_bidder.get(base["bidder"], [])}
        for c in crits:  # make sure every scale criterion has a consensus score
            if not any(s["criterion"] == c and s["evaluator"] == "MODERATED" for s in by_bidder[base["bidder"]]):
                med = sorted(float(s["score"]) for s in by_bidder[base["bidder"]] if s["criterion"] == c)
                rows.append({"bidder": name, "criterion": c, "evaluator": "MODERATED",
                             "score": f"{med[len(med) // 2]:g}", "rationale": "Panel consensus after moderation."})
    with (folder / "scores.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["bidder", "criterion", "evaluator", "score", "rationale"])
        w.writeheader()
        w.writerows(rows)
    return folder


def time_in_process(folder: Path, out: Path, repeat: int) -> tuple[list[float], float, int]:
    from evaluator import evaluate, load_bids, load_rubric, load_scores
    from evaluator.pdf_kit import register_fonts
    from evaluator.provenance import Inputs
    from evaluator.report_set import write_report_set
    t0 = time.perf_counter()
    r = load_rubric(RUBRIC)
    b = load_bids(folder, r).require_valid()
    ev = evaluate(r, b, load_scores(folder / "scores.csv", r, b.bidders))
    t_eval = time.perf_counter() - t0
    register_fonts()
    times, cpu = [], []
    for _ in range(repeat):
        target = out / f"{folder.name}_set"
        if target.exists():
            shutil.rmtree(target)
        t, c = time.perf_counter(), time.process_time()
        made = write_report_set(ev, target, Inputs(scores_path=folder / "scores.csv"))
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    pages = _pages(made.evaluation_report)
    return times, cpu, t_eval, pages


def _pages(path: Path) -> int:
    try:
        from pypdf import PdfReader
    except ImportError:
        return -1
    return len(PdfReader(path).pages)


def time_cli(folder: Path, out: Path, repeat: int) -> tuple[list[float], list[float]]:
    """Wall time of the whole command, and its CPU time (user + system, from the child's rusage): on a
    shared machine the CPU time is the steadier figure."""
    import resource
    times, cpu = [], []
    for _ in range(repeat):
        target = out / f"{folder.name}_cli"
        if target.exists():
            shutil.rmtree(target)
        t = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-m", "evaluator", "report", "--rubric", str(RUBRIC), "--bids", str(folder),
                        "--scores", str(folder / "scores.csv"), "--out", str(target)], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return times, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 200])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = ap.parse_args()
    for n in args.sizes:
        folder = generate(args.out, n)
        reps = args.repeat if n <= 50 else max(1, min(args.repeat, 3))
        times, cpu, t_eval, pages = time_in_process(folder, args.out, reps)
        cli, cli_cpu = time_cli(folder, args.out, reps)
        target = TARGETS.get(n)
        med, med_cli = statistics.median(times), statistics.median(cli)
        verdict = "" if target is None else (f"target < {target:g} s (whole CLI, wall): "
                                             f"{'met' if med_cli < target else 'NOT met'}")

        def runs(xs):
            return ", ".join(f"{x:.2f}" for x in xs)
        print(f"{n} bids: report set in process median {med:.2f} s wall, {statistics.median(cpu):.2f} s CPU "
              f"(runs {runs(times)}); whole CLI median {med_cli:.2f} s wall, {statistics.median(cli_cpu):.2f} s "
              f"CPU (runs {runs(cli)}); evaluation alone {t_eval:.2f} s; evaluation report {pages} pages, "
              f"{n} summaries. {verdict}")


if __name__ == "__main__":
    main()
