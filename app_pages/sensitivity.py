"""Sensitivity (procurement lead): how safe is the winner? Win and rank probabilities over random draws
of the weights, deflators, evidence factors and disputed scores (and proxies, in the figures lens), and
the exact weight at which each criterion would change the winner. A tender with lots: a lot picker, and
the award across the lots over the same draws.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.state import evaluation_key, get_evaluation, heavy_cache
from app.ui import escape_md, guard, lot_picker, show_table
from evaluator import charts, lot_sensitivity, sensitivity
from evaluator.formatting import marks


@heavy_cache(max_entries=16, show_spinner="Running the draws…")
def _analyse(key: str, draws: int, seed: int, lens: str, concentration: float, deflator_range: float,
             evidence_range: float, _ev) -> sensitivity.Sensitivity:
    return sensitivity.analyse(_ev, draws, seed, lens=lens, concentration=concentration,
                               deflator_range=deflator_range, evidence_range=evidence_range)


@heavy_cache(max_entries=8, show_spinner="Running the draws for every lot…")
def _analyse_lots(key: str, draws: int, seed: int, lens: str, concentration: float, deflator_range: float,
                  evidence_range: float, _tev) -> lot_sensitivity.LotsSensitivity:
    return lot_sensitivity.analyse_lots(_tev, draws, seed, lens=lens, concentration=concentration,
                                        deflator_range=deflator_range, evidence_range=evidence_range)


def switching_table(s: sensitivity.Sensitivity) -> pd.DataFrame:
    """Each criterion's switching value as read: the weight at which another bid would win (empty when the
    winner holds at any weight), who, and the same in a sentence."""
    rows = []
    for r in s.switching.itertuples(index=False):
        parent = getattr(r, "parent", None) if s.tree else None
        top = r.weight / r.share * 100 if isinstance(parent, str) and r.share else 100
        holds = r.switch_at is None or r.switch_at != r.switch_at
        if holds:
            reading = f"the winner holds for any weight from 0 to {top:g}"
        else:
            reading = (f"if it {'rises' if r.direction == 'up' else 'falls'} to {r.switch_at:.2f}"
                       + (f" ({r.share_switch_at:.2f}% of {parent})" if isinstance(parent, str) else "")
                       + f", {r.new_winner} wins")
        row = {"criterion": r.criterion, "published weight": marks(r.weight),
               "switch at": "" if holds else marks(r.switch_at),
               "new winner": "" if holds or not isinstance(r.new_winner, str) else r.new_winner, "reading": reading}
        if s.tree:
            row = {"criterion": r.criterion, "level": f"{int(r.level)}", "group": parent if isinstance(parent, str) else "",
                   "share of its group": share_words(r.share) if isinstance(parent, str) else "", **row}
        rows.append(row)
    cols = ["criterion", "published weight", "switch at", "new winner", "reading"]
    if s.tree:
        cols = ["criterion", "level", "group", "share of its group"] + cols[1:]
    return pd.DataFrame(rows, columns=cols, dtype=object)


def share_words(share: float) -> str:
    """A share of a group, in percent to at most two decimals: "40%", "48.15%"."""
    return f"{float(share):.2f}".rstrip("0").rstrip(".") + "%"


NUMBER_TEXT = ("published weight", "switch at", "level", "share of its group")   # right-aligned like numbers


PCT = "(share of draws)"


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def probability_table(table: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The engine's table (`Sensitivity.table()`) as a commissioner reads it: headers in words, shares of draws
    as percentages ("29.9%"), marks to two decimals; and what each column holds (for show_table)."""
    out = pd.DataFrame({"Bidder": table["bidder"]})
    kinds = {}
    words = {"published_total": "Published total", "win_probability": f"Wins {PCT}", "mean_total": "Mean total",
             "total_p05": "Total: 5th percentile", "total_p95": "Total: 95th percentile",
             "disqualified_share": f"Disqualified {PCT}"}
    for col in table.columns:
        if col in words:
            out[words[col]] = table[col].astype(float)
            kinds[words[col]] = "probability" if col in ("win_probability", "disqualified_share") else "marks"
        elif col.startswith("rank_") and col[5:].isdigit():
            out[f"{_ordinal(int(col[5:]))} {PCT}"] = table[col].astype(float)
            kinds[f"{_ordinal(int(col[5:]))} {PCT}"] = "probability"
    return out, kinds


def winner_metrics(ev, s, table: pd.DataFrame) -> list[tuple[str, str]]:
    """The headline shares of draws won. "The published winner" is always the official lens's first; when the
    draws are under the other lens, that lens's first is named as what it is (first under that lens)."""
    share = table.set_index("bidder")["win_probability"]
    published = ev.winner()
    out = []
    if published is not None and published in share.index:
        where = "" if s.lens == ev.official_lens else f" in {s.lens}-lens draws"
        out.append((f"{published} (the published winner) wins{where}", f"{float(share[published]):.1%} of draws"))
    first = s.published_winner
    if first is not None and first != published and first in share.index:
        out.append((f"{first} (first under the {s.lens} lens) wins", f"{float(share[first]):.1%} of draws"))
    return out


