"""The evaluation report (PDF): the record of the award decision (Procurement Act 2023 s98)."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Optional

import pandas as pd

from .assessment_method import (criterion_title, indented, is_flat, lots_text, method_story, method_text,
                                per_point, walk_rows, weight_text)
from .bid_slices import by_bidder, given, in_rank_order, is_lots, shown_commitments, tree_marks
from .pdf_charts import CHART_BIDS, PALETTE, attainment_chart, claimed_credited_chart, ranks_chart
from .panel_record import panel_story
from .pdf_kit import (AUDIT_CHECK, Kit, esc, file_name, isnum, marks, money, num, pct, pence, plain, quantity,
                      rank_text, unit_money, when_made)
from .provenance import Inputs, fingerprints, settings_json
from .flags import flag_label
from .formatting import gbp, unit_words
from .price_base import report_story as price_base_story
from .why_not import award_rows, dq_reasons


def evaluation_report_pdf(ev, inputs: Optional[Inputs] = None, *, generated: Optional[str] = None) -> bytes:
    """The record of the award decision (Procurement Act 2023 s98): cover and method, ranking, figures
    against design with charts, one section per bid, appendix with checks, proxies and fingerprints."""
    from reportlab.platypus import PageBreak
    k = Kit()
    r = ev.rubric
    t = r.tender
    generated = generated or when_made()
    if is_lots(ev):
        story = lots_report_story(k, ev, generated)
    else:
        res = in_rank_order(ev.results)
        story = _cover(k, ev, generated, [
            ("Bids evaluated", f"{len(res)}" + (f" ({len(ev.bidset.skipped)} more set aside for problems in their "
                                                "files)" if ev.bidset.skipped else ""))])
        story.append(PageBreak())
        story += ranking_story(k, ev, res, f"Ranking under the official ({esc(ev.official_lens)}) lens")
        story.append(PageBreak())
        story += figures_story(k, ev, res)
        story += bid_sections(k, ev, res)
    story += _appendix(k, ev, inputs)
    return k.build(story, title=f"Evaluation report {t.id} {t.title}", header=f"{t.id} · {t.title} · Evaluation report",
                   author=t.buyer or "")


def _unit_of_value(code) -> str:
    """A proxy's unit, the thing one value is for: 'FTE-year', '£ spent', 'tonne of CO2e'."""
    words = unit_words(code, plural=False)
    return "£ spent" if words == "£" else words


def _cover(k: Kit, ev, generated: str, counted: list) -> list:
    r = ev.rubric
    t = r.tender
    story: list = []
    story.append(k.p("Evaluation report", k.title))
    story.append(k.p(f"{esc(t.id)}: {esc(t.title)}", k.h1))
    story.append(k.facts([
        ("Buyer", t.buyer or "not stated in the rubric"),
        ("Subject matter", t.subject_matter or "not stated in the rubric"),
        ("Contract value (whole term)", gbp(t.contract_value)),
        ("Duration", f"{t.duration_years} year{'s' if t.duration_years != 1 else ''}"),
        ("Local area", ", ".join(t.local_area) or "not stated"),
        ("Full criteria published at", t.criteria_url or "not stated in the rubric"),
        ("Official lens for the award", r.official_lens),
        *counted,
        ("Report generated", generated),
        ("Record keeping", "Keep this report with the inputs fingerprinted in the appendix for at least 3 years "
                           "(Procurement Act 2023, s98)."),
    ]))
    story.append(k.p("Method", k.h2))
    story.append(k.p(method_text(ev)))
    story += method_story(k, ev)
    return story


def _lot_facts(r) -> str:
    """A lot's own figures, as its evaluation used them (rubric.for_lot)."""
    t = r.tender
    targets = ", ".join(f"{o.id} {quantity(o.target, o.unit)}" for o in r.spec.design.outcomes if o.target is not None)
    return (f"Contract value {money(t.contract_value)} over {t.duration_years:g} year{'s' if t.duration_years != 1 else ''}"
            f"; local area {', '.join(t.local_area) or 'not stated'}" + (f"; outcome targets {targets}" if targets else "")
            + ".")


