"""The panel in the evaluation report's appendix (DESIGN.md section 10): who was on the panel, in which role,
what each declared about conflicts of interest (Procurement Act 2023 s81-83) and how a declared conflict was
mitigated, and when each evaluator submitted their scoring.

:func:`panel_appendix` turns a workspace (or its ``panel_status()`` table and ``declarations()``) into rows;
whoever makes the report puts them in ``Inputs.workspace["panel"]`` (the app's Reports page; ``report --db``),
and :func:`panel_story` draws them at the end of the appendix. A report made without a workspace, or from a
workspace with no users (the shipped demonstration), has no panel table: nothing is added.
"""
from __future__ import annotations

from typing import Any, Optional

import pandas as pd

from .panel import EVALUATOR, LEAD, OBSERVER

COLUMNS = ["Name", "Role", "Conflict of interest", "Mitigation", "Submitted"]
ROLE_NAMES = {LEAD: "Procurement lead", EVALUATOR: "Evaluator", OBSERVER: "Observer"}
_ORDER = {LEAD: 0, EVALUATOR: 1, OBSERVER: 2}
NO_ACCOUNT = "Evaluator (no account)"


def _blank(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value) or str(value).strip() == ""


def when(value: Any) -> str:
    """A time as a commissioner reads it: 7 December 2026, 14:05 UTC ("" when there is none)."""
    if _blank(value):
        return ""
    try:
        t = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    if t.tzinfo is not None:
        t = t.tz_convert("UTC")
    return f"{t.day} {t.strftime('%B %Y, %H:%M')} UTC"


def _truth(value: Any) -> bool:
    if _blank(value):
        return False
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y")
    return bool(value)


def _declaration_text(d: Optional[dict], role: str) -> str:
    if not d or _blank(d.get("declared_at")) and d.get("conflict") is None:
        return "Not declared" if role == EVALUATOR else "None recorded"
    at = when(d.get("declared_at"))
    if _truth(d.get("conflict")):
        details = "" if _blank(d.get("details")) else f": {str(d['details']).strip()}"
        return f"Conflict declared{details}" + (f" ({at})" if at else "")
    return "No conflict" + (f" (declared {at})" if at else "")


def _mitigation_text(d: Optional[dict]) -> str:
    if not d or not _truth(d.get("conflict")):
        return "-"
    if _blank(d.get("mitigation")):
        return "None recorded: could not score"
    by = "" if _blank(d.get("mitigated_by")) else f", recorded by {d['mitigated_by']}"
    at = when(d.get("mitigated_at"))
    return f"{str(d['mitigation']).strip()}{by}" + (f" ({at})" if at else "")


def _submitted_text(row: dict) -> str:
    if row.get("role") != EVALUATOR:
        return "-"
    if not _truth(row.get("submitted")):
        return "Not submitted"
    return when(row.get("submitted_at")) or "Submitted"


def panel_appendix(ws_or_status_frame, declarations: Optional[pd.DataFrame] = None) -> list[dict]:
    """The panel as rows for the report: one per workspace user (leads first, then evaluators, then
    observers, each by name), with the keys of COLUMNS. `ws_or_status_frame`: a Workspace (its
    ``panel_status()`` and, unless given, its ``declarations()``; [] when it has no users), or a
    ``panel_status()`` table. `declarations`: ``declarations()``'s table (user, conflict, details,
    declared_at, mitigation, mitigated_by, mitigated_at); a status table alone gives each user's declared
    and conflict flags and mitigation, without the details and times."""
    source = ws_or_status_frame
    if source is None:
        return []
    if hasattr(source, "panel_status"):
        if not getattr(source, "has_users", False):
            return []
        status = source.panel_status()
        if declarations is None and hasattr(source, "declarations"):
            declarations = source.declarations()
    else:
        status = source
    if status is None or len(status) == 0:
        return []
    held: dict[str, dict] = {}
    if declarations is not None and len(declarations):
        for d in declarations.to_dict("records"):
            held[str(d.get("user"))] = d
    rows = []
    for r in status.to_dict("records"):
        user, role = str(r.get("user")), "" if _blank(r.get("role")) else str(r.get("role"))
        if role not in ROLE_NAMES:  # scores saved under a name that has no user account (from before the panel)
            r = {**r, "role": EVALUATOR}
        d = held.get(user)
        if d is None and _truth(r.get("declared")):  # the status table's own flags
            d = {"conflict": _truth(r.get("conflict")), "declared_at": None,
                 "mitigation": None if _blank(r.get("mitigation")) else r.get("mitigation")}
        rows.append({"Name": user, "Role": ROLE_NAMES.get(role, NO_ACCOUNT),
                     "Conflict of interest": _declaration_text(d, r["role"]), "Mitigation": _mitigation_text(d),
                     "Submitted": _submitted_text(r), "_order": (_ORDER.get(role, 3), user.lower())})
    rows.sort(key=lambda x: x.pop("_order"))
    return rows


def panel_story(k, inputs) -> list:
    """The panel table for the end of the evaluation report's appendix: nothing unless the report was made
    from a workspace with users (``inputs.workspace["panel"]`` holds panel_appendix's rows)."""
    from .pdf_kit import esc
    head = getattr(inputs, "workspace", None) if inputs is not None else None
    rows = (head or {}).get("panel") if isinstance(head, dict) else None
    if not rows:
        return []
    from reportlab.platypus import KeepTogether
    evaluators = [r for r in rows if r["Role"] in (ROLE_NAMES[EVALUATOR], NO_ACCOUNT)]
    done = sum(1 for r in evaluators if r["Submitted"] not in ("Not submitted", "-"))
    story = [k.p("D. The evaluation panel", k.h2),
             k.p(esc(f"Each user of this evaluation's workspace and everyone whose scores it holds: their role, "
                     f"their declaration of any conflict of interest (Procurement Act 2023 s81-83) with how a declared conflict was mitigated, "
                     f"and when each evaluator submitted their scoring: {done} of {len(evaluators)} evaluator(s) "
                     f"submitted. Each action is in the workspace's audit log under the person who took it."
                     + (f" \"{NO_ACCOUNT}\": scores saved under that name before the workspace had user accounts."
                        if any(r["Role"] == NO_ACCOUNT for r in rows) else "")), k.small),
             k.table(COLUMNS, [[r[c] for c in COLUMNS] for r in rows], [26, 22, 56, 46, 30])]
    return [KeepTogether(story)]  # the heading never left alone at the foot of a page


def workspace_panel(path) -> list[dict]:
    """panel_appendix of the workspace file at `path` (the command line's `report --db`): [] without users."""
    from .workspace import Workspace
    return panel_appendix(Workspace.open(path))
