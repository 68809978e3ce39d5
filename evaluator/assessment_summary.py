"""The assessment summary (PDF) each bidder is sent under regulation 31 of the Procurement Regulations 2024."""
from __future__ import annotations

from typing import Optional

from .assessment_method import criterion_title, indented, is_flat, per_point, weight_text
from .bid_slices import given
from .flags import flag_words
from .pdf_kit import (Kit, esc, isnum, marks, money, num, pct, pence, plain, quantity, rank_text, signed_marks,
                      when_made)
from .why_not import dq_reasons, summary_context, sv_explanation, why_not


PANEL_CODES = {"SV205", "SV206"}   # the panel's own process: in the evaluation report, not sent to suppliers


def assessment_summary_pdf(ev, bidder: str, *, generated: Optional[str] = None,
                           context: Optional[dict] = None, lot: Optional[str] = None) -> bytes:
    """What regulation 31 of the Procurement Regulations 2024 asks the buyer to tell each supplier: who
    they are, each criterion (title, weight, how assessed, scores available), their score with the
    explanation by reference to their tender, sub-totals and total, and why the contract is not
    being awarded to them when it is not. For a tree every group and sub-criterion is given; for a tender
    with lots `ev` is the LotsEvaluation and `lot` the lot of this summary (or `context` made for it)."""
    k = Kit()
    cache = context if context is not None else summary_context(ev, lot)
    ev = cache.get("ev", ev)
    r = ev.rubric
    t = r.tender
    res = cache["res"]
    if bidder not in res.index:
        from .exceptions import InputError
        raise InputError("is not a bidder in this evaluation", field="bidder", value=bidder)
    row = res.loc[bidder]
    info = cache["bids"].loc[bidder] if bidder in cache["bids"].index else {}
    generated = generated or when_made(time=False)
    winner = cache["winner"]
    if not is_flat(r):
        return _tree_summary(k, ev, bidder, cache, row, _heading(k, t, bidder, info, generated, cache.get("lot")))
    story: list = _heading(k, t, bidder, info, generated)

    # outcome in one sentence
    story.append(k.p("Result", k.h2))
    n_ranked = int(res["rank"].notna().sum())
    if not row["eligible"] and not set(dq_reasons(cache["flags"].get(bidder))[0]) <= {"SV203"}:
        story.append(k.p(_result_text(ev, cache, bidder, row, winner)))   # a mandatory outcome, or over budget
    elif not row["eligible"]:
        story.append(k.p(f"Your tender scored {marks(row['total'])} of 100 marks but is <b>disqualified</b>: it did "
                         f"not reach a minimum score the tender set, so the contract cannot be awarded to you."))
    elif isnum(row["rank"]) and int(row["rank"]) == 1 and bidder == winner:
        story.append(k.p(f"Your tender scored <b>{marks(row['total'])}</b> of 100 marks and ranked <b>first</b> of "
                         f"{n_ranked}: it is the most advantageous tender and the buyer intends to award the contract "
                         f"to you, subject to the standstill period."))
    else:
        story.append(k.p(f"Your tender scored <b>{marks(row['total'])}</b> of 100 marks and ranked "
                         f"{rank_text(row['rank'])} of {n_ranked}. " + (
                             f"The buyer intends to award the contract to {esc(winner)}." if winner else
                             "No tender is eligible for the award on this evaluation.")))
    if t.criteria_url:
        story.append(k.p(f"The full award criteria are published at {esc(t.criteria_url)}.", k.small))

    # criteria: title, weight, how assessed, scores available
    story.append(k.p("The award criteria", k.h2))
    story.append(k.table(["Criterion", "Weight (of 100)", "How it was assessed", "Scores available"],
                         cache["criteria_rows"], [30, 14, 100, 36], right={1}))

    # your scores
    story.append(k.p("Your scores", k.h2))
    scale = cache["scale"].get(bidder, ev.scale.iloc[0:0]).set_index("criterion")
    price = cache["price"].get(bidder)
    rows, explain = [], []
    win_row = res.loc[winner] if winner and winner in res.index and winner != bidder else None
    win_scale = cache["scale"].get(winner, ev.scale.iloc[0:0]).set_index("criterion") if win_row is not None else None
    compare: list[tuple[str, float, float]] = []
    for c in r.spec.criteria:
        title = f"{c.id} {criterion_title(c)}"
        if c.kind == "price":
            m = float(price["marks"].iat[0]) if price is not None and len(price) else 0.0
            score = money(row["price"])
            lowest = float(price["lowest"].iat[0]) if price is not None and len(price) else float("nan")
            if isnum(lowest) and isnum(row["price"]) and abs(float(row["price"]) - lowest) < 0.005:
                why = f"Your price {money(row['price'])} was the lowest eligible price, so it gets all the price marks."
            else:
                why = f"Your price {money(row['price'])}; the lowest eligible price was {money(lowest)}."
            wm = float(cache["price"][winner]["marks"].iat[0]) if win_row is not None and winner in cache["price"] else None
        elif c.kind == "scale":
            s = scale.loc[c.id] if c.id in scale.index else None
            m = float(s["marks"]) if s is not None else 0.0
            if s is not None and s["scored"]:
                label = plain(r.descriptor(s["score"])).split(":")[0]
                score = f"{s['score']:g}" + (f" ({label})" if label else "")
                if s["basis"] == "moderated" and isinstance(s["moderated_rationale"], str):
                    why = s["moderated_rationale"]
                else:
                    why = ("The panel recorded no consensus rationale; the score is the median of the evaluators' "
                           "scores.")
                if s["below_threshold"]:
                    why += f" This is below the minimum score of {c.threshold:g}, so the tender is disqualified."
            else:
                score, why = "not scored", "This criterion was not scored (0 marks)."
            wm = float(win_scale.loc[c.id, "marks"]) if win_scale is not None and c.id in win_scale.index else None
        else:
            lens = ev.official_lens
            m = float(row[f"{lens}_score"])
            if lens == "design":
                score = f"{pct(row['design_fraction'], 1)} of the targets"
                why = sv_explanation(cache, bidder, row)
            else:
                score = f"{money(row['claimed_value'])} claimed"
                why = (f"Your claimed social value {money(row['claimed_value'])} against the highest eligible claim "
                       f"{money(ev.best_claimed)}.")
            wm = float(win_row[f"{lens}_score"]) if win_row is not None else None
        rows.append([title, f"{c.weight:g}", score, marks(m)])
        explain.append((title, why))
        if wm is not None:
            compare.append((title, m, wm))
    story.append(k.table(["Criterion", "Weight", "Your score", "Your marks"], rows, [70, 16, 64, 20], right={1, 3}))
    story.append(k.p("Sub-totals and total", k.h3))
    story.append(k.table(["Part", "Marks"], [
        ["Price", marks(row["price_score"])], ["Quality", marks(row["quality_score"])],
        ["Social value", marks(row["social_value_score"])], ["Total (out of 100)", marks(row["total"])]],
        [140, 40], right={1}, zebra=False, bold_last=True))
    story.append(k.p("Why each score was given (by reference to your tender)", k.h2))
    story.append(k.table(["Criterion", "Explanation"], [[a, b] for a, b in explain], [40, 140]))
    story += _commitments_story(k, ev, cache, bidder)
    story += _why_not_story(k, ev, cache, bidder, row, winner, win_row, compare)
    story += _flags_story(k, cache, bidder)
    return k.build(story, title=f"Assessment summary {t.id} {bidder}", header=f"{t.id} · Assessment summary · {bidder}",
                   author=t.buyer or "")


