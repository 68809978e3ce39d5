"""One evaluation of a tender, end to end: load -> check -> value -> score -> compare.

`evaluate` returns an :class:`Evaluation` that keeps every intermediate table (the explain tables), so
the CLI, the app and the reports show the same numbers and the working behind them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from . import checks, kernel, scoring, valuation
from .bids import BidSet
from .columns import factorize, positions, quiet_numpy
from .design_checks import check_rubric
from .flags import SEVERITY_ORDER, empty_flags
from .rubric import Rubric
from .scoring import GROUP_COLUMNS, PASS_FAIL_COLUMNS
from .scores import LOT_COLUMN, empty_scores, scores_for_lot

LENSES = ("figures", "design")


@dataclass
class Evaluation:
    rubric: Rubric
    bidset: BidSet
    scores: pd.DataFrame
    commitments: pd.DataFrame        # every commitment with both lenses' working (valuation.credit)
    flags: pd.DataFrame              # SV1xx + SV2xx, one row per flag
    rubric_flags: pd.DataFrame       # SV3xx
    price: pd.DataFrame              # 6.1 per bid
    scale: pd.DataFrame              # 6.2 per bid and scale criterion
    attainment: pd.DataFrame         # 6.3 per bid and outcome
    results: pd.DataFrame            # one row per bid: marks, lenses, totals, ranks
    best_claimed: float = 0.0        # the figures lens's best eligible claim
    groups: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=GROUP_COLUMNS))  # 9.1 per bid and group
    pass_fail: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PASS_FAIL_COLUMNS))  # 9.2

    @property
    def official_lens(self) -> str:
        return self.rubric.official_lens

    @property
    def other_lens(self) -> str:
        return "figures" if self.official_lens == "design" else "design"

    def winner(self, lens: Optional[str] = None) -> Optional[str]:
        col = f"{lens or self.official_lens}_rank"
        top = self.results[self.results[col] == 1]
        return None if top.empty else str(top["bidder"].iat[0])

    # ---------------------------------------------------------------- machine output (DESIGN.md 7)
    @quiet_numpy
    def to_json(self, *, fragments: bool = False, flags: Optional[dict] = None) -> dict:
        """The DESIGN.md 7 document. With `fragments`, each bid's flags are pre-encoded orjson Fragments
        (for `json_bytes`); otherwise plain lists of dicts. `flags` (bidder -> value) replaces both."""
        r = self.results
        if flags is not None:
            flags_by_bid = flags
        elif fragments:
            flags_by_bid = _flags_json_by_bidder(self.flags, list(dict.fromkeys(self.results["bidder"].tolist())))
        else:
            flags_by_bid = _flags_by_bidder(self.flags)
        att = self.attainment
        outcomes = self.rubric.outcomes["id"].tolist()
        if len(att) and outcomes:  # the long table is bidder-major with outcomes in rubric order
            values = _within_cap(_numbers(att["attainment"]), self.rubric.spec.design.attainment_cap)
            n = len(outcomes)
            att_rows = [dict(zip(outcomes, values[k * n:(k + 1) * n])) for k in range(len(att) // n)]
        else:
            att_rows = [{} for _ in range(len(r))]
        num = {k: _numbers(r[k]) for k in ("total", "price_score", "quality_score", "social_value_score",
                                           "claimed_value", "figures_score", "credited_value", "design_score")}
        rank = {k: _ranks(r[k]) for k in ("rank", "figures_rank", "design_rank")}
        per_point = "price_per_point" in r.columns
        if per_point:
            num.update({k: _numbers(r[k]) for k in ("quality_points", "price_per_point")})
        eligible = r["eligible"].astype(bool).tolist()
        complete = r["complete"].astype(bool).tolist()
        out = [{
            "bidder": b,
            "eligible": eligible[i],
            "complete": complete[i],
            "total": num["total"][i],
            "rank": rank["rank"][i],
            "price_score": num["price_score"][i],
            "quality_score": num["quality_score"][i],
            "social_value_score": num["social_value_score"][i],
            **({"quality_points": num["quality_points"][i], "price_per_point": num["price_per_point"][i]}
               if per_point else {}),
            "lenses": {
                "figures": {"claimed_value": num["claimed_value"][i], "score": num["figures_score"][i],
                            "rank": rank["figures_rank"][i]},
                "design": {"credited_value": num["credited_value"][i], "score": num["design_score"][i],
                           "rank": rank["design_rank"][i], "attainment": att_rows[i]},
            },
            "flags": flags_by_bid.get(b, _NO_FLAGS),
        } for i, b in enumerate(r["bidder"].tolist())]
        doc = {
            "tender": self.rubric.tender.id,
            "official_lens": self.official_lens,
            "bids": out,
            "rubric_flags": _flag_records(self.rubric_flags),
        }
        return with_skipped(doc, self.bidset)

    def json_bytes(self, indent: bool = True) -> bytes:
        return encoded(self.to_json(fragments=True), indent)

    def write_json(self, stream, indent: bool = True) -> None:
        """`json_bytes`, written to a binary stream as it is made: the document is encoded with a marker
        where each bid's flags go (a NUL byte, which orjson never writes: it escapes control characters),
        and the flags are written in between, batch by batch. A bulk tender's 200+ MB of JSON never has
        to be held, or copied, whole."""
        import orjson
        bidders = self.results["bidder"].tolist()
        if len(set(bidders)) != len(bidders):  # not one evaluate() makes; the simple way is right for it
            stream.write(self.json_bytes(indent))
            return
        option = orjson.OPT_SERIALIZE_NUMPY | (orjson.OPT_INDENT_2 if indent else 0)
        pos = positions(bidders, self.flags["bidder"].to_numpy(dtype=object))
        marker = orjson.Fragment(b"\x00")
        with_flags = {bidders[p]: marker for p in np.unique(pos[pos >= 0]).tolist()}
        pieces = orjson.dumps(self.to_json(flags=with_flags), option=option).split(b"\x00")
        out = bytearray(pieces[0])  # gathered to a few MB per write: one system call, not two per bid
        written = 0
        for written, (_, view) in enumerate(_flag_json_batches(self.flags, bidders, pos), start=1):
            out += view
            out += pieces[written]
            if len(out) >= WRITE_CHUNK:
                stream.write(out)
                out.clear()
        stream.write(out)
        if written != len(pieces) - 1:
            raise RuntimeError(f"flags of {written} bids written for {len(pieces) - 1} places")  # a bug, not input

    # ---------------------------------------------------------------- the working behind each number
    def explain(self, bidder: str) -> dict[str, pd.DataFrame]:
        """The step tables for one bid, in the order a lead would walk a supplier through them."""
        if bidder not in set(self.results["bidder"]):
            from .exceptions import InputError
            raise InputError("is not a bidder in this evaluation", field="bidder", value=bidder)
        c = self.commitments[self.commitments["bidder"] == bidder]
        res = self.results.set_index("bidder").loc[bidder]
        walk_cols = [f"walk_{k}" for k, _ in valuation.WALK_STEPS]
        walk = pd.DataFrame({"step": [label for _, label in valuation.WALK_STEPS],
                             "amount": c[walk_cols].sum().to_numpy() if len(c) else np.zeros(len(walk_cols))})
        walk["running_total"] = walk["amount"].cumsum()
        walk.loc[len(walk)] = ["Credited (validated £)", np.nan, float(c["credited_value"].sum()) if len(c) else 0.0]
        marks = self._marks_table(bidder, res)
        tree = {}
        if (self.rubric.nodes["kind"].isin(["group", "pass_fail"])).any():  # a flat rubric's marks table is its tree
            tree = {"tree": scoring.tree_table(self.rubric, *(t[t["bidder"] == bidder] for t in (
                self.scale, self.pass_fail, self.groups, self.price)), res[f"{self.official_lens}_score"],
                self.official_lens)}
        return {
            "marks": marks,
            **tree,
            "price": self.price[self.price["bidder"] == bidder].reset_index(drop=True),
            "scale": self.scale[self.scale["bidder"] == bidder].reset_index(drop=True),
            "claimed": c[["id", "measure", "quantity", "unit", "claimed_proxy", "claimed_value",
                          "claimed_basis", "figures_value"]].reset_index(drop=True),
            "checks": self.flags[self.flags["bidder"] == bidder].reset_index(drop=True),
            "credit": c[["id", "measure", "served_outcome", "error_codes", "credited", "not_credited_reason",
                         "evidence_grade", "evidence_factor"]].reset_index(drop=True),
            "net_quantity": c[["id", "served_outcome", "quantity", "start_year", "end_year", "years_in_term",
                               "quantity_in_term", "deadweight_used", "attribution_used", "displacement_used",
                               "additionality", "evidence_factor", "net_quantity"]].reset_index(drop=True),
            "attainment": self.attainment[self.attainment["bidder"] == bidder].reset_index(drop=True),
            "valuation": c[["id", "measure", "per_year_quantity", "ref_value", "price_year", "additionality",
                            "evidence_factor", "persistence_credited_years", "drop_off", "df_sum",
                            "credited_value"]].reset_index(drop=True),
            "by_year": valuation.credited_by_year(c, self.rubric),
            "walk_by_commitment": c[["id", "not_credited_reason"] + walk_cols + ["credited_value"]].reset_index(drop=True),
            "walk": walk,
        }

    def _marks_table(self, bidder: str, res: pd.Series) -> pd.DataFrame:
        rows = []
        p = self.price[self.price["bidder"] == bidder]
        crit = self.rubric.price_criterion
        if crit is not None and len(p):
            pr = p.iloc[0]
            formula = (f"{crit.weight:g} × lowest £{pr.lowest:,.0f} / price £{pr.price:,.0f}" if pr.method == "relative"
                       else f"{crit.weight:g} × max(0, 1 - (£{pr.price:,.0f} - £{pr.lowest:,.0f}) / £{pr.lowest:,.0f})")
            rows.append({"criterion": crit.id, "part": "price", "weight": crit.weight, "working": formula,
                         "marks": pr.marks})
        for s in self.scale[self.scale["bidder"] == bidder].itertuples(index=False):
            working = (f"{s.weight:g} × {s.score:g} / {self.rubric.criterion_scale_max(s.criterion):g} ({s.basis})"
                       if s.scored else "unscored: 0")
            rows.append({"criterion": s.criterion, "part": "social value (qualitative)" if s.social_value else "quality",
                         "weight": s.weight, "working": working, "marks": s.marks})
        sv = self.rubric.sv_criterion
        if sv is not None:
            for lens in LENSES:
                if lens == "design":
                    working = f"{sv.weight:g} × design fraction {res.design_fraction:.2%} (priority-weighted attainment)"
                else:
                    working = (f"{sv.weight:g} × claimed £{res.claimed_value:,.0f} / best claimed £{self.best_claimed:,.0f}"
                               if self.best_claimed > 0 else f"{sv.weight:g} × 0 (no eligible bid claims anything)")
                official = " (official)" if lens == self.official_lens else " (for comparison)"
                rows.append({"criterion": sv.id, "part": f"social value, {lens} lens{official}", "weight": sv.weight,
                             "working": working, "marks": res[f"{lens}_score"]})
        for q in self.pass_fail[self.pass_fail["bidder"] == bidder].itertuples(index=False):
            rows.append({"criterion": q.criterion, "part": "pass/fail", "weight": 0.0,
                         "working": f"{q.result or 'unresolved'} ({q.basis})" + (": disqualified" if q.result == "fail"
                                                                                  else ""), "marks": 0.0})
        per_point = self.rubric.award == "price_per_quality_point"
        rows.append({"criterion": "TOTAL", "part": f"official lens: {self.official_lens}", "weight": 100.0,
                     "working": "quality points: quality + social value" if per_point else "price + quality + social value",
                     "marks": res.total})
        if per_point:
            working = (f"price £{res.price:,.0f} / {res.quality_points:.2f} quality points (lowest wins)"
                       if res.quality_points > 0 else "no quality points: no price per point")
            rows.append({"criterion": "PRICE PER POINT", "part": "award: price per quality point", "weight": np.nan,
                         "working": working, "marks": res.price_per_point})
        return pd.DataFrame(rows)


def with_skipped(doc: dict, bidset: BidSet) -> dict:
    """The document with the bids set aside listed (file and bidder), when any were."""
    if bidset.skipped:
        doc["skipped_bids"] = [{"file": s["file"], "bidder": s["bidder"]} for s in bidset.skipped]
    return doc


def encoded(doc: dict, indent: bool = True) -> bytes:
    """A document (its flags may be pre-encoded orjson Fragments) as the JSON bytes `evaluate --json` prints."""
    import orjson
    return orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY | (orjson.OPT_INDENT_2 if indent else 0))


def _num(v) -> Optional[float]:
    if v is None or (isinstance(v, float) and not np.isfinite(v)) or v is pd.NA:
        return None
    return round(float(v), 4)


def _numbers(s: pd.Series) -> list:
    """A column as JSON numbers rounded to 4 places, None where there is no number."""
    v = np.round(s.to_numpy(dtype=float, na_value=np.nan), 4)
    return [None if x != x or x in (np.inf, -np.inf) else x for x in v.tolist()]


def _within_cap(values: list, cap: float) -> list:
    """Attainments as written in JSON (rounded to 4 places like every number), never past the cap: with a
    cap of 0.12346, an attainment at the cap would round to 0.1235; it is written as the cap."""
    return [None if x is None else min(x, cap) for x in values]


def _ranks(s: pd.Series) -> list:
    return [None if x is pd.NA or x is None else int(x) for x in s.astype("Int64").tolist()]


FLAG_KEYS = ["code", "name", "severity", "commitment", "criterion", "message", "fix"]
_NO_FLAGS: list = []


def _flag_records(flags: pd.DataFrame) -> list[dict]:
    """Flags as JSON records, built column-wise (a bulk tender can carry a million flags)."""
    if flags is None or flags.empty:
        return []
    cols = [flags[k].astype(object).where(flags[k].notna(), None).tolist() for k in FLAG_KEYS]
    return [{"code": a, "name": b, "severity": c, "commitment": d, "criterion": e, "message": f, "fix": g}
            for a, b, c, d, e, f, g in zip(*cols)]


def _flags_by_bidder(flags: pd.DataFrame) -> dict[str, list[dict]]:
    if flags.empty:
        return {}
    out: dict[str, list[dict]] = {}
    for bidder, record in zip(flags["bidder"].tolist(), _flag_records(flags)):
        out.setdefault(bidder, []).append(record)
    return out


def _json_strings(values: np.ndarray):
    """A column of text (or None) as an Arrow array of JSON values, each followed by a comma, byte for
    byte what orjson writes for it. orjson encodes the whole column as one list (the fastest way to
    turn Python strings into UTF-8 and JSON), and the list's own bytes become the Arrow array: when no
    value needed escaping, every quote in them opens or closes a value, so the values' offsets are
    read straight off the quotes. Anything else (escapes, numbers from YAML) takes the careful way."""
    import orjson
    import pyarrow as pa
    import pyarrow.compute as pc

    values = np.asarray(values, dtype=object)
    n = len(values)
    blank = np.asarray(pd.isna(values), dtype=bool)  # JSON null; "" stands in while the text is read
    try:
        data = orjson.dumps(np.where(blank, "", values).tolist() + [""])
    except TypeError:
        data = None
    if data is not None:
        raw = np.frombuffer(data, dtype=np.uint8)
        quotes = np.flatnonzero(raw == ord('"'))
        if len(quotes) == 2 * (n + 1) and not (raw == ord("\\")).any():
            # '["a","b",""]': value i runs from its opening quote to the next value's, comma included
            text = pa.StringArray.from_buffers(n, pa.py_buffer(quotes[0::2].astype(np.int32)), pa.py_buffer(data))
            return pc.if_else(pa.array(blank), "null,", text) if blank.any() else text
    pieces, key = _json_pieces([values], ["", ","])
    return pieces.take(key)


def _json_pieces(columns: list, template: list[str]):
    """Columns with few distinct values (code, name, severity, fix...) written together as one piece of
    JSON per distinct combination, e.g. ',"fix":"..."}': orjson runs once per combination. Returns the
    pieces (an Arrow array) and each row's piece number, for Arrow's take to spread them to the rows.
    `template` has one more part than there are columns."""
    import orjson
    import pyarrow as pa

    key = np.zeros(len(columns[0]), dtype=np.int64)
    uniques = []
    for col in columns:
        codes, values = factorize(col)
        values = list(values) + [None]
        key = key * len(values) + np.where(codes < 0, len(values) - 1, codes)
        uniques.append(values)
    key, combos = pd.factorize(key)
    pieces = []
    for combo in combos.tolist():
        digits = []
        for values in reversed(uniques):
            combo, i = divmod(combo, len(values))
            digits.append(values[i])
        text = template[0]
        for value, after in zip(reversed(digits), template[1:]):
            text += orjson.dumps(value).decode() + after
        pieces.append(text)
    return pa.array(pieces, type=pa.string()), pa.array(key)


WRITE_CHUNK = 1 << 22
FLAG_BATCH = 65536  # flags written per Arrow pass: the JSON of a million flags never exists all at once


def _flag_json_batches(flags: pd.DataFrame, bidders: list, pos: Optional[np.ndarray] = None):
    """Each bid's flags as JSON (a memoryview of an Arrow buffer, valid until the next item), bid by bid
    in the order of `bidders` (unique names); bids without flags are not visited, nor are flags of no
    listed bid. Built column-wise in Arrow, a batch of rows at a time: every row is written once, with
    '[' before its bid's first flag and ',' or ']' after it, and each bid's list is a slice of that.
    `pos`: each flag's bid as a position in `bidders`, if the caller has it already."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if flags.empty:
        return
    if pos is None:
        pos = positions(bidders, flags["bidder"].to_numpy(dtype=object))
    order = np.argsort(pos, kind="stable") if (np.diff(pos) < 0).any() else None  # evaluate() sorts by bid
    if order is not None:
        pos = pos[order]
    keep = int(np.searchsorted(pos, 0))  # flags of no listed bid (-1) sort first and are left out
    col = {k: flags[k].to_numpy(dtype=object) for k in FLAG_KEYS}
    col = {k: (v if order is None else v[order])[keep:] for k, v in col.items()}
    pos = pos[keep:]
    if not len(pos):
        return
    first = np.r_[True, pos[1:] != pos[:-1]]
    last = np.r_[pos[1:] != pos[:-1], True]
    opener, closer = pa.array(["", "["], type=pa.string()), pa.array([",", "]"], type=pa.string())
    head = _json_pieces([col["code"], col["name"], col["severity"]],
                        ['{"code":', ',"name":', ',"severity":', ',"commitment":'])
    middle = _json_pieces([col["criterion"]], ['"criterion":', ',"message":'])  # after the commitment's comma
    tail = _json_pieces([col["fix"]], ['"fix":', '}'])  # after the message's comma
    starts = np.flatnonzero(first)
    cuts = np.unique(starts[np.searchsorted(starts, np.arange(0, len(pos), FLAG_BATCH), side="right") - 1])
    for a, b in zip(cuts.tolist(), cuts[1:].tolist() + [len(pos)]):
        rows = pc.binary_join_element_wise(
            opener.take(first[a:b].astype(np.int8)), head[0].take(head[1][a:b]),
            _json_strings(col["commitment"][a:b]), middle[0].take(middle[1][a:b]),
            _json_strings(col["message"][a:b]), tail[0].take(tail[1][a:b]),
            closer.take(last[a:b].astype(np.int8)), "")
        offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32, count=len(rows) + 1, offset=rows.offset * 4)
        data = memoryview(rows.buffers()[2])
        group = np.flatnonzero(first[a:b])
        ends = np.r_[group[1:], b - a]
        for p, s, e in zip(pos[a:b][group].tolist(), offsets[group].tolist(), offsets[ends].tolist()):
            yield p, data[s:e]


