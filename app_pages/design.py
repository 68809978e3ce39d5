"""Design (commissioner): the criteria tree and its weights, scales, pass/fail questions, the award method,
budget, lots, and the outcomes the buyer wants to buy.

The draft is checked on every edit, exactly as a rubric file is when it loads (evaluator.parse_rubric). A
valid draft is used everywhere at once; a refused one (weights or shares that do not add up: SV301) is never
used and never rescaled: the last valid design stays in use until the draft is fixed. Each refusal is shown
as one line under the part of the page it concerns. The tables <-> YAML work is app/design_editor.py.
"""
from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from app import design_editor as ed
from app.state import get_rubric, get_tender, rubric_digest, rubric_from_spec, rubric_spec, rubric_yaml, set_rubric
from app.ui import escape_md, guard, show_problems, show_table
from evaluator import GRADES, EvaluatorError, InputErrors, Rubric, RubricRefused, RubricSpec, check_rubric
from evaluator.formatting import money, unit_words

_DRAFTS = "sv_design_drafts"   # {tender key: the editor's tables and fields (design_editor.tables_from_spec)}
TABLES = ("criteria", "outcomes", "descriptors", "lots")
ADD = "design_add"              # the add-a-criterion form's widgets: design_add_under, _id, _name, _kind, _share
ADDED = "sv_design_added"       # the form's last message: (kind, text)
LIB = "design_lib"              # the Social Value Model picker's widgets: design_lib_mission, design_lib_outcome_<id>
LIB_ADDED = "sv_design_lib_added"  # its last message: (kind, text)
_BASES = "sv_design_bases"     # {table: (tender key, token, the frame the live editor edits)}
_SEEN = "sv_design_seen"       # {table: {row uid: {column: what the table gave last run}}}
UID = "_uid"                   # a hidden column: each row's identity, which names its form's widgets


def draft_from_rubric(rubric: Rubric) -> dict:
    """The rubric as editable tables."""
    draft = ed.tables_from_spec(rubric_spec(rubric))
    draft["from"] = rubric_digest(rubric)
    return draft


def _check_only(spec: dict, base: Rubric):
    """SV302-SV308 for a draft refused only by SV301, so the commissioner sees every other check live.
    The Rubric built here is never used for an award."""
    try:
        return check_rubric(Rubric(spec=RubricSpec.model_validate(spec), path=base.path, proxies=base.proxies,
                                   proxies_path=base.proxies_path))
    except Exception:  # noqa: BLE001 - the draft has other problems, already listed
        return None


@st.cache_data(show_spinner=False, max_entries=8)
def _template_bytes(key: str, _rubric: Rubric) -> bytes:
    from evaluator import write_template  # openpyxl: loaded when a template is first asked for
    with tempfile.TemporaryDirectory(prefix="sv-template-") as folder:
        path = write_template(_rubric, Path(folder) / "bid_template.xlsx")
        return path.read_bytes()


def _with_uids(frame: pd.DataFrame, token: str) -> pd.DataFrame:
    """Every row given an identity: rows without one (just added) get token.0, token.1... in order, so a row
    added in the table keeps its identity on every rerun while the table lives."""
    frame = frame.copy()
    uids = frame[UID].astype(object).tolist() if UID in frame.columns else [None] * len(frame)
    missing = [i for i, v in enumerate(uids) if not ed.given(v)]
    for k, i in enumerate(missing):
        uids[i] = f"{token}.{k}"
    frame[UID] = uids
    return frame


def _editor(tender_key: str, name: str, draft: dict, **kwargs) -> pd.DataFrame:
    """st.data_editor on a fixed base while the widget lives (its record of edits applies to that base once,
    so no keystroke is lost to a base that moves under it); the base becomes the draft, which holds every edit
    made before, when the page is drawn afresh, the tender changes or the table is redrawn on purpose."""
    key = f"design_{name}"
    bases = st.session_state.setdefault(_BASES, {})
    held = bases.get(name)
    if key not in st.session_state or held is None or held[0] != tender_key:
        st.session_state.pop(key, None)
        token = uuid.uuid4().hex[:8]
        held = bases[name] = (tender_key, token, _with_uids(draft[name], token).reset_index(drop=True))
    shown = kwargs.get("column_order") or list(held[2].columns)
    config = {c: None for c in held[2].columns if c not in shown}  # hidden: only the table's own columns are drawn
    config.update(kwargs.pop("column_config", None) or {})
    out = st.data_editor(held[2], key=key, placeholder="", column_config=config, **kwargs)  # blank reads blank
    return _with_uids(out.reset_index(drop=True), held[1] + "n")