def ranking_story(k: Kit, ev, res: pd.DataFrame, heading: str, award: Optional[dict] = None,
                  lot_facts: Optional[str] = None) -> list:
    """The ranking of one evaluation (a tender, or one lot) with the disqualified and why."""
    other = ev.other_lens
    ppqp = per_point(ev.rubric)
    story = [k.p(heading, k.h1)]
    if lot_facts:
        story.append(k.p(esc(lot_facts), k.small))
    winner = ev.winner()
    if winner and ppqp:
        w = res.set_index("bidder").loc[winner]
        story.append(k.p(f"The eligible bid with the lowest price per quality point is <b>{esc(winner)}</b>: "
                         f"{pence(w['price_per_point'])} per quality point ({money(w['price'])} for "
                         f"{marks(w['quality_points'])} quality points)."))
    elif winner:
        story.append(k.p(f"The highest-scoring eligible bid is <b>{esc(winner)}</b> with "
                         f"{marks(res.set_index('bidder').loc[winner, 'total'])} of 100 marks."))
    else:
        story.append(k.p("No bid is eligible for the award."))
    if award is not None:
        story.append(k.p(_award_sentence(award)))
    counts = {b: g["severity"].value_counts() for b, g in by_bidder(ev.flags).items()}
    rows = []
    for b in res.itertuples(index=False):
        cnt = counts.get(b.bidder, pd.Series(dtype=int))
        flags = ", ".join(f"{int(cnt.get(s, 0))} {s}{'s' if cnt.get(s, 0) != 1 and s != 'info' else ''}"
                          for s in ("error", "warning", "info") if cnt.get(s, 0))
        first = [rank_text(b.rank) if b.eligible else "DQ", b.bidder]
        if ppqp:
            first += [marks(b.quality_points), money(b.price), pence(b.price_per_point)]
        else:
            first += [marks(b.total), marks(b.price_score), marks(b.quality_score)]
        rows.append(first + [marks(b.social_value_score), rank_text(getattr(b, f"{other}_rank")),
                             ("" if b.complete else "incomplete; ") + (flags or "none")])
    head = (["Rank", "Bidder", "Quality points", "Price £", "£ per quality point"] if ppqp else
            ["Rank", "Bidder", "Total", "Price", "Quality"])
    story.append(k.table(head + ["Social value", f"{other.title()} rank", "Flags"], rows,
                         [10, 40, 14, 18, 20, 14, 14, 32] if ppqp else [10, 48, 14, 14, 14, 16, 16, 34],
                         right={0, 2, 3, 4, 5, 6}))
    if ppqp:
        story.append(k.p("Ranked by £ per quality point, lowest first (price ÷ quality points).", k.small))
    dq = res[~res["eligible"].astype(bool)]
    by_flag = by_bidder(ev.flags)
    for b in dq["bidder"]:
        reasons = "; ".join(dq_reasons(by_flag.get(b))[1])
        story.append(k.p(f"Disqualified: <b>{esc(b)}</b>: {esc(reasons or 'below a minimum score')}", k.small))
    if ev.bidset.skipped:
        story.append(k.p("Set aside for problems in their files (not ranked): " + esc(", ".join(
            f"{s.get('bidder') or '?'} ({Path(s['file']).name})" for s in ev.bidset.skipped)), k.small))
    if not is_flat(ev.rubric):
        story += group_story(k, ev, res)
    return story


