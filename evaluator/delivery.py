"""Promised against delivered: tracking a contract's social-value commitments at contract stage.

One county found a quarter of the social value it had been promised was delivered. `track` reads the
contract holder's delivery returns (``delivery.csv``: ``bidder,commitment,period,delivered_quantity,
evidence_grade,evidence_description``) against the bid that won, and says for each commitment how much
was delivered and what share of it to date, what that delivery is worth by the same method as the
award (DESIGN.md 6.4), how far each of the buyer's outcomes has been attained by what was delivered,
and a rating in the Procurement Act 2023's contract performance categories.

Periods are contract periods: ``Y2`` (contract year 2) or ``Y2-Q3`` (its third quarter); ``2`` and
``year 2 quarter 3`` are read too. "To date" is the end of the latest period the holder reported.

The rules, so every number can be walked back:

* promised to date = the commitment's per-year quantity × the part of its years (within the term)
  that has elapsed by the latest reported period;
* share to date = delivered / promised to date; share of commitment = delivered / quantity in the term;
* credited delivered value = Σ over delivery rows of delivered quantity × reference proxy ×
  (1-deadweight)(1-attribution)(1-displacement) of the bid × evidence factor of the *delivery's*
  evidence grade × DF(year) — 6.4 applied to what happened instead of what was promised. Only
  commitments the award credited count (delivery against the rest is flagged SV402); persistence after
  delivery is not credited at contract stage;
* attainment (delivered) = min(attainment cap, Σ net delivered quantity / target) per design outcome,
  net as in 6.3 but with the delivery's evidence grade;
* rating of a commitment from its share to date against the rubric's `delivery_ratings` (defaults 95,
  80, 50: good, approaching target, requires improvement, else inadequate); a commitment not yet due
  has no rating. The contract's rating is the same scale applied to the mean share to date of its due
  commitments (each capped at 100%), weighted by what was due to date at the reference proxy (equal
  weights when no commitment has a proxy).

Flags: SV401 delivery reported without evidence (credited at nothing), SV402 delivery against a
commitment the award never credited, SV403 a credited commitment due to date with nothing reported.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from .flags import empty_flags, flag_words, make_flags
from .exceptions import EvaluatorError, InputError, InputErrors
from .rubric import GRADES, Rubric
from .documents import read_small_csv
from .suggestions import suggest
from .valuation import discount_factors

DELIVERY_COLUMNS = ["bidder", "commitment", "period", "delivered_quantity", "evidence_grade", "evidence_description"]
DELIVERY_REQUIRED = ["bidder", "commitment", "period", "delivered_quantity"]
RATINGS = ("good", "approaching target", "requires improvement", "inadequate")
PERIOD = re.compile(r"^\s*(?:y(?:ear)?\s*)?(\d{1,2})(?:\s*[-/,]?\s*q(?:uarter)?\s*([1-4]))?\s*$", re.I)


def parse_period(text: str) -> Optional[tuple[int, Optional[int]]]:
    """(contract year, quarter or None) from 'Y2', 'Y2-Q3', '2', 'year 2 quarter 3'; None if unreadable."""
    m = PERIOD.match(text or "")
    if not m:
        return None
    return int(m.group(1)), (int(m.group(2)) if m.group(2) else None)


def period_label(year: int, quarter: Optional[int]) -> str:
    return f"Y{year}" + (f"-Q{quarter}" if quarter else "")


def load_delivery(path: Path | str, rubric: Rubric, commitments: pd.DataFrame) -> pd.DataFrame:
    """The delivery returns, every row checked like scores.csv: a bidder with a bid in the tender, one of
    that bid's commitments, a period within the contract term, a finite quantity of 0 or more, an evidence
    grade E0-E4 (or empty), and no period reported twice or overlapping another for one commitment."""
    path = Path(path)
    _, rows = read_small_csv(path, DELIVERY_COLUMNS, DELIVERY_REQUIRED)
    problems: list[EvaluatorError] = []
    duration = rubric.tender.duration_years
    ids: dict[str, set] = {}
    for b, i in zip(commitments["bidder"].tolist(), commitments["id"].tolist()):
        ids.setdefault(b, set()).add(i)
    records = []
    spans: dict[tuple, list] = {}  # per commitment: the periods reported (a period given twice overlaps itself)
    for n, rec in rows:

        def bad(field: str, problem: str) -> None:
            problems.append(InputError(problem, file=path, where=f"row {n}", field=field, value=rec.get(field, "")))

        ok = True
        bidder, commitment = rec["bidder"], rec["commitment"]
        if not bidder:
            bad("bidder", "required but empty"); ok = False
        elif bidder not in ids:
            bad("bidder", "has no bid in this tender" + suggest(bidder, ids)); ok = False
        if not commitment:
            bad("commitment", "required but empty"); ok = False
        elif bidder in ids and commitment not in ids[bidder]:
            bad("commitment", f"is not a commitment in {bidder}'s bid ({', '.join(sorted(ids[bidder]))})"
                + suggest(commitment, ids[bidder])); ok = False
        period = parse_period(rec["period"])
        if period is None:
            bad("period", "is not a contract period: write Y1 for contract year 1, or Y1-Q2 for its second quarter")
            ok = False
        elif not 1 <= period[0] <= duration:
            bad("period", f"is outside the {duration}-year contract term"); ok = False
        try:
            qty = float(rec["delivered_quantity"])
        except ValueError:
            bad("delivered_quantity", "not a number"); ok = False
        else:
            if not math.isfinite(qty) or qty < 0 or qty > 1e12:
                bad("delivered_quantity", "must be a finite number, 0 or more"); ok = False
        grade = (rec.get("evidence_grade") or "").strip().upper() or None
        if grade is not None and grade not in GRADES:
            bad("evidence_grade", "must be E0, E1, E2, E3 or E4 (or empty when there is no evidence)"); ok = False
        if not ok:
            continue
        year, quarter = period
        start = year - 1 + ((quarter - 1) / 4 if quarter else 0.0)
        end = year - 1 + (quarter / 4 if quarter else 1.0)
        key = (bidder, commitment)
        clash = next((other for other in spans.get(key, []) if other[0] < end and start < other[1]), None)
        if clash is not None:
            bad("period", f"overlaps {clash[2]} already reported for {commitment} (row {clash[3]})")
            continue
        spans.setdefault(key, []).append((start, end, period_label(year, quarter), n))
        records.append({"bidder": bidder, "commitment": commitment, "period": period_label(year, quarter),
                        "year": year, "quarter": quarter, "period_start": start, "period_end": end,
                        "delivered_quantity": qty, "evidence_grade": grade,
                        "evidence_description": rec.get("evidence_description") or None, "_row": n})
    if problems:
        raise InputErrors(problems)
    if not records:
        raise InputError("has no delivery rows: expected one row per commitment and period", file=path)
    return pd.DataFrame(records)


@dataclass
class Tracking:
    """Promised against delivered, with every step's table (the explain tables of contract stage)."""
    rubric: Rubric
    delivery: pd.DataFrame       # the returns, one row per commitment and period, with credited £ per row
    commitments: pd.DataFrame    # per holder and commitment: promised, delivered, shares, £, rating
    outcomes: pd.DataFrame       # per holder and design outcome: promised and delivered attainment
    by_period: pd.DataFrame      # per holder, outcome and period: cumulative promised and delivered
    contracts: pd.DataFrame      # per holder: the contract's rating
    flags: pd.DataFrame          # SV401-SV403

    def to_json(self) -> dict:
        th = self.rubric.spec.delivery_ratings
        out = []
        for c in self.contracts.to_dict("records"):
            b = c["bidder"]
            out.append({
                **_clean(c),
                "commitments": [_clean(r) for r in self.commitments[self.commitments["bidder"] == b]
                                .drop(columns=["bidder"]).to_dict("records")],
                "outcomes": [_clean(r) for r in self.outcomes[self.outcomes["bidder"] == b]
                             .drop(columns=["bidder"]).to_dict("records")],
                "flags": [_clean(r) for r in self.flags[self.flags["bidder"] == b].to_dict("records")],
            })
        return {"tender": self.rubric.tender.id,
                "thresholds": {"good": th.good, "approaching_target": th.approaching_target,
                               "requires_improvement": th.requires_improvement},
                "contracts": out,
                "by_period": [_clean(r) for r in self.by_period.to_dict("records")]}


