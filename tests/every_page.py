"""Every page of the app (streamlit_app.py's PAGES) on every shipped sample (app/samples.py), as every
demonstration persona shown it (app/access.py: the lead, each evaluator of the sample, an observer), driven by
AppTest; every text element and every table read against the rules of tests/page_text.py.

`sweep(samples)` gives one Visit per (sample, persona, page); `report(visits)` is the offences grouped by page,
each line "page | sample | persona(s) | element | offence". `python -m tests.every_page OUT` writes it to OUT
(the lead routes fixes from it)."""
from __future__ import annotations

import ast
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.apptest import APP, GENERIC, unescape
from tests.conftest import ROOT
from tests.page_text import page_offences, table_offences

SAMPLE_NAMES = ("home_care_north", "schools_fm", "school_catering")


def pages() -> list[tuple[str, str]]:
    """(file, title) of every page, read from streamlit_app.py's PAGES (the app's own list)."""
    tree = ast.parse((ROOT / "streamlit_app.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PAGES" for t in node.targets):
            return [(path, title) for _, path, title in ast.literal_eval(node.value)]
    raise AssertionError("streamlit_app.py has no PAGES list")


@dataclass
class Visit:
    sample: str
    persona: str
    page: str
    offences: list[tuple[str, str]] = field(default_factory=list)  # (element, offence)
    exceptions: list[str] = field(default_factory=list)
    tables: int = 0
    texts: int = 0


def _walk(node):
    yield node
    for k in sorted(getattr(node, "children", {}) or {}):
        yield from _walk(node.children[k])


def _texts(node) -> list[tuple[str, str]]:
    """(element, text) of everything a user reads in an element (not a table)."""
    kind = getattr(node, "type", type(node).__name__)
    out = []
    label = getattr(node, "label", None)
    if isinstance(label, str) and label:
        out.append((f"{kind} label", label))
    if kind in ("markdown", "caption", "title", "header", "subheader", "text", "info", "warning", "error",
                "success", "toast", "latex", "code"):
        try:
            out.append((kind, unescape(str(node.value))))
        except Exception:  # noqa: BLE001 - an element AppTest cannot read is not text
            pass
    elif kind == "metric":
        out.append(("metric", f"{node.value} {node.proto.delta}".strip()))
    for attr in ("options",):
        opts = getattr(node, attr, None) if kind in ("selectbox", "radio", "multiselect", "select_slider",
                                                     "button_group") else None
        if opts:
            out.append((f"{kind} options ({label})", " | ".join(str(o) for o in opts)))
    if kind not in ("markdown", "caption") and getattr(node, "help", None):
        out.append((f"{kind} help ({label})", str(node.help)))
    return out


def read_page(at, visit: Visit) -> None:
    """Every offence on the page AppTest `at` drew, into `visit`."""
    visit.exceptions = [str(e.value)[:300] for e in at.exception]
    visit.exceptions += [unescape(e.value) for e in at.error if GENERIC in unescape(e.value)]
    visit.offences += [("error", f"an error on the untouched shipped sample: {unescape(e.value)[:300]}")
                       for e in at.error if GENERIC not in unescape(e.value)]  # nothing was done wrong
    for root in (at.main, at.sidebar):
        for node in _walk(root):
            kind = getattr(node, "type", "")
            if kind in ("dataframe", "table"):
                visit.tables += 1
                try:
                    df = node.value
                except Exception as exc:  # noqa: BLE001
                    visit.offences.append((kind, f"table unreadable: {exc}"))
                    continue
                config = getattr(node.proto, "columns", "") if kind == "dataframe" else None
                shown = node.proto.placeholder if kind == "dataframe" and node.proto.HasField("placeholder") else None
                name = f"{kind} [{', '.join(map(str, list(df.columns)[:4]))}{', …' if df.shape[1] > 4 else ''}]"
                visit.offences += [(name, o) for o in table_offences(df, config, shown)]
                continue
            for element, text in _texts(node):
                visit.texts += 1
                visit.offences += [(element, o) for o in page_offences(text)]


def _open_sample(at, sample: str):
    at.selectbox(key="sample_choice").set_value(sample)
    next(b for b in at.button if b.label == "Open this sample").click()
    at.run()
    return at


def _declare_no_conflict(at) -> None:
    """An evaluator's Score page first asks for a conflict declaration: declare none, to see the scoring."""
    try:
        radio = at.radio(key="coi_choice")
    except KeyError:
        return
    radio.set_value(next(o for o in radio.options if o.lower().startswith(("i have no", "no"))))
    next(b for b in at.button if b.label == "Record my declaration").click()
    at.run()


def sweep(samples=SAMPLE_NAMES, *, timeout: int = 180) -> list[Visit]:
    from streamlit.testing.v1 import AppTest

    from app import access
    from evaluator.panel import EVALUATOR

    visits = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOCIAL_VALUE_HOME", tempfile.mkdtemp(prefix="every_page_home_"))  # never the real home
        mp.setattr(sys, "argv", ["streamlit_app.py"])  # the demonstration
        for sample in samples:
            at = AppTest.from_file(APP, default_timeout=timeout).run()
            _open_sample(at, sample)
            names = [p for p in sorted({str(e) for e in _scores(sample)["evaluator"]}) if p != "MODERATED"]
            personas = ([(access.LEAD_PERSONA, access.LEAD)] + [(n, EVALUATOR) for n in names]
                        + [(access.OBSERVER_PERSONA, access.OBSERVER)])
            for persona in personas:
                at.selectbox(key="sv_persona_pick").set_value(persona).run()  # as the sidebar's picker
                at.run()  # the picker's choice is taken on the next run
                assert _persona_shown(at) == access.persona_label(persona), (_persona_shown(at), persona)
                for path, title in pages():
                    if title not in access.pages_for(persona[1], [title]):
                        continue
                    at.switch_page(path).run()
                    if title == "Score" and persona[1] == EVALUATOR:
                        _declare_no_conflict(at)
                    visit = Visit(sample, access.persona_label(persona), title)
                    read_page(at, visit)
                    visits.append(visit)
    return visits


def _persona_shown(at) -> str:
    picker = at.sidebar.selectbox(key="sv_persona_pick")
    return picker.format_func(picker.value) if picker.format_func else str(picker.value)


def _scores(sample: str):
    import pandas as pd
    from app.samples import SAMPLES
    return pd.read_csv(SAMPLES[sample][2])


def report(visits: list[Visit]) -> str:
    """The offences grouped by page (in the app's order), one line each: page | sample | persona(s) | element |
    offence; the same offence seen by several personas on one line."""
    order = [t for _, t in pages()]
    lines = []
    total = {}
    for title in order:
        seen: dict[tuple, list[str]] = {}
        for v in visits:
            if v.page != title:
                continue
            for element, offence in v.offences + [("exception", e) for e in v.exceptions]:
                seen.setdefault((v.sample, element, offence), []).append(v.persona)
        total[title] = len(seen)
        lines.append(f"## {title}: {len(seen)} offences")
        for (sample, element, offence), who in seen.items():
            lines.append(f"{title} | {sample} | {', '.join(dict.fromkeys(who))} | {element} | {offence}")
        lines.append("")
    head = ["# Offences against tests/page_text.py's rules, every page × sample × persona (AppTest)",
            "# " + "; ".join(f"{t} {n}" for t, n in total.items()), ""]
    return "\n".join(head + lines)


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    text = report(sweep())
    if out:
        out.write_text(text + "\n")
    print(text)