def lots_report_story(k: Kit, lev, generated: str) -> list:
    """A tender with lots: the cover and method (the tree and the lots), the award across lots with anyone
    passed over and why, then each lot on its own: ranking, group totals, figures against design, bids."""
    from reportlab.platypus import PageBreak
    r = lev.rubric
    limit = getattr(r.spec, "max_lots_per_supplier", None)
    evs = {lot.id: lev.evaluation(lot.id) for lot in r.lots}
    n_bids = sum(len(e.results) for e in evs.values())
    suppliers = len(set().union(*[set(e.results["bidder"]) for e in evs.values()])) if evs else 0
    skipped = (f" ({len(lev.bidset.skipped)} more set aside for problems in their files)"
               if lev.bidset.skipped else "")
    story = _cover(k, lev, generated, [
        ("Lots", "; ".join(f"{x.id} {x.title or ''}".strip() for x in r.lots)),
        ("Bids evaluated", f"{n_bids} in {len(r.lots)} lots, from {suppliers} supplier{'s' if suppliers != 1 else ''}"
                           + skipped),
        ("Award limit", f"at most {limit} lot{'s' if limit != 1 else ''} per supplier" if limit else
         "none: a supplier may be awarded every lot it wins")])
    rows = award_rows(lev)
    story.append(PageBreak())
    story.append(k.p("Award across lots", k.h1))
    story.append(k.p(esc(lots_text(r))))
    story.append(k.table(["Order", "Lot", "Title", "Contract value", "Awarded to", "Passed over, and why"],
                         [[f"{a['order']}" if a["order"] is not None else "-", a["lot"], a["title"],
                           money(a["contract_value"]), a["awarded_to"] or "not awarded: no eligible bid",
                           "; ".join(f"{b} ({why})" for b, why in a["passed_over"]) or "none"] for a in rows],
                         [12, 12, 34, 22, 40, 60], right={0, 3}))
    by_lot = {a["lot"]: a for a in rows}
    for lot in r.lots:
        ev = evs[lot.id]
        res = in_rank_order(ev.results)
        story.append(PageBreak())
        story += ranking_story(k, ev, res, f"Lot {esc(lot.id)}: {esc(lot.title or lot.id)}. Ranking under the "
                               f"official ({esc(ev.official_lens)}) lens", award=by_lot.get(lot.id),
                               lot_facts=_lot_facts(ev.rubric))
        story += figures_story(k, ev, res, in_lot=True)
        story += bid_sections(k, ev, res, lot=lot.id, award=by_lot.get(lot.id))
    return story


def _award_of(a: Optional[dict], bidder: str) -> str:
    if not a:
        return "-"
    if a["awarded_to"] == bidder:
        return "awarded to this bid"
    why = dict(a["passed_over"]).get(bidder)
    if why:
        return f"passed over: {why}"
    return f"awarded to {a['awarded_to']}" if a["awarded_to"] else "not awarded: no eligible bid"


def _award_sentence(a: dict) -> str:
    text = (f"Lot {esc(a['lot'])} is awarded to <b>{esc(a['awarded_to'])}</b>." if a["awarded_to"] else
            f"Lot {esc(a['lot'])} is not awarded: no eligible bid is left.")
    for b, why in a["passed_over"]:
        text += f" Passed over: <b>{esc(b)}</b> ({esc(why)})."
    return text


def group_story(k: Kit, ev, res: pd.DataFrame) -> list:
    """Each bid's marks per group of the tree, with the group minimum."""
    g = getattr(ev, "groups", None)
    if g is None or not len(g):
        return []
    every = list(dict.fromkeys(g["group"]))
    r = ev.rubric
    cell = {(b, x): (m, below) for b, x, m, below in zip(g["bidder"], g["group"], g["marks"], g["below_min_share"])}
    from reportlab.platypus import CondPageBreak
    story: list = [CondPageBreak(80), k.p("Group totals", k.h2)]
    for start in range(0, len(every), GROUPS_PER_TABLE):  # a page's width holds five groups: more go below
        groups = every[start:start + GROUPS_PER_TABLE]
        rows = []
        for b in res["bidder"]:
            row = [b]
            for x in groups:
                m, below = cell.get((b, x), (float("nan"), False))
                row.append(marks(m) + (" (below minimum)" if below else ""))
            rows.append(row)
        head = ["Bidder"] + [f"{x} {criterion_title(r.criterion(x))} (of {r.criterion(x).weight:g}"
                             + (f"; minimum {r.criterion(x).min_share:.0%})" if r.criterion(x).min_share else ")")
                             for x in groups]
        story.append(k.table(head, rows, [48] + [30] * len(groups), right=set(range(1, len(head)))))
    return story


GROUPS_PER_TABLE = 5