def _redraw(name: str) -> None:
    """The table drawn afresh from the draft at the next run (after a row was added by a form)."""
    st.session_state.pop(f"design_{name}", None)
    st.session_state.get(_BASES, {}).pop(name, None)


def _field(kind: str, col: str, label: str, key: str, help_: str | None):
    if kind == "number":
        return st.number_input(label, key=key, value=None, step=1.0, format="%g", help=help_)
    if kind == "flag":
        return st.checkbox(label, key=key, help=help_)
    if kind == "unit":
        options = ["", *_units()]
        if st.session_state.get(key) not in options:
            options = [*options, st.session_state[key]]
        return st.selectbox(label, options, key=key, help=help_, format_func=lambda v: unit_words(v) or "Not set")
    if kind == "choice":
        options = ed.CHOICES.get(col) or ["", *GRADES]
        if st.session_state.get(key) not in options:
            options = [*options, st.session_state[key]]
        return st.selectbox(label, options, key=key, help=help_, format_func=lambda v: v or "Not set")
    if kind == "long":
        return st.text_area(label, key=key, help=help_, height=90)
    return st.text_input(label, key=key, help=help_)


def _row_forms(name: str, frame: pd.DataFrame, fields: list, what: str, summary) -> pd.DataFrame:
    """A form (an expander) per row showing its fields with their labels, none off to the right. The fields'
    own widgets hold what is typed (keyed by the row's identity, so a rerun never rebuilds them from the
    spec); a change made in the table since the last run (a row added, a value pasted) is taken into them."""
    seen = st.session_state.setdefault(_SEEN, {}).setdefault(name, {})
    rows = frame.to_dict("records")
    for row in rows:
        uid = row[UID]
        last = seen.get(uid)
        given_now = {col: ed.cell(row.get(col), kind) for col, _, kind, _ in fields}
        with st.expander(ed.row_title(row, what)):
            st.caption(escape_md(summary(row)))
            short = [f for f in fields if f[2] != "long"]
            pairs = {}
            for i in range(0, len(short), 2):  # two a row at a desk, in the same order on a phone
                cells = st.columns(2)
                for j, f in enumerate(short[i:i + 2]):
                    pairs[f[0]] = cells[j]
            for col, label, kind, help_ in fields:
                key = f"design_{name}_{uid}_{col}"
                if key not in st.session_state or (last is not None and not ed.same(last.get(col), given_now[col])):
                    st.session_state[key] = given_now[col]
                place = st.container() if kind == "long" else pairs[col]
                with place:
                    value = _field(kind, col, label, key, help_)
                row[col] = value if kind == "flag" else (value if ed.given(value) else None)
        seen[uid] = given_now
    for gone in set(seen) - {r[UID] for r in rows}:
        seen.pop(gone, None)
    return ed.typed(name, pd.DataFrame(rows, columns=frame.columns))


def _criterion_summary(row: dict) -> str:
    kind = row.get("kind") if ed.given(row.get("kind")) else "Kind not set"
    parent = f"part of {row['parent']}" if ed.given(row.get("parent")) else "top level"
    amount = (f"weight {float(row['weight']):g} points of 100" if ed.given(row.get("weight")) else
              f"{float(row['share']):g}% of its group" if ed.given(row.get("share")) else "no weight")
    return f"{kind}, {parent}, {amount}. Id, name, kind, group and weight are edited in the table above."


def _outcome_summary(row: dict) -> str:
    measures = row.get("measures") if ed.given(row.get("measures")) else "none yet"
    must = "must be offered" if bool(row.get("mandatory")) else "optional for a bid"
    return f"Measures: {measures}; {must}. Id, name, measures and 'must be offered' are edited in the table above."


def _reset(tender_key: str) -> None:
    st.session_state.get(_DRAFTS, {}).pop(tender_key, None)
    for key in [k for k in st.session_state if str(k).startswith("design_")]:
        st.session_state.pop(key, None)
    st.session_state.pop(ADDED, None)
    st.session_state.pop(LIB_ADDED, None)
    st.session_state.pop(_BASES, None)
    st.session_state.pop(_SEEN, None)
    set_rubric(get_tender().rubric)