def _clean(rec: dict) -> dict:
    out = {}
    for k, v in rec.items():
        if k.startswith("_"):
            continue
        if isinstance(v, (np.floating, float)):
            v = None if not math.isfinite(float(v)) else round(float(v), 6)
        elif isinstance(v, np.integer):
            v = int(v)
        elif isinstance(v, np.bool_):
            v = bool(v)
        elif v is pd.NA or (v is not None and not isinstance(v, (str, bool, int, list, dict)) and pd.isna(v)):
            v = None
        out[k] = v
    return out


def rate(share: pd.Series | np.ndarray, rubric: Rubric) -> np.ndarray:
    """Contract performance category for shares (0-1) delivered to date; None where nothing was due."""
    th = rubric.spec.delivery_ratings
    s = np.asarray(share, dtype=float) * 100
    out = np.select([s >= th.good - 1e-9, s >= th.approaching_target - 1e-9, s >= th.requires_improvement - 1e-9,
                     s >= 0], list(RATINGS), default="")
    return np.where(np.isnan(s), None, out).astype(object)


def _overlap(start: np.ndarray, last: np.ndarray, upto: np.ndarray) -> np.ndarray:
    """Years of [start-1, last] (contract years, last within the term) elapsed by time `upto`."""
    return np.clip(np.minimum(last, upto) - (start - 1), 0, None)