def _flags_json_by_bidder(flags: pd.DataFrame, bidders: list) -> dict:
    """Each bid's flags as ready-made JSON (orjson Fragments): a dict per flag for the encoder would
    cost seconds on a bulk tender's million flags."""
    import orjson
    return {bidders[p]: orjson.Fragment(bytes(view)) for p, view in _flag_json_batches(flags, bidders)}


DISQUALIFYING = ("SV203", "SV208", "SV209", "SV210")  # the codes that take a bid out of the ranking


@quiet_numpy
def evaluate(rubric: Rubric, bidset: BidSet, scores: Optional[pd.DataFrame] = None) -> Evaluation:
    """Score every usable bid under both lenses. `bidset` problems are the caller's to refuse or accept.
    The guarded steps (valuation, scoring) return the explain tables; the per-bid arithmetic is the
    kernel's, with one draw: the one sensitivity.py perturbs.

    `rubric` is a plain tender or one lot of a lotted one (`rubric.for_lot`); a lotted tender is
    lots.evaluate_tender's (each lot on its own). With a lot's rubric, only that lot's scores are read."""
    if rubric.has_lots:
        raise ValueError("evaluate: this rubric has lots; use lots.evaluate_tender (or evaluate each rubric.for_lot)")
    bids = bidset.bids.reset_index(drop=True)
    bidders = bids["bidder"].tolist()
    if len(set(bidders)) != len(bidders):
        raise ValueError("evaluate: a bidder is named twice in the bid set (load_bids sets such bids aside)")
    scores = scores if scores is not None else empty_scores()
    if rubric.lot is not None and LOT_COLUMN in scores.columns:
        scores = scores_for_lot(scores, rubric.lot.id)

    prepared = valuation.prepare(bidset.commitments, bids, rubric)
    working = valuation.lens_working(prepared, rubric)
    c_flags, error_codes = checks.check_commitments(prepared, rubric)
    valued = valuation.credit(prepared, working, error_codes)

    scale, scale_flags = scoring.scale_marks(scores, rubric, bidders)
    pass_fail, pf_flags = scoring.pass_fail(scores, rubric, bidders)
    n, crits = len(bidders), rubric.scale_criteria
    shape = (1, n, len(crits))  # one draw; the scale table is bidder-major
    thresholds = np.array([np.nan if c.threshold is None else float(c.threshold) for c in crits])
    # each gate a numpy bool per bid (never a Python bool: ~False is -1, a label no table has)
    gates = {"SV203": ~kernel.eligibility(scale["score"].to_numpy(dtype=float).reshape(shape), thresholds)[0]}
    pf_values = pass_fail["value"].to_numpy(dtype=float).reshape(1, n, -1) if len(pass_fail) else np.full((1, n, 0), np.nan)
    gates["SV208"] = kernel.pass_fail_failed(pf_values)[0]
    att = valuation.attainment(valued, rubric, bidders)
    sv209_flags, gates["SV209"] = scoring.mandatory_flags(att, rubric, bidders)
    sv210_flags, gates["SV210"] = scoring.budget_flags(bids, rubric)
    complete = (scale["scored"].to_numpy(dtype=bool).reshape(shape).all(axis=-1)[0]
                & ~np.isnan(pf_values).any(axis=-1)[0])
    marks = scale["marks"].to_numpy().reshape(shape)  # objects stay objects: see kernel.group_sum
    sv_cols = np.array([bool(c.social_value) for c in crits], dtype=bool)
    names = np.asarray(bidders, dtype=object)
    quality = kernel.bid_sums(marks[:, :, ~sv_cols], names)[0]
    sv_scale = kernel.bid_sums(marks[:, :, sv_cols], names)[0]
    sums = kernel.group_sum(np.stack([valued["figures_value"].to_numpy(dtype=float),
                                      valued["credited_value"].to_numpy(dtype=float)]),
                            positions(bidders, valued["bidder"]), range(n))
    claimed, credited = sums[0], sums[1]
    fraction = valuation.design_fraction(att, bidders).to_numpy()
    sv = rubric.sv_criterion
    sv_weight = sv.weight if sv is not None else 0.0

    def lens_marks(eligible: np.ndarray):
        price = scoring.price_marks(bids, rubric, pd.Series(eligible, index=bidders))
        price_score = price["marks"].to_numpy(dtype=float)
        figures_fraction, best = kernel.figures_fractions(claimed[None, :], eligible[None, :])
        return price, np.where(np.isnan(price_score), 0.0, price_score), figures_fraction[0], float(best[0])

    def leaf_marks(price_score: np.ndarray, figures_fraction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, k) marks of every leaf in rubric.criteria's order (the official lens for social value),
        and whether each leaf has what it needs (a scale criterion its score)."""
        kinds = rubric.criteria["kind"].tolist()
        ids = rubric.criteria["id"].tolist()
        out, known = np.zeros((n, len(ids))), np.ones((n, len(ids)), dtype=bool)
        scale_at = {c.id: j for j, c in enumerate(crits)}
        sv_marks = sv_weight * (fraction if rubric.official_lens == "design" else figures_fraction)
        for k, (cid, kind) in enumerate(zip(ids, kinds)):
            if kind == "price":
                out[:, k] = price_score
            elif kind == "scale":
                out[:, k] = marks[0, :, scale_at[cid]].astype(float)
                known[:, k] = scale["scored"].to_numpy(dtype=bool).reshape(n, len(crits))[:, scale_at[cid]]
            elif kind == "social_value":
                out[:, k] = sv_marks
        return out, known

    eligible = ~np.logical_or.reduce(list(gates.values()))
    price, price_score, figures_fraction, best = lens_marks(eligible)
    if rubric.has_tree:
        groups, below = scoring.groups_table(*leaf_marks(price_score, figures_fraction), rubric, bidders)
        gates["SV203"] = gates["SV203"] | below.any(axis=1)
        if below.any():  # the minimum took bids out: the lowest price and best claim are among the rest
            eligible = ~np.logical_or.reduce(list(gates.values()))
            price, price_score, figures_fraction, best = lens_marks(eligible)
            groups["below_min_share"] = below.ravel()
            fresh, _ = scoring.groups_table(*leaf_marks(price_score, figures_fraction), rubric, bidders)
            groups["marks"], groups["share_of_marks"] = fresh["marks"].to_numpy(), fresh["share_of_marks"].to_numpy()
    else:
        groups = pd.DataFrame(columns=scoring.GROUP_COLUMNS)

    base = pd.DataFrame({"bidder": bidders}).set_index("bidder", drop=False)
    columns = {"bidder": base["bidder"], "eligible": eligible, "complete": complete, "price": bids["price"].to_numpy(),
               "price_score": price_score, "quality_score": quality, "sv_scale_score": sv_scale,
               "claimed_value": claimed, "credited_value": credited, "figures_fraction": figures_fraction,
               "design_fraction": fraction, "figures_score": sv_weight * figures_fraction,
               "design_score": sv_weight * fraction}
    results = pd.DataFrame(columns, index=base.index)  # built once: a column added at a time costs each time
    per_point = rubric.award == "price_per_quality_point"
    prices = bids["price"].to_numpy(dtype=float, na_value=np.nan)
    more = {}
    for lens in LENSES:
        more[f"{lens}_total"] = key = pd.Series(kernel.totals(price_score, quality, sv_scale,
                                                              results[f"{lens}_score"].to_numpy()), index=results.index)
        if per_point:
            key = pd.Series(kernel.price_per_point(prices, key.to_numpy(dtype=float)[None, :])[0], index=key.index)
        more[f"{lens}_rank"] = scoring.rank(key, results["quality_score"], results["price"], results["eligible"],
                                            tie_break=rubric.tie_break, ascending=per_point,
                                            social_value=results[f"{lens}_score"] + results["sv_scale_score"])
    official = rubric.official_lens
    more["social_value_score"] = results[f"{official}_score"] + results["sv_scale_score"]
    more["total"] = more[f"{official}_total"]
    more["rank"] = more[f"{official}_rank"]
    if per_point:
        more["quality_points"] = more["total"]
        more["price_per_point"] = kernel.price_per_point(prices, more["total"].to_numpy(dtype=float)[None, :])[0]
    results = pd.concat([results, pd.DataFrame(more, index=results.index)], axis=1)
    results["disqualified_by"] = _codes_by_bid([(code, gates[code]) for code in DISQUALIFYING], n)
    results = results.reset_index(drop=True)
    claimed = pd.Series(claimed, index=bidders)

    bid_flags = [c_flags, scale_flags, pf_flags, scoring.min_share_flags(groups), sv209_flags, sv210_flags,
                 scoring.missing_responses(bidset.responses, rubric, bidders),
                 scoring.price_flags(price, rubric.abnormally_low),
                 scoring.claimed_share_flags(claimed, rubric), checks.quantity_outliers(prepared, rubric)]
    flags = pd.concat([f for f in bid_flags if not f.empty], ignore_index=True) if any(
        not f.empty for f in bid_flags) else empty_flags()
    if not flags.empty:  # by bid (in bid order), then severity, then code: as a lead reads them
        bid_pos = positions(bidders, flags["bidder"].to_numpy(dtype=object))
        sev = positions(list(SEVERITY_ORDER), flags["severity"].to_numpy(dtype=object))
        codes, names = factorize(flags["code"].to_numpy(dtype=object))  # ranked in code order
        code = np.append(np.argsort(np.argsort(names.astype(str), kind="stable")), -1)[codes]
        flags = flags.take(np.lexsort((code, sev, bid_pos))).reset_index(drop=True)
    return Evaluation(rubric=rubric, bidset=bidset, scores=scores, commitments=valued, flags=flags,
                      rubric_flags=check_rubric(rubric), price=price, scale=scale, attainment=att,
                      results=results, best_claimed=best, groups=groups.reset_index(drop=True),
                      pass_fail=pass_fail.drop(columns="value"))


def _codes_by_bid(gates: list, n: int) -> np.ndarray:
    """Each bid's disqualifying codes, in code order, as "SV203, SV208" ("" for none)."""
    out = np.full(n, "", dtype=object)
    for code, hit in gates:
        hit = np.asarray(hit, dtype=bool)
        out[hit] = np.where(out[hit] == "", code, out[hit] + ", " + code)
    return out


