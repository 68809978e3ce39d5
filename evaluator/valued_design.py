"""Designs that cannot be valued (issue 18): SV316, a rubric with social value or design outcomes and no proxy
table; SV315, an outcome whose measure is not in the table. Both refuse the rubric where SV301 does, when it
loads (rubric.py calls :func:`refuse_unvalued` once the table is read), and design_checks.py lists them with the
other design checks. Kept apart from both so the loader and the checks share it without importing each other.
"""
from __future__ import annotations

import difflib

from .exceptions import RubricRefused
from .flags import CATALOGUE, fix_text


def refuse_unvalued(rubric, source) -> None:
    """Refuse (RubricRefused, one line naming `source`) a rubric whose design cannot be valued: SV316 (no
    proxy table) or SV315 (an outcome's measure not in the table, with the nearest known code). The
    loader calls it once the proxy table is read, where SV301 refuses weights that do not add up."""
    problems = unvalued(rubric, rubric.proxies)
    if not problems:
        return
    code, message, _, (where, field, value) = problems[0]
    entry = CATALOGUE[code]
    more = [p[1] for p in problems[1:]]
    fix = (fix_text(code, outcome=value[0]) if code == "SV315" else entry.fix).removesuffix(".")
    raise RubricRefused(f"{entry.name}: {message}{''.join('; also ' + m for m in more)}; the rubric is refused. "
                        f"{fix}.", file=source, where=where, field=field,
                        value=value[1] if code == "SV315" else ... if value is None else value, code=code)


def unvalued(rubric, table) -> list[tuple]:
    """SV316, else every SV315: (code, message, fix, (where, field, value)) in the design's order; `table` is the
    proxy table the design is judged against (None: it cannot be read, and the loader says so itself)."""
    outcomes = rubric.spec.design.outcomes
    if table is None:
        return []
    if not len(table):
        sv = rubric.sv_criterion
        if sv is None and not outcomes:
            return []
        has = " and ".join(part for part in (
            f"a social-value criterion ({sv.id})" if sv is not None else "",
            f"design outcomes ({', '.join(o.id for o in outcomes)})" if outcomes else "") if part)
        what = "names no proxy table (proxies:)" if not getattr(rubric.spec, "proxies", None) else \
            "names a proxy table with no measures in it"
        return [("SV316", f"the rubric has {has} but {what}, so no commitment can be valued or counted "
                 "towards an outcome (every one would be SV101, every bid 0 design marks) and the bid template "
                 "cannot list the measures", None, (None, "proxies", getattr(rubric.spec, "proxies", None)))]
    known = [str(c) for c in table.index]
    name = rubric.proxies_path.name if rubric.proxies_path is not None else \
        str(getattr(rubric.spec, "proxies", "") or "the proxy table")
    out = []
    for i, o in enumerate(outcomes):
        for code in o.measures:
            if code in table.index:
                continue
            out.append(("SV315", f"outcome {o.id} ({o.name or o.id}) names measure '{code}', which is not in "
                        f"the proxy table {name}{_nearest(code, known)}", fix_text("SV315", outcome=o.id),
                        (f"key design.outcomes[{i}]", "measures", (o.id, code))))
    return out


def _nearest(code: str, known: list[str]) -> str:
    """'; the nearest known code is X' (a likely typo: 'did you mean X?'), or '' for an empty table."""
    if not known:
        return ""
    upper = {k.upper(): k for k in known}
    if str(code).strip().upper() in upper:
        return f" (did you mean '{upper[str(code).strip().upper()]}'?)"
    close = difflib.get_close_matches(str(code), known, n=1, cutoff=0.75)
    if close:
        return f" (did you mean '{close[0]}'?)"
    nearest = difflib.get_close_matches(str(code), known, n=1, cutoff=0.0)
    return f"; the nearest known code is '{nearest[0]}'" if nearest else ""


