"""A review as people read it: the readable text, the CSV tables, and the charts of the app's Review page.

Titles, buyer names and messages come from published notices, so the text escapes control characters
(one entry, one line) and the CSV never hands a spreadsheet a formula.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .flags import flag_words
from .review_criteria import SV_MINIMUM
from .review_maturity import MATURITY_LEVELS
from .review_portfolio import tender_codes, tender_sv_weight

if TYPE_CHECKING:
    from .review import Review

LOT_COLUMNS = ["source", "kind", "ocid", "title", "buyer", "lot", "criteria", "weight_total", "social_value_weight",
               "design_status", "flags"]


def lot_rows(review: Review) -> list[dict]:
    """One row per tender and lot, for CSV and the app's table."""
    rows = []
    for t in review.tenders:
        tcodes = [f["code"] for f in t["flags"]]
        for lot in t["lots"] or [{"id": None, "criteria": [], "weight_total": None, "social_value_weight": None,
                                  "flags": []}]:
            crit = "; ".join(f"{c['type'] or '?'}:{_label(c)}={_show_weight(c)}" for c in lot["criteria"])
            codes = sorted(set(tcodes) | {f["code"] for f in lot["flags"]})
            rows.append({"source": t["source"], "kind": t["kind"], "ocid": t["ocid"], "title": t["title"],
                         "buyer": t["buyer"], "lot": lot["id"], "criteria": crit, "weight_total": lot["weight_total"],
                         "social_value_weight": lot["social_value_weight"], "design_status": t["design_status"],
                         "flags": " ".join(codes)})
    return rows


def _label(c: dict) -> str:
    """A criterion's name; in a criteria tree (DESIGN 9.1) with its path of ids, so sub-criteria read in place."""
    if "path" in c:
        return f"{c['path']} {c['name'] or ''}".rstrip()
    return c["name"] or ""


def tree_lines(t: dict) -> list[str]:
    """A rubric's criteria tree, one line per node indented by level, with its effective weight (points of 100)."""
    lots = [lot["id"] for lot in t["lots"] if lot["id"] is not None]
    head = f"  {t['ocid'] or '?'}  {t['title'] or ''}" + (f"  (lots {', '.join(map(str, lots))})" if lots else "")
    out = [head]
    for c in (t["lots"][0]["criteria"] if t["lots"] else []):
        weight = "pass/fail" if c["weight_kind"] == "pass_fail" else _show_weight(c)
        out.append("    " + "  " * (c.get("level", 1) - 1) + f"{c.get('id') or ''} {c['name'] or ''}: {weight}"
                   + (" (social value)" if c.get("social_value") else ""))
    return out


def _show_weight(c: dict) -> str:
    if c["weight"] is None:
        return c["weight_kind"] or "?"
    if c["weight_min"] is not None and c["weight_max"] is not None and c["weight_min"] != c["weight_max"]:
        return f"{c['weight_min']:g}-{c['weight_max']:g}"
    return f"{c['weight']:g}"


def flag_rows(review: Review) -> list[dict]:
    rows = []
    for t in review.tenders:
        for f in t["flags"]:
            rows.append({"ocid": t["ocid"], "title": t["title"], "buyer": t["buyer"], **f})
        for lot in t["lots"]:
            for f in lot["flags"]:
                rows.append({"ocid": t["ocid"], "title": t["title"], "buyer": t["buyer"], **f})
    return rows


def write_csv(review: Review, folder: Path | str) -> list[Path]:
    """lots.csv (one row per tender and lot), buyers.csv (maturity), summary.csv (metric, value),
    flags.csv and problems.csv into `folder`."""
    import csv

    from .spreadsheet import formula_safe

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    s = review.summary
    summary = [
        ("tenders", s["tenders"]), ("lots", s["lots"]), ("input problems", s["problems"]),
        ("tenders weighting social value", s["weight_social_value"]["tenders"]),
        ("share weighting social value", s["weight_social_value"]["share"]),
        ("tenders meeting the 10% minimum", s["meet_10_percent"]["tenders"]),
        ("weighted tenders below 10%", s["meet_10_percent"]["below"]),
    ] + [(f"social value weight {k}", v) for k, v in s["social_value_weight"].items() if k not in ("bands",)] \
      + [(f"tenders weighting social value {b['band']}", b["tenders"]) for b in s["social_value_weight"]["bands"]] \
      + [(f"design status {k}", v) for k, v in s["design"].items()] \
      + [(f"design gap {g['code']} {g['name']} (tenders)", g["tenders"]) for g in s["design_gaps"]] \
      + [(f"buyers at {k}", v) for k, v in s["maturity_counts"].items()] + [("maturity rule", s["maturity_rule"])]
    tables = {
        "lots.csv": (LOT_COLUMNS, lot_rows(review)),
        "buyers.csv": (["buyer", "tenders", "weighted", "meet_minimum", "designed", "delivered",
                        "text_only", "maturity", "reason"], s["buyers"]),
        "summary.csv": (["metric", "value"], [{"metric": k, "value": v} for k, v in summary]),
        "flags.csv": (["ocid", "title", "buyer", "lot", "code", "name", "severity", "criterion", "message", "fix"],
                      flag_rows(review)),
        "problems.csv": (["source", "where", "code", "name", "severity", "message", "fix"], review.problems),
    }
    written = []
    for name, (cols, rows) in tables.items():
        path = folder / name
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
            w.writeheader()
            # buyer names, titles and messages come from published notices: never let a spreadsheet run them
            w.writerows({k: formula_safe(v) for k, v in row.items()} for row in rows)
        written.append(path)
    return written