def _commitments_story(k: Kit, ev, cache: dict, bidder: str) -> list:
    story: list = []
    sv_rows = cache["attainment"].get(bidder)
    if ev.official_lens == "design" and sv_rows is not None and len(sv_rows):
        story.append(k.p("Your social value commitments against the buyer's outcomes", k.h3))
        story.append(k.table(["Outcome", "Target", "Your net contribution", "Share of target"],
                             [[f"{a.outcome} {plain(a.name)}", quantity(a.target, a.unit),
                               num(a.net_quantity), pct(a.attainment)] for a in sv_rows.itertuples(index=False)],
                             [90, 30, 34, 26], right={2, 3}))
    c = cache["comm"].get(bidder)
    if c is not None and len(c):
        story.append(k.table(["Commitment", "Measure", "Claimed £", "Credited £", "Not credited because"],
                             [[x.id, x.measure, money(x.figures_value), money(x.credited_value),
                               x.not_credited_reason or ""] for x in c.itertuples(index=False)],
                             [20, 40, 26, 26, 68], right={2, 3}))
    return story


def _what(cache: dict) -> str:
    lot = cache.get("lot")
    return "the contract" if lot is None else f"lot {lot.id}"


def _why_not_story(k: Kit, ev, cache: dict, bidder: str, row, winner, win_row, compare, table=None) -> list:
    """Why the contract (or this lot) is not being awarded to the bidder, with the marks beside the winner's."""
    story: list = []
    if bidder == winner and row["eligible"]:
        return story
    story.append(k.p(f"Why {_what(cache)} is not being awarded to you", k.h2))
    story += [k.p(esc(s)) for s in why_not(ev, bidder, row, winner, win_row, compare, cache)]
    table = compare if table is None else table
    if table and row["eligible"] and win_row is not None:
        unit = "quality points" if per_point(ev.rubric) else "marks"
        story.append(k.table(["Criterion", f"Your {unit}", f"Winning tender's {unit}", "Difference"],
                             [[t_, marks(m_), marks(w_), signed_marks(m_ - w_)] for t_, m_, w_ in table]
                             + [["Total", marks(row["total"]), marks(win_row["total"]),
                                 signed_marks(float(row["total"]) - float(win_row["total"]))]],
                             [80, 30, 40, 30], right={1, 2, 3}, zebra=False, bold_last=True))
    return story