def track(rubric: Rubric, bidset, delivery_path: Path | str) -> Tracking:
    """Promised against delivered for every bidder in the delivery file (the contract holders)."""
    from .evaluation import evaluate

    ev = evaluate(rubric, bidset, None)
    valued = ev.commitments
    d = load_delivery(delivery_path, rubric, valued)
    holders = list(dict.fromkeys(d["bidder"].tolist()))
    duration = rubric.tender.duration_years
    ef = rubric.spec.design.evidence_factors
    df = discount_factors(duration, rubric.spec.discount.rate, rubric.spec.discount.first_year_discounted)
    as_of = d.groupby("bidder")["period_end"].max()
    as_of_label = d.sort_values("period_end").groupby("bidder")["period"].last()

    c = valued[valued["bidder"].isin(holders)].copy()
    c["_key"] = list(zip(c["bidder"], c["id"]))
    start = c["start_year"].to_numpy(dtype=float)
    last = np.minimum(c["end_year"].to_numpy(dtype=float), duration)
    upto = c["bidder"].map(as_of).to_numpy(dtype=float)
    per_year = c["per_year_quantity"].to_numpy(dtype=float)
    elapsed = _overlap(start, last, upto)
    c["promised_to_date"] = per_year * elapsed
    ref = np.nan_to_num(c["ref_value"].to_numpy(dtype=float), nan=0.0)
    add = c["additionality"].to_numpy(dtype=float)
    bid_ef = c["evidence_factor"].to_numpy(dtype=float)
    credited = c["credited"].to_numpy(dtype=bool)
    # the bid's own 6.4 value for the elapsed part of each year: the £ promised to date
    promised_value = np.zeros(len(c))
    for y in range(1, duration + 1):  # loops over contract years, not rows
        part = np.clip(np.minimum(np.minimum(last, upto), y) - np.maximum(start - 1, y - 1), 0, 1)
        promised_value += per_year * part * df[y]
    c["promised_value_to_date"] = np.where(credited, promised_value * ref * add * bid_ef, 0.0)

    # delivery rows: the commitment's deflators and proxy, the delivery's own evidence
    pos = pd.Index(c["_key"]).get_indexer(list(zip(d["bidder"], d["commitment"])))
    d["served_outcome"] = c["served_outcome"].to_numpy(dtype=object)[pos]
    d["credited_commitment"] = credited[pos]
    d["reference_proxy"] = ref[pos]
    d["additionality"] = add[pos]
    d["evidence_factor"] = d["evidence_grade"].map(lambda g: ef.get(g, 0.0) if g else 0.0).astype(float)
    d["discount_factor"] = df[d["year"].to_numpy(dtype=int)]
    d["net_quantity"] = np.where(d["credited_commitment"], d["delivered_quantity"] * d["additionality"]
                                 * d["evidence_factor"], 0.0)
    d["credited_value"] = d["net_quantity"] * d["reference_proxy"] * d["discount_factor"]
    d["unit"] = c["unit"].to_numpy(dtype=object)[pos] if "unit" in c else None

    per_c = d.groupby(["bidder", "commitment"]).agg(delivered_quantity=("delivered_quantity", "sum"),
                                                    credited_delivered_value=("credited_value", "sum"),
                                                    net_delivered=("net_quantity", "sum"),
                                                    periods=("period", "count"))
    keys = pd.MultiIndex.from_arrays([c["bidder"], c["id"]])
    per_c = per_c.reindex(keys)
    delivered = per_c["delivered_quantity"].fillna(0.0).to_numpy()
    table = pd.DataFrame({
        "bidder": c["bidder"].to_numpy(), "commitment": c["id"].to_numpy(), "measure": c["measure"].to_numpy(),
        "outcome": c["served_outcome"].to_numpy(dtype=object), "unit": c["unit"].to_numpy(dtype=object),
        "start_year": c["start_year"].to_numpy(), "end_year": c["end_year"].to_numpy(),
        "promised_quantity": c["quantity_in_term"].to_numpy(dtype=float),
        "promised_to_date": c["promised_to_date"].to_numpy(), "delivered_quantity": delivered,
        "periods_reported": per_c["periods"].fillna(0).astype(int).to_numpy(),
    })
    with np.errstate(divide="ignore", invalid="ignore"):
        table["share_of_commitment"] = np.where(table["promised_quantity"] > 0,
                                                delivered / table["promised_quantity"], np.nan)
        table["share_to_date"] = np.where(table["promised_to_date"] > 1e-12, delivered / table["promised_to_date"], np.nan)
    table["credited"] = credited
    table["not_credited_reason"] = c["not_credited_reason"].to_numpy(dtype=object)
    table["promised_value_to_date"] = c["promised_value_to_date"].to_numpy()
    table["credited_delivered_value"] = per_c["credited_delivered_value"].fillna(0.0).to_numpy()
    table["rating"] = pd.Series(rate(table["share_to_date"], rubric), index=table.index, dtype=object)
    table["_due_value"] = table["promised_to_date"] * ref  # the contract rating's weights (gross £ due)

    outcomes = _outcomes(rubric, holders, c, d, ev.attainment, as_of)
    by_period = _by_period(rubric, holders, c, d)
    contracts = _contracts(rubric, holders, table, as_of, as_of_label)
    flags = _flags(d, table)
    return Tracking(rubric=rubric, delivery=d, commitments=table, outcomes=outcomes, by_period=by_period,
                    contracts=contracts, flags=flags)