STATUS_WORDS = {"designed": "Designed with outcomes", "partly_designed": "Partly designed",
                "figures_only": "Figures only", "design_not_published": "Design not published",
                "text_only": "Mentioned in text only", "not_weighted": "Social value not weighted"}
MEETS = {True: "Meets the 10% minimum", False: "Below the 10% minimum"}


def gap_label(code: str, name: str) -> str:
    """A design gap in words, its code after: "Too many outcomes (SV303)"."""
    words = str(name or "").replace("-", " ").replace("_", " ").strip()
    return f"{words[:1].upper()}{words[1:]} ({code})" if code else words


def portfolio_charts(summary: dict) -> dict:
    """Altair charts of the portfolio (pure: data in, chart specs out), for the app's Review page. Counts
    have whole-number ticks, every bar is labelled in words, and heights come from the number of bars."""
    import altair as alt
    import pandas as pd

    from .charts import count_axis, name_axis

    bands = pd.DataFrame(summary["social_value_weight"]["bands"])
    if bands.empty:
        bands = pd.DataFrame({"band": [], "from": [], "tenders": []})
    bands["reading"] = [MEETS[bool(f >= SV_MINIMUM)] for f in bands["from"]]
    top = max([1] + [int(v) for v in bands["tenders"]])
    # bars across, a row per band (its height by step): a legend above never squashes the bars
    weight = alt.Chart(bands).mark_bar().encode(
        y=alt.Y(field="band", type="nominal", sort=list(bands["band"]), title="Social-value weight",
                axis=alt.Axis(labelOverlap=False)),
        x=alt.X(field="tenders", type="quantitative", title="Tenders", scale=alt.Scale(domain=[0, top]),
                axis=count_axis()),
        color=alt.Color(field="reading", type="nominal", title=None, sort=[MEETS[True], MEETS[False]],
                        scale=alt.Scale(domain=[MEETS[True], MEETS[False]], range=["#1b9e77", "#d95f02"]),
                        legend=alt.Legend(orient="top", direction="vertical")),
        tooltip=[alt.Tooltip(field="band", type="nominal", title="Social-value weight"),
                 alt.Tooltip(field="tenders", type="quantitative", title="Tenders"),
                 alt.Tooltip(field="reading", type="nominal", title="Reading")],
    ).properties(title="How much social value is weighted", height=alt.Step(26))
    design = pd.DataFrame({"status": [STATUS_WORDS.get(k, k.replace("_", " ")) for k in summary["design"]],
                           "tenders": list(summary["design"].values())})
    top = max([1] + [int(v) for v in design["tenders"]])
    status_chart = alt.Chart(design).mark_bar().encode(
        y=alt.Y(field="status", type="nominal", sort=None, title=None, axis=name_axis(design["status"])),
        x=alt.X(field="tenders", type="quantitative", title="Tenders", scale=alt.Scale(domain=[0, top]),
                axis=count_axis()),
        tooltip=[alt.Tooltip(field="status", type="nominal", title="Design"),
                 alt.Tooltip(field="tenders", type="quantitative", title="Tenders")],
    ).properties(title="Designed with outcomes, or figures only", height=alt.Step(26))
    gaps = pd.DataFrame(summary["design_gaps"][:10] or [{"code": "", "name": "", "tenders": 0, "lots": 0}])
    gaps["gap"] = [gap_label(c, n) for c, n in zip(gaps["code"], gaps["name"])]
    top = max([1] + [int(v) for v in gaps["tenders"]])
    gap_chart = alt.Chart(gaps).mark_bar().encode(
        y=alt.Y(field="gap", type="nominal", sort="-x", title=None, axis=name_axis(gaps["gap"], labelOverlap=False)),
        x=alt.X(field="tenders", type="quantitative", title="Tenders affected", scale=alt.Scale(domain=[0, top]),
                axis=count_axis()),
        tooltip=[alt.Tooltip(field="gap", type="nominal", title="Design gap"),
                 alt.Tooltip(field="tenders", type="quantitative", title="Tenders"),
                 alt.Tooltip(field="lots", type="quantitative", title="Lots")],
    ).properties(title="Most common design gaps", height=alt.Step(26))
    buyers = pd.DataFrame(summary["buyers"] or [{"buyer": "", "maturity": "stagnation", "tenders": 0}])
    counts = buyers.groupby("maturity").size().reindex(list(MATURITY_LEVELS), fill_value=0).reset_index(name="buyers")
    if not summary["buyers"]:
        counts["buyers"] = 0
    counts["stage"] = counts["maturity"].str.capitalize()
    top = max([1] + [int(v) for v in counts["buyers"]])
    maturity_chart = alt.Chart(counts).mark_bar().encode(
        y=alt.Y(field="stage", type="nominal", sort=[m.capitalize() for m in MATURITY_LEVELS], title=None,
                axis=name_axis(counts["stage"])),
        x=alt.X(field="buyers", type="quantitative", title="Buyers", scale=alt.Scale(domain=[0, top]),
                axis=count_axis()),
        tooltip=[alt.Tooltip(field="stage", type="nominal", title="Stage of maturity (Moxham)"),
                 alt.Tooltip(field="buyers", type="quantitative", title="Buyers")],
    ).properties(title="Buyers by stage of maturity", height=alt.Step(30))
    return {"weight": weight, "design": status_chart, "gaps": gap_chart, "maturity": maturity_chart}