def _add(tender_key: str) -> None:
    """The add-a-criterion form: the new row goes after its group's last row; the table is drawn afresh."""
    draft = st.session_state[_DRAFTS][tender_key]
    frame = draft["criteria"]
    under = st.session_state.get(f"{ADD}_under") or ed.TOP
    cid = str(st.session_state.get(f"{ADD}_id") or "").strip()
    name = str(st.session_state.get(f"{ADD}_name") or "").strip()
    kind = ed.KIND_OF.get(st.session_state.get(f"{ADD}_kind"), "scale")
    amount = st.session_state.get(f"{ADD}_share")
    ids = {str(v).strip() for v in frame["id"] if ed.given(v)}
    if not cid:
        st.session_state[ADDED] = ("error", "Give the new criterion an id (e.g. Q3) before adding it.")
        return
    if cid in ids:
        st.session_state[ADDED] = ("error", f"There is already a criterion {cid}: choose another id.")
        return
    share = None if kind == "pass_fail" or under == ed.TOP else amount
    weight = amount if under == ed.TOP and kind != "pass_fail" else None
    draft["criteria"] = ed.add_row(frame, under=under, cid=cid, name=name, kind=kind, share=share, weight=weight)
    _redraw("criteria")  # drawn afresh from the draft, which now has the row
    where = "at the top level" if under == ed.TOP else f"under {under}"
    st.session_state[ADDED] = ("success", f"Added {cid} {where}.")
    st.session_state[f"{ADD}_id"] = ""
    st.session_state[f"{ADD}_name"] = ""
    st.session_state[f"{ADD}_share"] = None


def _group_options(frame: pd.DataFrame) -> dict[str, str]:
    """{group id: how it is offered}, the top level last."""
    rows = [r for r in frame.to_dict("records")
            if ed.given(r.get("id")) and ed.KIND_OF.get(r.get("kind"), r.get("kind")) == "group"]
    return {**{str(r["id"]).strip(): ed.group_label(r) for r in rows},
            ed.TOP: "Top level"}


def _criteria_section(tender_key: str, draft: dict) -> None:
    st.subheader("Criteria and weights")
    st.caption("Top-level criteria carry a weight (points of 100, adding up to exactly 100). A group's "
               "sub-criteria name the group in 'Part of' and carry a share of it (percent, adding up to 100) or "
               "a weight (points of 100, adding up to the group's). A pass/fail question has no weight: a fail "
               "disqualifies. Open a criterion below the table for its minimum score, whether it counts as social "
               "value, its own scale and its wording.")
    table = _editor(tender_key, "criteria", draft, num_rows="dynamic", hide_index=True,
                    width="stretch", column_order=ed.CRITERION_TABLE, column_config={
        "id": st.column_config.TextColumn("Id", required=True),
        "kind": st.column_config.SelectboxColumn("Kind", options=list(ed.KIND_LABELS.values()), required=True),
        "name": st.column_config.TextColumn("Name"),
        "parent": st.column_config.TextColumn("Part of", help="The id of the group this is a sub-criterion of; "
                                              "blank: a top-level criterion"),
        "weight": st.column_config.NumberColumn("Weight", min_value=0, max_value=100, step=0.5, format="%g",
                                                help="Points of 100"),
        "share": st.column_config.NumberColumn("Share of group %", min_value=0, max_value=100, step=0.5,
                                               format="%g"),
    })
    draft["criteria"] = _row_forms("criteria", table, ed.CRITERION_FIELDS, "criterion", _criterion_summary)
    _sums(draft)


def _sums(draft: dict) -> None:
    """The sums as the table stands, live: the top level's weights, social value, each group's shares."""
    frame = draft["criteria"]
    total = ed.top_level_weight(frame)
    groups = ed.group_sums(frame)
    cells = st.columns(min(4, 2 + len(groups)))
    cells[0].metric("Weights add up to", f"{total:g}", delta=None if np.isclose(total, 100) else
                    f"{total - 100:+g} from 100", delta_color="off")
    cells[1].metric("Social value weight", f"{ed.social_value_weight(frame):g}%")
    for i, g in enumerate(groups):
        what = "Weights" if g["basis"] == "weight" else "Shares"
        off = g["total"] - g["expected"]
        cells[(2 + i) % len(cells)].metric(
            f"{what} in {g['label']}", f"{g['total']:g}", delta_color="off",
            delta=None if g["ok"] or g["basis"] is None or np.isnan(off) else f"{off:+g} from {g['expected']:g}")
    for g in groups:
        if not g["ok"]:
            st.error(escape_md(g["message"]))


