"""Design (commissioner): edit criteria, weights, scale, thresholds and the outcomes the buyer wants to buy.

The draft is checked on every edit, exactly as a rubric file is when it loads. A valid draft is used
everywhere at once; a refused one (weights not summing to 100: SV301) is never used and never rescaled:
the last valid design stays in use until the draft is fixed.
"""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from app_pages.common import (edit_table, error_lines, get_rubric, get_tender, guard,
                              rubric_digest, rubric_from_spec, rubric_spec, rubric_yaml, set_rubric, show_problems,
                              text_table)
from evaluator import EvaluatorError, RubricRefused
from evaluator.design_checks import check_rubric
from evaluator.rubric import GRADES, Rubric, RubricSpec

_DRAFTS = "sv_design_drafts"   # {tender key: {"criteria": df, "outcomes": df, "descriptors": df, "scale": str, "lens": str}}
CRITERIA_COLUMNS = ["id", "kind", "name", "weight", "method", "threshold", "social_value"]
OUTCOME_COLUMNS = ["id", "name", "measures", "unit", "baseline", "target", "priority", "evidence_required",
                   "if_not_delivered", "rationale"]
TABLES = ("criteria", "outcomes", "descriptors")


def draft_from_rubric(rubric: Rubric) -> dict:
    """The rubric as editable tables."""
    spec = rubric_spec(rubric)
    crit = pd.DataFrame([{**{c: None for c in CRITERIA_COLUMNS}, **c} for c in spec["criteria"]],
                        columns=CRITERIA_COLUMNS)
    crit["social_value"] = crit["social_value"].fillna(False).astype(bool)
    crit["weight"] = pd.to_numeric(crit["weight"], errors="coerce").astype(float)
    crit["threshold"] = pd.to_numeric(crit["threshold"], errors="coerce").astype(float)
    for col in ("id", "kind", "name", "method"):
        crit[col] = crit[col].astype(object)
    outs = []
    for o in spec.get("design", {}).get("outcomes", []):
        row = {c: o.get(c) for c in OUTCOME_COLUMNS}
        row["measures"] = ", ".join(o.get("measures", []))
        outs.append(row)
    outcomes = pd.DataFrame(outs, columns=OUTCOME_COLUMNS)
    for col in ("baseline", "target", "priority"):
        outcomes[col] = pd.to_numeric(outcomes[col], errors="coerce").astype(float)
    for col in ("id", "name", "measures", "unit", "evidence_required", "if_not_delivered", "rationale"):
        outcomes[col] = outcomes[col].astype(object)
    desc = pd.DataFrame({"score": [float(k) for k in spec.get("descriptors", {})],
                         "descriptor": list(spec.get("descriptors", {}).values())}, columns=["score", "descriptor"])
    desc["descriptor"] = desc["descriptor"].astype(object)
    return {"criteria": crit, "outcomes": outcomes, "descriptors": desc,
            "scale": ", ".join(f"{v:g}" for v in rubric.spec.scale), "lens": rubric.official_lens,
            "from": rubric_digest(rubric)}


def _given(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v)) and not (isinstance(v, str) and not v.strip())


def _number(v):
    f = float(v)
    return int(f) if f.is_integer() else f


