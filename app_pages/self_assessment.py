"""Self-assessment (supplier): a draft bid checked against the published rubric, before it is submitted.

The same checks the buyer will run, each with what to fix; attainment of the buyer's outcomes; and the
social-value marks under each lens. Only the supplier's own bid is read: no other bid is visible here. For a
tender with lots the draft names its lot and is assessed on that lot's terms (its contract value, targets).
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.loading import load_draft_bid, load_rubric_upload
from app.samples import SAMPLES
from app.state import get_rubric, get_tender, heavy_cache, rubric_digest
from app.design_editor import field_words
from app.ui import escape_md, guard, plain_flags, show_problems, show_table
from app.uploads import Upload
from evaluator import charts, gbp, self_assess
from evaluator.expected_marks import expected_marks

# The example draft offered on a shipped sample (one bid, so nothing of the others is shown)
EXAMPLES = {"home_care_north": "apex_care_group.yaml", "schools_fm": "meridian_fm_solutions.json"}


def _example() -> Upload | None:
    tender = get_tender()
    for name, file in EXAMPLES.items():
        if tender.key.startswith(f"sample:{name}:"):
            path = SAMPLES[name][1] / file
            if path.is_file():
                return Upload(path.name, path.read_bytes())
    return None


@heavy_cache(max_entries=8, show_spinner=False)
def _assess(key: str, best: float | None, _rubric, _bidset) -> dict:
    sa = self_assess(_rubric, _bidset, best)
    ev = sa.pop("evaluation")
    sa["rubric_flags"] = ev.rubric_flags
    return sa


def main() -> None:
    st.title("Self-assessment")
    st.caption("For suppliers: check a draft bid against the buyer's published rubric before you submit it. "
               "You see the checks the buyer will run, what to fix, how far your bid meets each outcome, and the "
               "social-value marks you could expect under each lens. Nobody else's bid is shown.")
    rubric = get_rubric()
    own = st.file_uploader("The buyer's published rubric (YAML; leave empty to use the rubric loaded in the app)",
                           type=["yaml", "yml"], key="draft_rubric")
    if own is not None:
        uploaded, problems, note = load_rubric_upload(own)
        if uploaded is None:
            st.error("This rubric cannot be used (each problem names the file, key and field):")
            show_problems(problems)
            return
        rubric = uploaded
        if note:
            st.caption(escape_md(note))
    st.text(f"Rubric: {rubric.tender.id} {rubric.tender.title} (official lens: {rubric.official_lens})")
    up = st.file_uploader("Your draft bid (YAML, JSON, or the XLSX template filled in)",
                          type=["yaml", "yml", "json", "xlsx"], key="draft_bid")
    draft = Upload.of(up)
    if draft is None:
        draft = _example() if own is None else None
        if draft is None:
            st.info("Upload a draft bid to assess it. The supplier template (XLSX) for this rubric can be "
                    "downloaded on the Design page.")
            return
        st.caption(escape_md(f"Showing an example draft from the shipped sample ({draft.name}); upload yours "
                             "to assess it instead."))
    best = st.number_input("Best claim in the field, £ (the figures lens marks pro rata to it; you cannot see "
                           "others' bids, so try a guess; 0 = your own claim is the best)", min_value=0.0,
                           value=0.0, step=100000.0, key="best_claimed")
    bidset, problems = load_draft_bid(draft, rubric)
    if bidset is None:
        st.error("The draft cannot be assessed until these problems are fixed (each names the file, row and "
                 "field):")
        show_problems(problems)
        return
    if bidset.bids.empty:
        st.error("The file holds no bid.")
        return
    lot = ""
    if getattr(rubric, "has_lots", False):  # each lot is evaluated on its own: the draft's lot's rubric
        lot = str(bidset.bids["lot"].iat[0]) if "lot" in bidset.bids.columns else ""
        st.text(f"Lot: {lot} " + next((x.title for x in rubric.lots if x.id == lot), ""))
        rubric = rubric.for_lot(lot)
    sa = _assess(f"{draft.digest}|{rubric_digest(rubric)}|{lot}", best or None, rubric, bidset)

    st.text(f"Bid: {sa['bidder']}")
    c = st.columns(4)
    official = rubric.official_lens
    c[0].metric(f"Design lens marks{' (official)' if official == 'design' else ''}",
                f"{sa['design_score']:.2f} / {sa['sv_weight']:g}")
    c[1].metric(f"Figures lens marks{' (official)' if official == 'figures' else ''}",
                f"{sa['figures_score']:.2f} / {sa['sv_weight']:g}")
    c[2].metric("Claimed", gbp(sa["claimed_value"]))
    c[3].metric("Credited (validated)", gbp(sa["credited_value"]))
    st.caption(f"Design lens: priority-weighted attainment of the buyer's outcomes {sa['design_fraction']:.1%}. "
               f"Figures lens: your claim against a best claim of {gbp(sa['best_claimed'])}. Scale questions are "
               "marked by the panel and are not included.")
    _range(sa, rubric)

    st.subheader("What to fix")
    flags = sa["flags"]
    if flags.empty:
        st.success("No flags: the buyer's checks find nothing to question.")
    else:
        counts = flags["severity"].value_counts()
        st.text("  ".join(f"{n} {sev}{'s' if n != 1 else ''}" for sev, n in counts.items())
                + "   (error: not credited in the design lens; warning: credited but questioned)")
        show_table(flags_in_words(flags[["commitment", "criterion", "name", "message", "fix", "severity", "code"]]),
                   kinds={c: "text" for c in ("commitment", "criterion", "flag", "code", "severity", "message", "fix")})

    st.subheader("Attainment of the buyer's outcomes")
    att = sa["attainment"]
    if att.empty:
        st.info("The buyer's design sets no outcomes.")
    else:
        st.altair_chart(charts.attainment(att), width="stretch")
        show_table(att[["outcome", "attainment", "net_quantity", "target", "unit", "name"]].rename(
                       columns={"net_quantity": "your bid, net"}),
                   kinds={"outcome": "text", "name": "text", "target": "number", "your bid, net": "number"})

    st.subheader("From your claimed £ to the £ the buyer will credit")
    st.altair_chart(charts.walk(sa["walk"]), width="stretch")
    show_table(sa["walk"].rename(columns={"amount": "£ change"}), kinds={"step": "text", "£ change": "money"})


def _range(sa: dict, rubric) -> None:
    """Issue 19: the range of marks to expect, per criterion and in total, with the assumptions in words."""
    er = expected_marks(sa, rubric)
    st.subheader("Range of marks you could expect")
    t = er["total"]
    st.metric(f"Total, {t['lens']} lens for social value (price not included)",
              f"{t['low']:.2f} to {t['high']:.2f} / {t['of']:g}")
    rows = [{"criterion": f"{r['criterion']} {r['name']}" + ("" if r["lens"] == "scale" else f" ({r['lens']} lens)"),
             "low": r["low"], "high": r["high"], "of": r["weight"],
             "marked by": "the panel's score" if r["lens"] == "scale"
             else f"the {r['lens']} lens" + ("" if r["official"] else " (not counted)")}
            for r in er["criteria"]]
    show_table(pd.DataFrame(rows, columns=["criterion", "low", "high", "of", "marked by"]),
               kinds={"criterion": "text", "low": "marks", "high": "marks", "of": "marks", "marked by": "text"})
    st.markdown("**What each range assumes**\n\n" + "\n".join(
        f"- {escape_md(r['criterion'])}" + ("" if r["lens"] == "scale" else f" ({escape_md(r['lens'])} lens)")
        + f": {escape_md(r['assumption'])}" for r in er["criteria"]))
    st.caption(er["note"] + " The panel has not scored your responses and you cannot see the other bids: each "
               "range states what its low and high ends assume.")


def flags_in_words(flags: pd.DataFrame) -> pd.DataFrame:
    """The flags as a supplier reads them: the flag in words first, field names in words, no empty column."""
    out = plain_flags(flags)
    lead = [c for c in ("commitment", "flag") if c in out.columns]  # what it is about, then the flag in words
    out = out[lead + [c for c in out.columns if c not in lead]]
    for col in ("message", "fix"):
        out[col] = out[col].map(field_words)
    empty = [c for c in out.columns if out[c].map(lambda v: v is None or v != v or str(v).strip() == "").all()]
    return out.drop(columns=empty)


with guard("the Self-assessment page"):
    main()