def _add_section(tender_key: str, draft: dict) -> None:
    with st.expander("Add a criterion or a sub-criterion", expanded=True):
        options = _group_options(draft["criteria"])
        c1, c2, c3 = st.columns([2, 1, 2])
        c1.selectbox("Under", list(options), format_func=options.get, key=f"{ADD}_under")
        c2.text_input("Id", key=f"{ADD}_id", placeholder="Q3")
        c3.text_input("Name", key=f"{ADD}_name", placeholder="Staff training")
        c4, c5 = st.columns([2, 1])
        c4.selectbox("Kind", [ed.KIND_LABELS[k] for k in ("scale", "pass_fail", "group", "price", "social_value")],
                     key=f"{ADD}_kind")
        c5.number_input("Share % (weight at the top level)", min_value=0.0, max_value=100.0, value=None, step=5.0,
                        key=f"{ADD}_share")
        st.button("Add", on_click=_add, args=(tender_key,), key=f"{ADD}_button")
        message = st.session_state.get(ADDED)
        if message:
            (st.success if message[0] == "success" else st.error)(escape_md(message[1]))


def _scale_section(tender_key: str, draft: dict) -> None:
    st.subheader("Scale")
    c1, c2 = st.columns([2, 1])
    draft["scale"] = c1.text_input("Allowed scores, lowest to highest", value=draft["scale"],
                                   key="design_scale_allowed")  # keyed: a rerun never rebuilds it
    lenses = ["design", "figures"]
    draft["lens"] = c2.selectbox("Official lens for the award", lenses, index=lenses.index(draft["lens"]),
                                 key="design_lens")
    draft["descriptors"] = _editor(tender_key, "descriptors", draft, num_rows="dynamic", hide_index=True,
                                   width="stretch", column_order=["score", "descriptor"], column_config={
        "score": st.column_config.NumberColumn("Score", required=True, format="%g"),
        "descriptor": st.column_config.TextColumn("Descriptor", required=True)})


def _award_section(draft: dict) -> None:
    st.subheader("Award")
    awards = list(ed.AWARD_LABELS.values())
    c1, c2 = st.columns(2)
    chosen = c1.selectbox("How the award is decided", awards,
                          index=awards.index(ed.AWARD_LABELS.get(draft["award"], awards[0])), key="design_award",
                          help="Lowest price per quality point: no price criterion; the other weights are 100 "
                               "quality points and the bid with the lowest price per point wins")
    draft["award"] = {v: k for k, v in ed.AWARD_LABELS.items()}[chosen]
    ties = c2.multiselect("If bids tie, separate them by (in this order)", list(ed.TIE_LABELS.values()),
                          default=[ed.TIE_LABELS[t] for t in draft["tie_break"] if t in ed.TIE_LABELS],
                          key="design_tie_break", help="None chosen: tied bids share a rank")
    draft["tie_break"] = [ed.TIE_OF[t] for t in ties]
    c3, c4 = st.columns(2)
    budget = c3.number_input("Budget (£, whole term; blank: none)", min_value=0.0, step=1000.0, format="%.0f",
                             value=None if draft["budget"] is None else float(draft["budget"]), key="design_budget")
    draft["budget"] = None if budget is None or budget == 0 else ed.number(budget)
    draft["budget_is_ceiling"] = c4.checkbox("The budget is a ceiling", value=draft["budget_is_ceiling"],
                                             key="design_ceiling",
                                             help="A bid priced above the budget is non-compliant (SV210)")
    if draft["budget"] is not None:
        st.caption(f"Budget: {money(draft['budget'])}")
    c5, c6 = st.columns(2)
    rules = list(ed.LOW_LABELS.values())
    rule = c5.selectbox("A price is abnormally low when it is", rules, help="Flagged for the panel to question (SV204)",
                        index=rules.index(ed.LOW_LABELS.get(draft["low_rule"], rules[0])), key="design_low_rule")
    draft["low_rule"] = {v: k for k, v in ed.LOW_LABELS.items()}[rule]
    low = c6.number_input("Share % (blank: 80 of the median; 15 below the mean)", min_value=0.0, step=1.0,
                          value=draft["low_share"], key="design_low_share")
    draft["low_share"] = low