def _outcomes(rubric: Rubric, holders: list, c: pd.DataFrame, d: pd.DataFrame, attainment: pd.DataFrame,
              as_of: pd.Series) -> pd.DataFrame:
    cols = ["bidder", "outcome", "name", "unit", "target", "promised_net_quantity", "promised_attainment",
            "promised_net_to_date", "promised_attainment_to_date", "delivered_net_quantity", "attainment"]
    o = rubric.outcomes
    if o.empty:
        return pd.DataFrame(columns=cols)
    cap = rubric.spec.design.attainment_cap
    net_c = c.assign(_net_to_date=np.where(c["credited"], c["promised_to_date"] * c["additionality"]
                                           * c["evidence_factor"], 0.0))
    promised_to_date = net_c.groupby(["bidder", "served_outcome"])["_net_to_date"].sum()
    delivered = d.groupby(["bidder", "served_outcome"])["net_quantity"].sum()
    att = attainment.set_index(["bidder", "outcome"])
    rows = []
    for b in holders:
        for rec in o.to_dict("records"):
            key = (b, rec["id"])
            target = rec["target"]
            has_target = target is not None and target == target and target > 0
            p_net = float(att["net_quantity"].get(key, 0.0)) if key in att.index else 0.0
            p_date = float(promised_to_date.get(key, 0.0))
            got = float(delivered.get(key, 0.0))
            rows.append({"bidder": b, "outcome": rec["id"], "name": rec["name"], "unit": rec["unit"], "target": target,
                         "promised_net_quantity": p_net,
                         "promised_attainment": min(cap, p_net / target) if has_target else None,
                         "promised_net_to_date": p_date,
                         "promised_attainment_to_date": min(cap, p_date / target) if has_target else None,
                         "delivered_net_quantity": got,
                         "attainment": min(cap, got / target) if has_target else None})
    return pd.DataFrame(rows, columns=cols)