def _flags_story(k: Kit, cache: dict, bidder: str) -> list:
    fl = cache["flags"].get(bidder)
    if fl is not None:
        fl = fl[~fl["code"].isin(PANEL_CODES)]
    if fl is None or not len(fl):
        return []
    return [k.p("Points found in your tender, and what would fix them", k.h2),
            k.table(["Flag", "Where", "Finding", "What would fix it"],
                    [[f"{flag_words(x.code)} ({x.code}, {x.severity})", plain(x.commitment) or plain(x.criterion) or "bid",
                      x.message, x.fix] for x in fl.itertuples(index=False)], [32, 12, 68, 68])]


def _result_text(ev, cache: dict, bidder: str, row, winner) -> str:
    """The outcome in one sentence: marks (or quality points and £ per point), rank, and the award."""
    res = cache["res"]
    n_ranked = int(res["rank"].notna().sum())
    lot = cache.get("lot")
    where = "" if lot is None else f" in lot {esc(lot.id)} ({esc(lot.title or lot.id)})"
    what = _what(cache)
    if per_point(ev.rubric):
        scored = (f"Your tender scored <b>{marks(row['quality_points'])}</b> quality points (of 100) at a price of "
                  f"{money(row['price'])}: <b>{pence(row['price_per_point'])} per quality point</b>")
    else:
        scored = f"Your tender scored <b>{marks(row['total'])}</b> of 100 marks"
    if not row["eligible"]:
        codes, msgs = dq_reasons(cache["flags"].get(bidder))
        if set(codes) <= {"SV203"}:
            return (f"{scored} but is <b>disqualified</b>: it did not reach a minimum score the tender set, so {what} "
                    "cannot be awarded to you.")
        return (f"{scored} but is <b>disqualified</b> ({esc('; '.join(msgs))}), so {what} cannot be awarded to you.")
    first = isnum(row["rank"]) and int(row["rank"]) == 1
    ranked = f"ranked {'<b>first</b>' if first else rank_text(row['rank'])} of {n_ranked}{where}"
    if bidder == winner and not first and cache.get("passed_over"):
        return (f"{scored} and {ranked}. The tender{'s' if len(cache['passed_over']) > 1 else ''} ranked above yours "
                f"{'are' if len(cache['passed_over']) > 1 else 'is'} passed over under the limit on lots per supplier, "
                f"so the buyer intends to award {what} to you, subject to the standstill period.")
    if bidder == winner:
        return (f"{scored} and {ranked}: it is the most advantageous tender and the buyer intends to award {what} to "
                "you, subject to the standstill period.")
    if bidder in cache.get("passed_over", {}):
        return (f"{scored} and {ranked}, but the tender limits the lots one supplier may be awarded: "
                + (f"{what} is to be awarded to {esc(winner)}." if winner else f"no other tender is eligible for {what}."))
    return (f"{scored} and {ranked}. " + (f"The buyer intends to award {what} to {esc(winner)}." if winner else
                                          f"No tender is eligible for the award of {what} on this evaluation."))