def figures_story(k: Kit, ev, res: pd.DataFrame, in_lot: bool = False) -> list:
    """Figures as claimed against the design: totals, the table and the three charts (for one lot of a
    tender with lots, under the lot's ranking)."""
    from reportlab.platypus import CondPageBreak
    off, other = ev.official_lens, ev.other_lens
    story: list = [CondPageBreak(90)] if in_lot else []
    story.append(k.p("Figures as claimed against the buyer's design", k.h2 if in_lot else k.h1))
    w_off, w_oth = ev.winner(off), ev.winner(other)
    if w_off and w_oth and w_off != w_oth:
        story.append(k.p(f"<b>The winner changes with the lens</b>: {esc(w_off)} under the {esc(off)} lens, "
                         f"{esc(w_oth)} under the {esc(other)} lens."))
    elif w_off:
        story.append(k.p(f"{esc(w_off)} ranks first under both lenses."))
    tot_claim, tot_cred = float(res["claimed_value"].sum()), float(res["credited_value"].sum())
    story.append(k.p(f"Across all bids, {money(tot_claim)} was claimed and {money(tot_cred)} survives validation "
                     f"({pct(tot_cred / tot_claim if tot_claim > 0 else float('nan'))} of the claims)."))
    rows = []
    for b in res.itertuples(index=False):
        share = b.credited_value / b.claimed_value if isnum(b.claimed_value) and b.claimed_value > 0 else float("nan")
        rows.append([b.bidder, money(b.claimed_value), money(b.credited_value), pct(share), marks(b.figures_score),
                     rank_text(b.figures_rank), marks(b.design_score), rank_text(b.design_rank)])
    story.append(k.table(["Bidder", "Claimed £", "Credited £", "Credited share", "Figures marks", "Figures rank",
                          "Design marks", "Design rank"], rows, [50, 22, 22, 16, 16, 14, 16, 14],
                         right={1, 2, 3, 4, 5, 6, 7}))
    chart_res = res.head(CHART_BIDS)
    more = f" (the first {CHART_BIDS} bids by official rank; every bid is in the table above)" if len(res) > CHART_BIDS else ""
    story.append(CondPageBreak(120))
    story.append(k.p("Claimed £ against credited £" + esc(more), k.h2))
    story.append(claimed_credited_chart(k, chart_res))
    story.append(CondPageBreak(160))
    story.append(k.p("Ranks under both lenses" + esc(more), k.h2))
    ranked = res[res["eligible"].astype(bool)]
    story.append(ranks_chart(k, ranked.head(CHART_BIDS)))
    att_bids = res["bidder"].head(len(PALETTE)).tolist()
    chart = attainment_chart(k, ev, att_bids)
    if chart is not None:
        story.append(CondPageBreak(230))
        extra = (f" (the first {len(PALETTE)} bids by official rank)" if len(res) > len(PALETTE) else "")
        story.append(k.p("Attainment of each outcome's target (design lens)" + esc(extra), k.h2))
        story.append(chart)
    return story