def _by_period(rubric: Rubric, holders: list, c: pd.DataFrame, d: pd.DataFrame) -> pd.DataFrame:
    """Cumulative promised and delivered quantity per outcome at the end of every reported period: the
    chart of promised against delivered over time (gross quantities in the outcome's unit, and net)."""
    cols = ["bidder", "outcome", "name", "unit", "target", "period", "period_end", "promised_quantity",
            "delivered_quantity", "promised_net", "delivered_net"]
    o = rubric.outcomes
    rows = []
    duration = rubric.tender.duration_years
    for b in holders:
        db = d[d["bidder"] == b]
        ends = db.drop_duplicates("period_end").sort_values("period_end")
        cb = c[c["bidder"] == b]
        for rec in o.to_dict("records"):
            serve = cb[cb["served_outcome"] == rec["id"]]
            start = serve["start_year"].to_numpy(dtype=float)
            last = np.minimum(serve["end_year"].to_numpy(dtype=float), duration)
            per_year = serve["per_year_quantity"].to_numpy(dtype=float)
            net_factor = np.where(serve["credited"], serve["additionality"] * serve["evidence_factor"], 0.0)
            dd = db[db["served_outcome"] == rec["id"]]
            for label, t in zip(ends["period"], ends["period_end"]):
                due = per_year * _overlap(start, last, np.full(len(serve), t))
                got = dd[dd["period_end"] <= t + 1e-9]
                rows.append({"bidder": b, "outcome": rec["id"], "name": rec["name"], "unit": rec["unit"],
                             "target": rec["target"], "period": label, "period_end": float(t),
                             "promised_quantity": float(due.sum()), "delivered_quantity": float(got["delivered_quantity"].sum()),
                             "promised_net": float((due * net_factor).sum()), "delivered_net": float(got["net_quantity"].sum())})
    return pd.DataFrame(rows, columns=cols)


def _contracts(rubric: Rubric, holders: list, table: pd.DataFrame, as_of: pd.Series,
               as_of_label: pd.Series) -> pd.DataFrame:
    rows = []
    for b in holders:
        t = table[(table["bidder"] == b) & table["share_to_date"].notna()]
        share = np.minimum(t["share_to_date"].to_numpy(dtype=float), 1.0)
        weights = t["_due_value"].to_numpy(dtype=float)
        all_b = table[table["bidder"] == b]
        if len(share) and np.nansum(weights) > 0:
            overall = float(np.nansum(share * weights) / np.nansum(weights))
        elif len(share):
            overall = float(np.mean(share))
        else:
            overall = float("nan")
        rows.append({"bidder": b, "as_of": as_of_label[b], "as_of_years": float(as_of[b]),
                     "commitments": int(len(all_b)), "commitments_due": int(len(t)),
                     "promised_value_to_date": float(all_b["promised_value_to_date"].sum()),
                     "credited_delivered_value": float(all_b["credited_delivered_value"].sum()),
                     "share_to_date": overall, "rating": rate([overall], rubric)[0]})
    if not rows:
        return pd.DataFrame(columns=["bidder", "as_of", "as_of_years", "commitments", "commitments_due",
                                     "promised_value_to_date", "credited_delivered_value", "share_to_date", "rating"])
    return pd.DataFrame(rows)