def _heading(k: Kit, t, bidder: str, info, generated: str, lot=None) -> list:
    """Who issues the summary and to whom (regulation 31 asks for the supplier's identifier and contacts), and
    the lot it is for."""
    story = [k.p("Assessment summary", k.title), k.p(f"{esc(t.id)}: {esc(t.title)}", k.h2)]
    if lot is not None:
        story.append(k.p(f"Lot {esc(lot.id)}: {esc(lot.title or lot.id)}", k.h2))
    story.append(k.p(f"Issued by {esc(t.buyer or 'the contracting authority')} under regulation 31 of the "
                     f"Procurement Regulations 2024. Date: {esc(generated)}.", k.small))
    story.append(k.p("Supplier", k.h2))
    story.append(k.facts([
        ("Supplier name", bidder),
        ("Unique identifier", given(info, "supplier_id", "Not given in the bid: the buyer must add the supplier's "
                                                           "unique identifier before sending this summary.")),
        ("Contact address", given(info, "contact_address", "Not given in the bid: the buyer must add it from the "
                                                             "central digital platform record before sending.")),
        ("Contact email", given(info, "contact_email", "Not given in the bid: the buyer must add it before sending.")),
    ] + ([("Lot", f"{lot.id}: {lot.title or lot.id} (contract value {money(t.contract_value)})")]
         if lot is not None else [])))
    return story