def _units() -> list[str]:
    """The units the proxy table's measures count in (codes; offered in words)."""
    proxies = get_rubric().proxies
    return sorted({str(u) for u in proxies["unit"].dropna()}) if proxies is not None and "unit" in proxies else []


@st.cache_data(show_spinner=False, max_entries=1)
def _library() -> list[dict]:
    from evaluator.library import missions  # read when the Design page first draws the picker
    return missions()


def _library_outcome(mission_id: str, outcome_id: str):
    for m in _library():
        for o in m["outcomes"]:
            if m["id"] == mission_id and o.id == outcome_id:
                return o
    return None


def _add_library_outcome(tender_key: str, mission_id: str) -> None:
    """The Social Value Model picker's button: the chosen outcome becomes a row of the outcomes table."""
    outcome = _library_outcome(mission_id, st.session_state.get(f"{LIB}_outcome_{mission_id}"))
    if outcome is None:
        return
    draft = st.session_state[_DRAFTS][tender_key]
    draft["outcomes"], added = ed.add_library_outcome(draft["outcomes"], outcome, get_rubric().proxies)
    _redraw("outcomes")  # drawn afresh from the draft, which now has the row
    if added["measures"]:
        st.session_state[LIB_ADDED] = ("success", f"Added {added['id']} '{outcome.name}' with the measure "
                                       f"{', '.join(added['measures'])} (counted in {unit_words(added['unit'])}). Set its target below.")
    else:
        st.session_state[LIB_ADDED] = ("warning", f"Added {added['id']} '{outcome.name}' with no measure. "
                                       + added["note"])


def _library_section(tender_key: str) -> None:
    """Add an outcome from the Social Value Model: a mission (or theme), then one of its published outcomes,
    shown with its wording, source and licence and the measure the proxy table suggests (or none)."""
    with st.expander("Add an outcome from the Social Value Model", expanded=False):
        try:
            found = _library()
        except EvaluatorError as exc:
            st.error(escape_md(exc.line()))
            return
        usable = [m for m in found if m["outcomes"]]
        missing = [m for m in found if not m["outcomes"]]
        if not usable:
            st.info("The library has no outcomes to add.")
            return
        labels = {m["id"]: f"{m['name']} ({m['kind']}, {m['model']})" for m in usable}
        mission_id = st.selectbox("Mission or theme", list(labels), format_func=labels.get, key=f"{LIB}_mission")
        mission = next(m for m in usable if m["id"] == mission_id)
        outcomes = {o.id: o for o in mission["outcomes"]}
        chosen = st.selectbox("Outcome", list(outcomes), format_func=lambda i: outcomes[i].name,
                              key=f"{LIB}_outcome_{mission_id}")
        outcome = outcomes.get(chosen) or next(iter(outcomes.values()))
        title, *detail = outcome.wording.splitlines()
        st.markdown(f"**{escape_md(title)}**" + "".join(f"\n- {escape_md(line)}" for line in detail))
        st.caption(escape_md(f"Published wording. Source: {outcome.citation}"))
        proxies = get_rubric().proxies
        codes = ed.suggest_measures(outcome, proxies)
        if codes:
            table = proxies.reset_index(drop=True).set_index("code", drop=False)
            unit = table.loc[codes[0], "unit"]
            shown = [c for c in codes if table.loc[c, "unit"] == unit]
            st.info(escape_md("Suggested measure: " + "; ".join(f"{c} ({table.loc[c, 'name']})" for c in shown)
                              + f", counted in {unit_words(unit)}. You can change it in the outcomes table."))
        else:
            st.warning("No measure in the proxy table fits this outcome: it will be added without a measure, "
                       "and no bid can serve it until you name one.")
        st.button("Add this outcome", on_click=_add_library_outcome, args=(tender_key, mission_id),
                  key=f"{LIB}_button")
        message = st.session_state.get(LIB_ADDED)
        if message:
            {"success": st.success, "warning": st.warning}.get(message[0], st.error)(escape_md(message[1]))
        if missing:
            st.caption(escape_md("Not in the library yet: the outcomes of the 2025 model (PPN 002) under its missions "
                                 + ", ".join(m["name"] for m in missing) + ". Their published wording could not "
                                 "be checked for this release (README, 'Proxy values')."))