def _flags(d: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    blocks = []

    def add(code: str, rows: pd.DataFrame, message: pd.Series) -> None:
        blocks.append(make_flags(code, rows["bidder"].to_numpy(dtype=object), message.to_numpy(dtype=object),
                                 commitment=rows["commitment"].to_numpy(dtype=object)))

    units = d["unit"] if "unit" in d else pd.Series(None, index=d.index, dtype=object)
    no_ev = d[(d["delivered_quantity"] > 0) & (d["evidence_grade"].isna() | (d["evidence_grade"] == "E0"))]
    if len(no_ev):
        add("SV401", no_ev, no_ev["period"] + ": " + _amounts(no_ev["delivered_quantity"], units[no_ev.index])
            + " reported against " + no_ev["commitment"] + " with "
            + no_ev["evidence_grade"].map(lambda g: "a bare assertion (E0)" if g == "E0" else "no evidence")
            + "; credited at nothing until evidence is given")
    nc = table[(~table["credited"]) & (table["periods_reported"] > 0)]
    if len(nc):
        add("SV402", nc, "delivery of " + _amounts(nc["delivered_quantity"], nc["unit"])
            + " is reported against " + nc["commitment"] + ", which the award never credited ("
            + nc["not_credited_reason"].fillna("").astype(str) + "): it adds nothing to the buyer's outcomes")
    missing = table[table["credited"] & (table["periods_reported"] == 0) & (table["promised_to_date"] > 0)]
    if len(missing):
        add("SV403", missing, missing["commitment"] + ": " + _amounts(missing["promised_to_date"], missing["unit"])
            + " was due by now and nothing has been reported")
    return pd.concat(blocks, ignore_index=True) if blocks else empty_flags()


def _qty(v) -> str:
    """A quantity as a reader takes it: separators, at most two decimals (17.5, 18.75, 8.98, 1,850)."""
    return "-" if v is None or v != v else f"{v:,.0f}" if abs(v) >= 1e4 else f"{round(float(v), 2):,.4g}"


def _amount(v, unit) -> str:
    """A quantity in its unit, in words: 1,850 hours, 30 FTE-years, £158,000 (spend)."""
    from .formatting import money, unit_words
    if v is None or v != v:
        return "-"
    if unit_words(unit) == "£":
        return money(round(float(v), 2))
    text = _qty(v)
    return f"{text} {unit_words(unit, plural=text != '1')}".strip()


def _figure(v, unit) -> str:
    """A quantity without its unit words, but £ for spend (£158,000 of £243,750)."""
    from .formatting import unit_words
    return _amount(v, unit) if unit_words(unit) == "£" else _qty(v)


def _amounts(values: pd.Series, units: pd.Series) -> pd.Series:
    return pd.Series([_amount(v, u) for v, u in zip(values, units)], index=values.index, dtype=object)


def _pct(v) -> str:
    """A share (0-1) as a whole percentage; '-' where there is none (nothing due, no target)."""
    return "-" if v is None or v != v else f"{v:.0%}"


def _str(v) -> Optional[str]:
    return v if isinstance(v, str) and v else None


def render(tr: Tracking) -> str:
    """The readable report: each contract's rating, then its commitments and outcomes, then the flags."""
    from .formatting import gbp

    t = tr.rubric.tender
    th = tr.rubric.spec.delivery_ratings
    out = [f"Promised against delivered: {t.id} {t.title}",
           f"Ratings (Procurement Act contract performance): good >= {th.good:g}% of what was due, approaching "
           f"target >= {th.approaching_target:g}%, requires improvement >= {th.requires_improvement:g}%, else inadequate."]
    for c in tr.contracts.itertuples(index=False):
        out += ["", f"{c.bidder}, to the end of {c.as_of}: {_str(c.rating) or 'nothing due yet'} "
                f"({_pct(c.share_to_date)} of what was due); credited delivered {gbp(c.credited_delivered_value)} "
                f"against {gbp(c.promised_value_to_date)} promised to date (valued as at the award, at the reference proxies)"]
        rows = tr.commitments[tr.commitments["bidder"] == c.bidder]
        for r in rows.itertuples(index=False):
            out.append(f"  {r.commitment} {r.measure} ({_str(r.outcome) or 'no outcome'}): delivered "
                       f"{_figure(r.delivered_quantity, r.unit)} of {_figure(r.promised_to_date, r.unit)} due "
                       f"({_pct(r.share_to_date)}); "
                       f"{_pct(r.share_of_commitment)} of the {_amount(r.promised_quantity, r.unit)} "
                       f"promised; {_str(r.rating) or 'not yet due'}; "
                       f"credited {gbp(r.credited_delivered_value)}"
                       + ("" if r.credited else f" (never credited: {r.not_credited_reason})"))
        o = tr.outcomes[tr.outcomes["bidder"] == c.bidder]
        for r in o.itertuples(index=False):
            if r.target is None or r.target != r.target:
                continue
            out.append(f"  outcome {r.outcome} {r.name}: attained {_pct(r.attainment)} of the target "
                       f"{_amount(r.target, r.unit)} by delivery (net {_qty(r.delivered_net_quantity)}); the bid promised "
                       f"{_pct(r.promised_attainment_to_date)} by now")
        f = tr.flags[tr.flags["bidder"] == c.bidder]
        for x in f.itertuples(index=False):
            out.append(f"  {flag_words(x.code)} ({x.code}, {x.severity}) [{x.commitment}]: {x.message}")
    # each entry is one line: a title, buyer or name holding a newline or an escape sequence is shown
    # escaped (terminal.shown), never as a forged line or a command to the terminal
    from .terminal import shown
    return "\n".join(shown(line) for line in out)


def delivery_chart(by_period: pd.DataFrame, bidder: str):
    """Promised against delivered per outcome over time for one contract holder: an Altair chart (pure:
    the table in, the chart out), cumulative quantity in each outcome's own unit. One outcome under another
    (a phone shows every outcome, not the first column), each named in full, wrapped onto lines."""
    import textwrap

    import altair as alt

    d = by_period[by_period["bidder"] == bidder]
    long = pd.concat([
        d.assign(series="Promised", quantity=d["promised_quantity"]),
        d.assign(series="Delivered", quantity=d["delivered_quantity"]),
    ], ignore_index=True)
    from .formatting import unit_words
    unit = [unit_words(u) for u in long["unit"]]
    long["outcome"] = [textwrap.fill(f"{o} {n} ({u})", 48) for o, n, u in
                       zip(long["outcome"].astype(str), long["name"].astype(str), unit)]
    long = long[["outcome", "period", "period_end", "series", "quantity"]]
    order = list(dict.fromkeys(d.sort_values("period_end")["period"]))
    series = ["Promised", "Delivered"]
    return alt.Chart(long).mark_line(point=True).encode(
        x=alt.X(field="period", type="nominal", sort=order, title="Contract period (cumulative to its end)"),
        y=alt.Y(field="quantity", type="quantitative", title="Cumulative quantity"),
        color=alt.Color(field="series", type="nominal", title=None,
                        scale=alt.Scale(domain=series, range=["#7570b3", "#1b9e77"]), legend=alt.Legend(orient="top")),
        strokeDash=alt.StrokeDash(field="series", type="nominal", title=None,
                                  scale=alt.Scale(domain=series, range=[[5, 3], [1, 0]]), legend=None),
        tooltip=[alt.Tooltip(field="outcome", type="nominal", title="Outcome"),
                 alt.Tooltip(field="period", type="nominal", title="Period"),
                 alt.Tooltip(field="series", type="nominal", title="Series"),
                 alt.Tooltip(field="quantity", type="quantitative", title="Cumulative quantity", format=",.2f")],
    ).properties(width=270, height=160).facet(
        facet=alt.Facet(field="outcome", type="nominal", title=None, sort=list(dict.fromkeys(long["outcome"])),
                        header=alt.Header(labelExpr="split(datum.label, '\\n')", labelLimit=0, labelFontSize=12,
                                          labelAlign="left", labelAnchor="start")),
        columns=1).resolve_scale(y="independent")