def _tree_summary(k: Kit, ev, bidder: str, cache: dict, row, story: list) -> bytes:
    """The summary of a tree (groups and sub-criteria, pass/fail questions, own scales), of one lot, or of
    an award on price per quality point: every criterion and sub-criterion with its weight, the scores
    available, the bidder's score and the explanation; group totals; pass/fail results as pass or fail.
    `story` starts with the heading assessment_summary_pdf made."""
    from reportlab.platypus import CondPageBreak
    r = ev.rubric
    t = r.tender
    res = cache["res"]
    winner = cache["winner"]
    lot = cache.get("lot")
    ppqp = per_point(r)
    story.append(k.p("Result", k.h2))
    story.append(k.p(_result_text(ev, cache, bidder, row, winner)))
    if t.criteria_url:
        story.append(k.p(f"The full award criteria are published at {esc(t.criteria_url)}.", k.small))

    story.append(k.p("The award criteria", k.h2))
    story.append(k.table(["Criterion", "Weight (of 100)", "How it was assessed", "Scores available"],
                         cache["criteria_rows"], [30, 14, 100, 36], right={1}))
    if ppqp:
        story.append(k.p("Price is not scored: your price ÷ your quality points gives your £ per quality point, and "
                         "the lowest £ per quality point wins.", k.small))

    tree = cache.get("tree", {}).get(bidder)
    win_tree = cache.get("tree", {}).get(winner) if winner and winner != bidder else None
    win_row = res.loc[winner] if winner and winner in res.index and winner != bidder else None
    win_marks = ({} if win_tree is None else dict(zip(win_tree["id"], win_tree["marks"])))
    rows, explain, compare, table = [], [], [], []
    for x in tree.itertuples(index=False):
        title = f"{x.id} {indented(x.level, x.name)}"
        crit = r.criterion(x.id)
        rows.append([title, weight_text(crit), x.score_text, "-" if x.kind == "pass_fail" else marks(x.marks)])
        why = x.explanation
        if x.kind == "social_value":
            why = (sv_explanation(cache, bidder, row) if ev.official_lens == "design" else
                   f"Your claimed social value {money(row['claimed_value'])} against the highest eligible claim "
                   f"{money(ev.best_claimed)}.")
        explain.append((f"{x.id} {x.name}", why))
        if x.kind != "pass_fail" and win_row is not None and x.id in win_marks:
            table.append((title, float(x.marks), float(win_marks[x.id])))
            if x.kind != "group":
                compare.append((f"{x.id} {x.name}", float(x.marks), float(win_marks[x.id])))
    story.append(k.p("Your scores", k.h2))
    story.append(k.table(["Criterion", "Weight", "Your score", "Your " + ("quality points" if ppqp else "marks")],
                         rows, [70, 16, 64, 20], right={1, 3}))
    groups = tree[tree["kind"] == "group"]
    if len(groups):
        story.append(CondPageBreak(70))
        story.append(k.p("Group totals", k.h3))
        gmap = {g: (s_, b_) for g, s_, b_ in zip(ev.groups.loc[ev.groups["bidder"] == bidder, "group"],
                                                ev.groups.loc[ev.groups["bidder"] == bidder, "share_of_marks"],
                                                ev.groups.loc[ev.groups["bidder"] == bidder, "below_min_share"])}
        grows = []
        for g in groups.itertuples(index=False):
            share, below = gmap.get(g.id, (float("nan"), False))
            mn = r.criterion(g.id).min_share
            grows.append([f"{g.id} {g.name}", f"{g.weight:g}", marks(g.marks), pct(share, 1),
                          pct(mn) if mn else "-", ("below the minimum: disqualified" if below else
                                                   ("meets the minimum" if mn else "no minimum"))])
        story.append(k.table(["Group", "Weight", "Your marks", "Share of the group's marks", "Minimum share", "Result"],
                             grows, [50, 14, 18, 26, 20, 52], right={1, 2, 3, 4}))
    pf = tree[tree["kind"] == "pass_fail"]
    if len(pf):
        story.append(CondPageBreak(70))
        story.append(k.p("Pass/fail questions", k.h3))
        story.append(k.table(["Question", "Result", "Explanation"],
                             [[f"{x.id} {x.name}", x.score_text, x.explanation] for x in pf.itertuples(index=False)],
                             [50, 16, 114]))
    story.append(k.p("Sub-totals and total", k.h3))
    if ppqp:
        sub = [["Quality", marks(row["quality_score"])], ["Social value", marks(row["social_value_score"])],
               ["Quality points (out of 100)", marks(row["quality_points"])], ["Price", money(row["price"])],
               ["£ per quality point (price ÷ quality points)", pence(row["price_per_point"])]]
    else:
        sub = [["Price", marks(row["price_score"])], ["Quality", marks(row["quality_score"])],
               ["Social value", marks(row["social_value_score"])], ["Total (out of 100)", marks(row["total"])]]
    story.append(k.table(["Part", "Marks"], sub, [140, 40], right={1}, zebra=False, bold_last=True))
    story.append(k.p("Why each score was given (by reference to your tender)", k.h2))
    story.append(k.table(["Criterion", "Explanation"], [[a, b] for a, b in explain], [40, 140]))
    story += _commitments_story(k, ev, cache, bidder)
    story += _why_not_story(k, ev, cache, bidder, row, winner, win_row, compare, table)
    story += _flags_story(k, cache, bidder)
    where = "" if lot is None else f" · Lot {lot.id}"
    return k.build(story, title=f"Assessment summary {t.id}{where} {bidder}",
                   header=f"{t.id}{where} · Assessment summary · {bidder}", author=t.buyer or "")