def _outcomes_section(tender_key: str, draft: dict) -> None:
    st.subheader("Outcomes the buyer wants to buy")
    _library_section(tender_key)
    st.caption("Open an outcome below the table for its target over the term, priority, the evidence you will "
               "require and what happens if it is not delivered.")
    table = _editor(tender_key, "outcomes", draft, num_rows="dynamic", hide_index=True, width="stretch",
                    column_order=ed.OUTCOME_TABLE, column_config={
        "id": st.column_config.TextColumn("Id", required=True, width=50),
        "name": st.column_config.TextColumn("Name", width=190),
        "measures": st.column_config.TextColumn("Measures", width=150, help="Proxy-table codes, separated by commas"),
        "mandatory": st.column_config.CheckboxColumn("Must be offered", width=110,
                                                     help="A bid offering nothing towards it is disqualified"),
    })
    draft["outcomes"] = _row_forms("outcomes", table, ed.OUTCOME_FIELDS, "outcome", _outcome_summary)


def _lots_section(tender_key: str, draft: dict) -> None:
    st.subheader("Lots")
    st.caption("Each lot is evaluated on its own. A lot may set its own contract value, duration, local area and "
               "outcome targets; blank cells take the tender's. No lots: one award for the whole tender.")
    draft["lots"] = _editor(tender_key, "lots", draft, num_rows="dynamic", hide_index=True, width="stretch",
                            column_order=ed.LOT_COLUMNS, column_config={
        "id": st.column_config.TextColumn("Id", required=True),
        "title": st.column_config.TextColumn("Title", required=True),
        "contract_value": st.column_config.NumberColumn("Contract value £", min_value=0, format="localized"),
        "duration_years": st.column_config.NumberColumn("Duration (years)", min_value=1, step=1),
        "local_area": st.column_config.TextColumn("Local area", help="Places, separated by commas"),
        "targets": st.column_config.TextColumn("Outcome targets", help="e.g. O1: 2; O3: 15"),
    })
    limit = st.number_input("Most lots one supplier may win (blank: no limit)", min_value=1, step=1,
                            value=None if draft["max_lots_per_supplier"] is None else int(draft["max_lots_per_supplier"]),
                            key="design_max_lots")
    draft["max_lots_per_supplier"] = None if limit is None else int(limit)


def _errors(exc: EvaluatorError) -> list[EvaluatorError]:
    return list(exc.errors) if isinstance(exc, InputErrors) else [exc]