def render(review: Review, limit: int = 40) -> str:
    """The readable report: the portfolio first, then the tenders with flags (the first `limit`)."""
    s = review.summary
    sv = s["social_value_weight"]
    out = [f"Reviewed {s['tenders']} tender(s) with {s['lots']} lot(s): {s['rubrics']} rubric(s), "
           f"{s['ocds_tenders']} from OCDS; {s['problems']} input problem(s).",
           f"Social value weighted in {s['weight_social_value']['tenders']} tender(s)"
           + (f" (share {s['weight_social_value']['share']:.0%})" if s['weight_social_value']['share'] is not None else "")
           + (f"; weight median {sv['median']:g}%, range {sv['min']:g}-{sv['max']:g}%" if sv.get("median") is not None else "")
           + f"; {s['meet_10_percent']['tenders']} meet the 10% minimum, {s['meet_10_percent']['below']} fall below it.",
           "Design: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in s["design"].items() if v) + "."]
    if s["design_gaps"]:
        out.append("Most common design gaps: " + "; ".join(f"{flag_words(g['code'])} ({g['code']}, {g['tenders']} tender{'' if g['tenders'] == 1 else 's'})"
                                                           for g in s["design_gaps"][:6]) + ".")
    out += ["", "Maturity per buyer (Moxham): " + ", ".join(f"{k} {v}" for k, v in s["maturity_counts"].items()),
            "  rule: " + s["maturity_rule"]]
    for b in s["buyers"][:limit]:
        out.append(f"  {b['buyer']}: {b['maturity']} ({b['reason']})")
    if len(s["buyers"]) > limit:
        out.append(f"  ... and {len(s['buyers']) - limit} more buyers (--json or --csv for all)")
    trees = [t for t in review.tenders if t["kind"] == "rubric" and t["lots"]
             and any("level" in c for c in t["lots"][0]["criteria"])]
    if trees:
        out += ["", "Criteria trees (effective weights, points of 100; a group's weight is the sum of its children's):"]
        for t in trees[:limit]:
            out += tree_lines(t)
        if len(trees) > limit:
            out.append(f"  ... and {len(trees) - limit} more (--json or --csv for all)")
    out += ["", "Tenders with flags:"]
    shown = 0
    for t in review.tenders:
        codes = tender_codes(t)
        if not codes:
            continue
        if shown >= limit:
            out.append("  ... more tenders with flags (--json or --csv for all)")
            break
        shown += 1
        sw = tender_sv_weight(t)
        out.append(f"  {t['ocid'] or '?'}  {t['title'] or ''}  [{t['buyer'] or 'buyer not named'}]  social value "
                   + ("not weighted" if sw is None else f"{sw:g}%"))
        for f in t["flags"]:
            out.append(f"    {flag_words(f['code'])} ({f['code']}, {f['severity']}): {f['message']}")
        for lot in t["lots"]:
            for f in lot["flags"]:
                out.append(f"    {flag_words(f['code'])} ({f['code']}, {f['severity']}) lot {lot['id'] or '-'}: {f['message']}")
    if review.problems:
        out += ["", "Input problems (skipped; the rest were reviewed):"]
        for p in review.problems[:limit]:
            out.append(f"  {p['source']}" + (f" {p['where']}" if p["where"] else "") + f": {p['message']}")
        if len(review.problems) > limit:
            out.append(f"  ... and {len(review.problems) - limit} more")
    # each entry is one line: a title, buyer or name holding a newline or an escape sequence is shown
    # escaped (terminal.shown), never as a forged line or a command to the terminal
    from .terminal import shown
    return "\n".join(shown(line) for line in out)