def _appendix(k: Kit, ev, inputs: Optional[Inputs]) -> list:
    from reportlab.platypus import PageBreak
    r = ev.rubric
    story: list = []
    story.append(PageBreak())
    story.append(k.p("Appendix", k.h1))
    story.append(k.p("A. Checks on the rubric's design", k.h2))
    rf = ev.rubric_flags
    story.append(k.table(["Check", "Severity", "Finding", "Fix"],
                         [[flag_label(f.code), f.severity, f.message, f.fix] for f in rf.itertuples(index=False)],
                         [36, 14, 65, 65]))
    story.append(k.p("B. Proxy table (reference £ values) with sources and licences", k.h2))
    prox = r.proxies.reset_index() if "code" not in r.proxies.columns else r.proxies
    prow = [[p.code, p.name, _unit_of_value(p.unit), unit_money(p.value), unit_money(p.low), unit_money(p.high),
             plain(p.price_year),
             p.kind, p.source, p.licence] for p in prox.itertuples(index=False)]
    story.append(k.table(["Code", "Name", "Unit", "Value", "Low", "High", "Price year", "Kind", "Source", "Licence"],
                         prow, [20, 26, 14, 12, 12, 12, 10, 11, 42, 21], right={3, 4, 5, 6}))
    story.append(k.p("C. Fingerprints of the inputs (SHA-256)", k.h2))
    story.append(k.p("Anyone can recompute these with any SHA-256 tool (sha256sum on Linux or macOS, Get-FileHash "
                     "in Windows PowerShell): the same files give the same fingerprints. Each file is named as it was "
                     "given to the tool.", k.small))
    fp = fingerprints(ev, inputs)
    story.append(k.table(["Role", "File", "Bytes", "SHA-256"],
                         [[x.role, file_name(x.file), num(x.bytes), k.p(esc(x.sha256), k.mono)]
                          for x in fp.itertuples(index=False)],
                         [18, 47, 15, 100], right={2}))
    ws_head = (inputs.workspace if inputs is not None else None) or None
    if ws_head:
        story.append(k.p(f"Evaluation record: the tender's workspace, audit log head <b>{esc(ws_head['head'])}</b> "
                         f"({esc(ws_head['chain'])} chain; full hash "
                         f"<font face='DejaVuSans-Bold'>{esc(ws_head['head_hash'])}</font>). {esc(AUDIT_CHECK)}",
                         k.small))
    sj = settings_json(ev, inputs)
    story.append(k.p(f"Settings (the rubric as read, with defaults, the proxy table and the run's options): "
                     f"SHA-256 <b>{hashlib.sha256(sj.encode('utf-8')).hexdigest()}</b> of the UTF-8 JSON text "
                     f"below.", k.small))
    story.append(k.p(esc(sj), k.mono))
    price_base = price_base_story(k, ev)  # D, when a proxy value was converted to the price base
    story += price_base
    story += panel_story(k, inputs, "E" if price_base else "D")  # the panel, from a workspace with users
    return story