def award_table(ls: lot_sensitivity.LotsSensitivity) -> tuple[pd.DataFrame, dict]:
    """The award across the lots over the draws, as read (headers in words, shares of draws as percentages);
    and what each column holds (for show_table)."""
    t = ls.award_table()
    out = pd.DataFrame({"Lot": t["lot"], "Title": t["title"], "Contract value": t["contract_value"],
                        "Awarded to": t["awarded_to"].map(lambda x: x if isinstance(x, str) else "no eligible bid"),
                        "Passed over": t["passed_over"].map(lambda x: x if isinstance(x, str) else ""),
                        "Awarded to it in (share of draws)": t["awarded_to_share"],
                        "Most often awarded to": t["most_often"],
                        "No award in (share of draws)": t["no_award_share"]})
    kinds = dict.fromkeys(["Lot", "Title", "Awarded to", "Passed over", "Most often awarded to"], "text")
    kinds.update({"Contract value": "money", "Awarded to it in (share of draws)": "probability",
                  "No award in (share of draws)": "probability"})
    return out, kinds


def main() -> None:
    ev = get_evaluation()
    lots = None
    st.title("Sensitivity of the winner")
    st.caption("Each draw moves, together: the weights (drawn at random around the published weights: a Dirichlet distribution), every credited "
               "commitment's deadweight, attribution and displacement, the evidence factors, and each score the "
               "panel disagreed on (one scale step either way); in the figures lens, each measure's £ per unit "
               "between its low and high. In a criteria tree each level is drawn: a group's weight among its "
               "siblings, its sub-criteria's shares of it. A bid that failed a pass/fail question, left a mandatory "
               "outcome unmet or priced over a ceiling budget stays disqualified in every draw. Switching values are "
               "exact, not sampled: the weight at which another bid overtakes the winner, with the other weights "
               "rescaled in proportion (a sub-criterion within its group).")
    if hasattr(ev, "lots"):  # a tender with lots: one lot at a time, and the award across them
        lots, lot = ev, lot_picker(ev.rubric)
        ev = lots.evaluation(lot)
    if ev.results.empty:
        st.info("No bids to analyse.")
        return
    c1, c2, c3 = st.columns(3)
    draws = int(c1.number_input("Draws", min_value=100, max_value=200_000, value=10_000, step=1000, key="sens_draws"))
    seed = int(c2.number_input("Seed (same seed, same numbers)", min_value=0, max_value=2**31 - 1, value=0,
                               step=1, key="sens_seed"))
    lenses = ["design", "figures"]
    lens = c3.selectbox("Lens that awards", lenses, index=lenses.index(ev.official_lens), key="sens_lens",
                        format_func=lambda x: f"{x} (official)" if x == ev.official_lens else x)
    with st.expander("Ranges"):
        concentration = float(st.number_input("Weight concentration (larger keeps weights closer to the published "
                                              "ones)", min_value=1.0, max_value=100_000.0, value=100.0,
                                              key="sens_conc"))
        deflator_range = float(st.slider("Deflators ± (share)", 0.0, 0.5, 0.10, 0.01, key="sens_deflators"))
        evidence_range = float(st.slider("Evidence factors ± (share)", 0.0, 0.5, 0.10, 0.01, key="sens_evidence"))
    if lots is not None:
        ls = _analyse_lots(evaluation_key(), draws, seed, lens, concentration, deflator_range, evidence_range, lots)
        s = ls.lots[lot]
    else:
        s = _analyse(evaluation_key(), draws, seed, lens, concentration, deflator_range, evidence_range, ev)
    table = s.table()
    if s.published_winner is None:
        st.warning("No eligible bid: there is no winner to test.")
    else:
        for label, value in winner_metrics(ev, s, table):
            st.metric(escape_md(label), value)
    st.subheader("Win probability")
    st.altair_chart(charts.win_shares(table), width="stretch")
    st.subheader("Rank probabilities")
    st.altair_chart(charts.rank_chances(s), width="stretch")
    shown, kinds = probability_table(table.sort_values(["win_probability", "published_total"], ascending=False,
                                                       kind="stable"))
    show_table(shown, kinds=kinds, key="sens_probabilities")
    st.subheader("Switching values")
    st.caption("The weight at which each criterion would change the winner, the other weights rescaled in "
               "proportion; empty where the winner holds at any weight.")
    switching = switching_table(s)
    show_table(switching, kinds=dict.fromkeys(switching.columns, "text"), key="sens_switching",
               column_config={c.capitalize(): st.column_config.TextColumn(alignment="right")
                              for c in NUMBER_TEXT if c in switching.columns})
    if lots is not None:
        st.subheader("Award across the lots")
        st.caption("Lots are awarded in descending contract value; a supplier already holding the most lots "
                   "allowed is passed over. Each draw is awarded the same way, with the weights shared by every lot.")
        award, kinds = award_table(ls)
        show_table(award, kinds=kinds, key="sens_award")
    where = f", lot {lot}" if lots is not None else ""
    st.caption(escape_md(f"{s.draws:,} draws, seed {s.seed}, {s.lens} lens{where}. The same draws and seed give the same "
                         "figures every time, here and in the evaluation's sensitivity report."))


with guard("the Sensitivity page"):
    main()