def self_assess(rubric: Rubric, bidset: BidSet, best_claimed: Optional[float] = None) -> dict:
    """A supplier's view of one draft bid: the buyer's checks with fixes, attainment, and the social-value
    marks under each lens. The figures lens is relative to the best claim in the field, which a supplier
    cannot see: they may pass a guess (`best_claimed`); by default their own claim is the best.
    For a tender with lots, the bid is checked against the lot it names (9.3)."""
    if rubric.has_lots:
        rubric = rubric.for_lot(_bid_lot(rubric, bidset))
    ev = evaluate(rubric, bidset)
    if ev.results.empty:
        from .exceptions import InputError
        raise InputError("the bid file holds no bid")
    row = ev.results.iloc[0]
    bidder = row["bidder"]
    claimed = float(row["claimed_value"])
    best = claimed if best_claimed is None else float(best_claimed)
    sv = rubric.sv_criterion
    weight = sv.weight if sv is not None else 0.0
    fig_fraction = min(1.0, max(0.0, claimed) / best) if best > 0 else 0.0
    panel_codes = {"SV203", "SV205", "SV206", "SV207"}  # the panel's scoring, not the supplier's to fix
    flags = ev.flags[~ev.flags["code"].isin(panel_codes)].reset_index(drop=True)
    att = ev.attainment
    return {
        "evaluation": ev,
        "bidder": bidder,
        "claimed_value": claimed,
        "credited_value": float(row["credited_value"]),
        "best_claimed": best,
        "figures_fraction": fig_fraction,
        "figures_score": weight * fig_fraction,
        "design_fraction": float(row["design_fraction"]),
        "design_score": float(row["design_score"]),
        "sv_weight": weight,
        "flags": flags,
        "attainment": att,
        "walk": ev.explain(bidder)["walk"],
        "lot": rubric.lot.id if rubric.lot is not None else None,
    }