def bid_sections(k: Kit, ev, res: pd.DataFrame, lot: Optional[str] = None, award: Optional[dict] = None) -> list:
    from reportlab.platypus import PageBreak
    story: list = []
    scores = by_bidder(ev.scores)
    scale = by_bidder(ev.scale)
    flags = by_bidder(ev.flags)
    comm = by_bidder(shown_commitments(ev))
    bids = ev.bidset.bids.set_index("bidder", drop=False)
    rindex = res.set_index("bidder", drop=False)
    tree = None if is_flat(ev.rubric) else by_bidder(tree_marks(ev))
    ppqp = per_point(ev.rubric)
    for n, b in enumerate(res["bidder"].tolist(), start=1):
        row = rindex.loc[b]
        story.append(PageBreak())
        status = (f"rank {rank_text(row['rank'])} under the official lens" if row["eligible"] else "disqualified")
        story.append(k.p((f"Lot {esc(lot)}, bid {n}: " if lot else f"Bid {n}: ") + esc(b), k.h1))
        info = bids.loc[b] if b in bids.index else {}
        result = (f"{marks(row['quality_points'])} quality points, {pence(row['price_per_point'])} per quality point"
                  if ppqp else f"{marks(row['total'])} of 100")
        story.append(k.facts([
            ("Result", f"{result}, {status}" + ("" if row["complete"] else "; incomplete scoring")),
            *([("Award of this lot", _award_of(award, b))] if award is not None else []),
            ("Price", money(row["price"])),
            ("Supplier identifier", given(info, "supplier_id")),
            ("Contact", "; ".join(x for x in (given(info, "contact_address", ""), given(info, "contact_email", "")) if x)
             or "not given in the bid"),
            ("Bid file", file_name(info.get("_file", "")) if hasattr(info, "get") else ""),
        ]))
        story.append(k.p("Marks and their working", k.h2))
        mt = ev._marks_table(b, row)
        story.append(k.table(["Criterion", "Part", "Weight", "Working", "Marks"],
                             [[m.criterion, m.part, f"{m.weight:g}", m.working, marks(m.marks)]
                              for m in mt.itertuples(index=False)], [16, 40, 14, 88, 16], right={2, 4}, bold_last=True))
        if tree is not None and b in tree:
            story.append(k.p("Marks by criterion, through the tree", k.h3))
            story.append(k.table(["Criterion", "Weight", "Score", "Marks"],
                                 [[f"{x.id} {indented(x.level, x.name)}", weight_text(ev.rubric.criterion(x.id)),
                                   x.score_text, "-" if x.kind == "pass_fail" else marks(x.marks)]
                                  for x in tree[b].itertuples(index=False)], [80, 20, 60, 20], right={1, 3}))
        story.append(k.p("Evaluators' scores and rationales", k.h2))
        s = scores.get(b)
        srows = []
        if s is not None:
            s = s.assign(_mod=(s["evaluator"] == "MODERATED")).sort_values(["criterion", "_mod"], kind="stable")
            pf = {c.id for c in getattr(ev.rubric, "pass_fail_criteria", None) or []}
            srows = [[x.criterion, x.evaluator, _score_text(x.score, x.criterion in pf), x.rationale]
                     for x in s.itertuples(index=False)]
        story.append(k.table(["Criterion", "Evaluator", "Score", "Rationale"], srows, [16, 28, 12, 124], right={2}))
        sc = scale.get(b)
        if sc is not None and len(sc):
            story.append(k.p("Disagreements and moderation", k.h3))
            fl = flags.get(b)
            dis = {} if fl is None else {x.criterion: x.message for x in fl[fl["code"].isin(["SV205", "SV206", "SV207"])].itertuples(index=False)}
            mrows = []
            for x in sc.itertuples(index=False):
                spread = (f"{x.lowest_score:g}–{x.highest_score:g}" if isnum(x.lowest_score) else "-")
                basis = {"moderated": "MODERATED consensus", "median": "median of evaluators (no consensus recorded)"}.get(
                    x.basis, str(x.basis) if x.scored else "unscored (0 marks)")
                mrows.append([x.criterion, f"{int(x.n_evaluators)}" if isnum(x.n_evaluators) else "0", spread,
                              marks(x.score) if x.scored else "-", basis, dis.get(x.criterion, "within two scale steps")])
            story.append(k.table(["Criterion", "Evaluators", "Range", "Score used", "Basis", "Disagreement"], mrows,
                                 [16, 16, 16, 16, 46, 70], right={1, 3}))
        c = comm.get(b, shown_commitments(ev).iloc[0:0])
        story.append(k.p("Commitments: claimed and credited", k.h2))
        fl = flags.get(b)
        codes_by_c = {} if fl is None else fl[fl["commitment"].notna()].groupby("commitment")["code"].apply(
            lambda s: ", ".join(s)).to_dict()
        crows = [[x.id, x.measure, plain(x.served_outcome) or "-", quantity(x.quantity, x.unit),
                  x.evidence_grade if isinstance(x.evidence_grade, str) else "-", money(x.figures_value),
                  money(x.credited_value), codes_by_c.get(x.id, ""), x.not_credited_reason or ""]
                 for x in c.itertuples(index=False)]
        story.append(k.table(["Id", "Measure", "Outcome", "Quantity", "Evidence", "Claimed £", "Credited £", "Flags",
                              "Not credited because"], crows, [10, 26, 16, 20, 16, 18, 18, 22, 34],
                             right={5, 6}))
        story.append(k.p("From claimed £ to credited £", k.h3))
        story.append(k.table(["Step", "Amount", "Running total"], walk_rows(c), [120, 30, 30], right={1, 2},
                             bold_last=True))
        story.append(k.p("Flags", k.h2))
        frows = [] if fl is None else [[flag_label(x.code), x.severity, plain(x.commitment) or plain(x.criterion) or "bid",
                                        x.message, x.fix] for x in fl.itertuples(index=False)]
        story.append(k.table(["Flag", "Severity", "Where", "Finding", "Fix"], frows, [30, 14, 12, 62, 62]))
    return story


def _score_text(score, pass_fail: bool) -> str:
    if pass_fail:
        return {1.0: "pass", 0.0: "fail"}.get(float(score), f"{score:g}") if isnum(score) else "-"
    return f"{score:g}"