def spec_from_draft(draft: dict, base: Rubric) -> tuple[dict, list[str]]:
    """The draft tables back into the rubric's YAML structure, with anything the tables cannot say
    (tender, proxies, discounting...) kept from `base`. Returns (spec, problems found in the tables)."""
    spec = rubric_spec(base)
    problems: list[str] = []
    criteria = []
    for i, row in enumerate(draft["criteria"].to_dict("records"), start=1):
        if not any(_given(row.get(c)) for c in ("id", "kind", "name", "weight")):
            continue  # an empty row the editor added
        c = {k: (row[k].strip() if isinstance(row[k], str) else row[k]) for k in CRITERIA_COLUMNS if _given(row.get(k))}
        if "weight" in c:
            c["weight"] = _number(c["weight"])
        if "threshold" in c:
            c["threshold"] = _number(c["threshold"])
        if not c.get("social_value"):
            c.pop("social_value", None)
        else:
            c["social_value"] = True
        criteria.append(c)
    spec["criteria"] = criteria
    outcomes = []
    for row in draft["outcomes"].to_dict("records"):
        if not any(_given(row.get(c)) for c in OUTCOME_COLUMNS):
            continue
        o = {k: (row[k].strip() if isinstance(row[k], str) else row[k]) for k in OUTCOME_COLUMNS if _given(row.get(k))}
        o["measures"] = [m.strip() for m in str(row.get("measures") or "").split(",") if m.strip()]
        for k in ("baseline", "target", "priority"):
            if k in o:
                o[k] = _number(o[k])
        outcomes.append(o)
    spec.setdefault("design", {})["outcomes"] = outcomes
    scale_text = str(draft["scale"] or "")
    try:
        spec["scale"] = [_number(v) for v in scale_text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        problems.append(f"the design, field 'scale', value {scale_text!r}: the scale must be numbers separated by "
                        "commas, e.g. 0, 20, 40, 60, 80, 100")
    descriptors = {}
    for row in draft["descriptors"].to_dict("records"):
        if _given(row.get("score")) and _given(row.get("descriptor")):
            descriptors[_number(row["score"])] = str(row["descriptor"]).strip()
    spec["descriptors"] = descriptors
    spec["lens"] = draft["lens"]
    return spec, problems


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
    from evaluator.template import write_template
    with tempfile.TemporaryDirectory(prefix="sv-template-") as folder:
        path = write_template(_rubric, Path(folder) / "bid_template.xlsx")
        return path.read_bytes()


def _editor(tender_key: str, name: str, draft: dict, **kwargs) -> pd.DataFrame:
    return edit_table(f"design_{name}", tender_key, draft[name], **kwargs)


def _reset(tender_key: str) -> None:
    st.session_state.get(_DRAFTS, {}).pop(tender_key, None)
    for name in TABLES:
        st.session_state.pop(f"design_{name}", None)
    set_rubric(get_tender().rubric)


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

    form, checks = st.columns([3, 2], gap="large")
    with form:
        st.subheader("Criteria and weights")
        draft["criteria"] = _editor(tender.key, "criteria", draft, num_rows="dynamic", hide_index=True,
                                    width="stretch", column_config={
            "id": st.column_config.TextColumn("id", required=True),
            "kind": st.column_config.SelectboxColumn("kind", options=["price", "scale", "social_value"], required=True),
            "name": st.column_config.TextColumn("name"),
            "weight": st.column_config.NumberColumn("weight", min_value=0, max_value=100, step=0.5),
            "method": st.column_config.SelectboxColumn("price method", options=["relative", "linear"]),
            "threshold": st.column_config.NumberColumn("minimum score", help="Below it the bid is disqualified"),
            "social_value": st.column_config.CheckboxColumn("counts as social value"),
        })
        st.subheader("Scale")
        c1, c2 = st.columns([2, 1])
        draft["scale"] = c1.text_input("Allowed scores, lowest to highest", value=draft["scale"])
        lenses = ["design", "figures"]
        draft["lens"] = c2.selectbox("Official lens for the award", lenses, index=lenses.index(draft["lens"]))
        draft["descriptors"] = _editor(tender.key, "descriptors", draft, num_rows="dynamic", hide_index=True,
                                       width="stretch", column_config={
            "score": st.column_config.NumberColumn("score", required=True),
            "descriptor": st.column_config.TextColumn("descriptor", required=True)})
        st.subheader("Outcomes the buyer wants to buy")
        draft["outcomes"] = _editor(tender.key, "outcomes", draft, num_rows="dynamic", hide_index=True,
                                    width="stretch", column_config={
            "id": st.column_config.TextColumn("id", required=True),
            "measures": st.column_config.TextColumn("measures", help="Proxy-table codes, separated by commas"),
            "baseline": st.column_config.NumberColumn("baseline"),
            "target": st.column_config.NumberColumn("target", help="Quantity wanted over the term"),
            "priority": st.column_config.NumberColumn("priority", min_value=0),
            "evidence_required": st.column_config.SelectboxColumn("evidence required", options=list(GRADES)),
            "if_not_delivered": st.column_config.TextColumn("if not delivered (remedy)"),
            "rationale": st.column_config.TextColumn("rationale"),
        })
        codes = in_use.proxies.reset_index(drop="code" in in_use.proxies.columns)
        with st.expander("Measures in the proxy table (codes to use in an outcome's measures)"):
            cols = [c for c in ("code", "name", "unit", "value", "kind", "source") if c in codes.columns]
            st.dataframe(text_table(codes[cols]), hide_index=True, width="stretch")

    spec, problems = spec_from_draft(draft, tender.rubric)
    candidate, flags = None, None
    refused = False
    if not problems:
        try:
            candidate = rubric_from_spec(spec, tender.rubric)
            flags = check_rubric(candidate)
        except RubricRefused as exc:
            refused = True
            problems = error_lines(exc)
            flags = _check_only(spec, tender.rubric)
        except EvaluatorError as exc:
            problems = error_lines(exc)

    with checks:
        st.subheader("Checks")
        weights = pd.to_numeric(draft["criteria"]["weight"], errors="coerce").fillna(0.0)
        total = float(weights.sum())
        sv = draft["criteria"]["kind"].eq("social_value") | draft["criteria"]["social_value"].fillna(False).astype(bool)
        sv_weight = float(weights[sv.to_numpy()].sum())
        m1, m2 = st.columns(2)
        m1.metric("Weights add up to", f"{total:g}", delta=None if np.isclose(total, 100) else f"{total - 100:+g} from 100",
                  delta_color="inverse")
        m2.metric("Social value weight", f"{sv_weight:g}%")
        if problems:
            st.error("This draft cannot be used" + (" (SV301: the weights must add up to exactly 100)" if refused else "")
                     + ". The evaluation still uses the last valid design.")
            show_problems(problems)
        else:
            if rubric_digest(candidate) != rubric_digest(in_use):
                set_rubric(candidate)
                in_use = candidate
            st.success("The design is valid and in use on every page.")
        if flags is not None:
            if flags.empty:
                st.success("No design warnings (SV302-SV308).")
            else:
                st.dataframe(text_table(flags[["code", "name", "severity", "message", "fix"]]), hide_index=True,
                             width="stretch")
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


with guard("the Design page"):
    main()