def main() -> None:
    tender = get_tender()
    in_use = get_rubric()
    drafts = st.session_state.setdefault(_DRAFTS, {})
    if tender.key not in drafts:
        drafts[tender.key] = draft_from_rubric(in_use)
    draft = drafts[tender.key]

    st.title("Design")
    st.caption("The commissioner-led design: what you want to buy, with targets, the evidence you will require "
               "and what happens if it is not delivered. Edits are checked as you type and used everywhere as "
               "soon as the design is valid. Weights must add up to exactly 100: the tool never rescales them.")

    places = {}
    _criteria_section(tender.key, draft)
    places["criteria"] = st.container()
    status = st.container()  # valid and in use, or not: next to the table (on a phone, the checks are far below)
    form, checks = st.columns([3, 2], gap="large")
    with form:
        _add_section(tender.key, draft)
        _scale_section(tender.key, draft)
        places["scale"] = st.container()
        _award_section(draft)
        places["award"] = st.container()
        _outcomes_section(tender.key, draft)
        places["outcomes"] = st.container()
        _lots_section(tender.key, draft)
        places["lots"] = st.container()
        codes = in_use.proxies.reset_index(drop="code" in in_use.proxies.columns)
        with st.expander("Measures in the proxy table (codes to use in an outcome's measures)"):
            cols = [c for c in ("code", "name", "unit", "value", "kind", "source") if c in codes.columns]
            shown = codes[cols].rename(columns={"name": "measure", "value": "£ per unit"})
            if "£ per unit" in shown.columns:  # each value with its own pence: £22,368 and £11.44
                shown["£ per unit"] = shown["£ per unit"].map(lambda v: "" if v is None or v != v else money(v))
            show_table(shown, kinds={c: "text" for c in shown.columns if c != "unit"},
                       column_config={"£ per unit": st.column_config.TextColumn(alignment="right")})

    spec, problems = ed.spec_from_tables(draft, rubric_spec(tender.rubric))
    candidate, flags = None, None
    refused = False
    if not problems:
        try:
            candidate = rubric_from_spec(spec, tender.rubric)
            flags = check_rubric(candidate)
        except RubricRefused as exc:
            refused = True
            problems = _errors(exc)
            flags = _check_only(spec, tender.rubric)
        except EvaluatorError as exc:
            problems = _errors(exc)
    by_section: dict[str, list[str]] = {}
    for p in problems:
        by_section.setdefault(ed.section_of(p), []).append(p.line())
    for section, lines in by_section.items():
        if section in places:
            with places[section]:
                show_problems(lines)

    if candidate is not None and candidate.has_lots:
        _bids_without_lot(tender, places["lots"])
    with status:
        if problems:
            st.error("This draft cannot be used" + (": weights and shares must add up exactly, and the tool never "
                                                    "rescales them (check SV301)" if refused else "")
                     + ". The evaluation still uses the last valid design. The problems are shown where they are.")
            show_problems(by_section.get("general", []))
        else:
            if rubric_digest(candidate) != rubric_digest(in_use):
                set_rubric(candidate)
                in_use = candidate
            st.success("The design is valid and in use on every page.")
    with checks:
        st.subheader("Checks")
        if flags is not None:
            _show_checks(flags)
        _marks_table(candidate)
        st.divider()
        st.download_button("Download the rubric (YAML)",
                           data=(rubric_yaml(candidate) if candidate is not None else rubric_yaml(in_use)).encode(),
                           file_name=f"{in_use.tender.id}.yaml", mime="application/x-yaml")
        if candidate is None:
            st.caption("The download is the design in use; fix the draft to download it instead.")
        st.download_button("Download the supplier template (XLSX)", data=_template_bytes(rubric_digest(in_use), in_use),
                           file_name=f"{in_use.tender.id}_bid_template.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        st.button("Discard edits: back to the rubric as loaded", on_click=_reset, args=(tender.key,))


_SEVERITY = {"error": "Must be fixed", "warning": "Warning", "info": "For information"}


def _show_checks(flags: pd.DataFrame) -> None:
    """Each design check as a message of its own: what it is in words, its severity in words, the whole
    message and what to do, wrapped to the column; the code last, as a detail."""
    if flags.empty:
        st.success("No design warnings: every design check passed.")
        return
    order = {"error": 0, "warning": 1, "info": 2}
    for f in sorted(flags.to_dict("records"), key=lambda r: order.get(str(r.get("severity")), 3)):
        severity = str(f.get("severity") or "")
        title = str(f.get("name") or "").replace("-", " ").capitalize()
        text = (f"**{escape_md(title)}** ({_SEVERITY.get(severity, severity)})  \n"
                f"{escape_md(ed.field_words(f.get('message')))}")
        if ed.given(f.get("fix")):
            text += f"  \nWhat to do: {escape_md(ed.field_words(f['fix']))}"
        text += f"  \nCode {escape_md(str(f.get('code') or ''))}"
        {"error": st.error, "warning": st.warning}.get(severity, st.info)(text)


def _bids_without_lot(tender, place) -> None:
    """With lots, every bid names its lot: say so in place when the bids loaded do not (they were written for
    the tender without lots)."""
    bids = tender.bidset.bids
    lots = bids["lot"].astype(str).str.strip() if "lot" in bids.columns else pd.Series([""] * len(bids))
    missing = bids.loc[lots.eq("").to_numpy(), "bidder"].astype(str).tolist()
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        with place:
            st.warning(escape_md(f"{len(missing)} of the {len(bids)} bids loaded name no lot ({shown}): with lots, "
                                 "every bid names its lot (the field 'lot'). Load bids written for the lots before "
                                 "evaluating."))


def _marks_table(rubric) -> None:
    """Where the 100 points fall, level by level (a valid draft only: the engine's own numbers)."""
    nodes = getattr(rubric, "nodes", None)
    if nodes is None or len(nodes) == 0 or not (nodes["level"] > 1).any():
        return
    st.markdown("**Where the points fall**")
    shown = pd.DataFrame({
        "criterion": [("\u00b7 " * (int(lv) - 2) + "\u21b3 " if int(lv) > 1 else "")  # a sub-criterion: ↳ Q1a
                      + (f"{i} {n}" if n and n != i else str(i))
                      for i, n, lv in zip(nodes["id"], nodes["name"], nodes["level"])],
        "points of 100": nodes["weight"].astype(float),
        "share of its group": nodes["share"].astype(float) / 100,
    })
    show_table(shown, kinds={"criterion": "text", "points of 100": "marks", "share of its group": "percent"})


with guard("the Design page"):
    main()