def _bid_lot(rubric: Rubric, bidset: BidSet) -> str:
    """The lot a draft bid for a lotted tender names."""
    lots = [lot.id for lot in rubric.lots]
    named = bidset.bids["lot"].astype(str).tolist() if "lot" in bidset.bids.columns else []
    if not named or named[0] not in lots:
        from .exceptions import InputError
        raise InputError(f"names no lot of this tender ({', '.join(lots)}); a bid for a tender in lots says which "
                         "lot it is for", field="lot", value=named[0] if named else "")
    return named[0]


def self_assessment_json(sa: dict, rubric: Rubric) -> dict:
    att = sa["attainment"]
    return {
        "tender": rubric.tender.id,
        "bidder": sa["bidder"],
        **({"lot": sa["lot"]} if sa.get("lot") else {}),
        "official_lens": rubric.official_lens,
        "claimed_value": _num(sa["claimed_value"]),
        "credited_value": _num(sa["credited_value"]),
        "lenses": {
            "figures": {"best_claimed": _num(sa["best_claimed"]), "fraction": _num(sa["figures_fraction"]),
                        "score": _num(sa["figures_score"])},
            "design": {"fraction": _num(sa["design_fraction"]), "score": _num(sa["design_score"]),
                       "attainment": dict(zip(att["outcome"], _within_cap(
                           [_num(a) for a in att["attainment"]], rubric.spec.design.attainment_cap)))},
        },
        "flags": _flag_records(sa["flags"]),
        "rubric_flags": _flag_records(sa["evaluation"].rubric_flags),
    }
