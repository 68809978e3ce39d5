"""Who is looking, for the AppTest suites of the Tender, Review and Reports pages: `as_viewer(monkeypatch, who,
...)` makes app.access say that `who` (an Identity, or None) is signed in, whether the server was started on a
panel workspace, and whether server paths are allowed, without drawing the sign-in form (the sign-in itself is
tested in tests/test_signin*.py). Each test then drives the page as that person."""
from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path
from typing import Optional

from evaluator.panel import EVALUATOR, LEAD, OBSERVER, Identity, demonstration

LEAD_PERSONA = demonstration("Sam Lead", LEAD)
EVALUATOR_PERSONA = demonstration("Priya Raman", EVALUATOR)   # an evaluator of the shipped home-care sample
OBSERVER_PERSONA = demonstration("Olu Observer", OBSERVER)


def _access():
    try:
        return importlib.import_module("app.access")
    except ImportError:  # app.access not merged yet: a stand-in with the contract's names (api17.md)
        import app
        module = types.ModuleType("app.access")
        module.panel_workspace = lambda: None
        module.current_identity = lambda: None
        module.require_identity = lambda: None
        module.is_demonstration = lambda: True
        module.server_paths_allowed = lambda: False

        def refusal(exc):
            import streamlit as st
            st.error(exc.line())
        module.refusal = refusal
        sys.modules["app.access"] = module
        app.access = module
        return module


def as_viewer(monkeypatch, who: Optional[Identity], *, panel: Optional[Path] = None,
              paths: Optional[bool] = None) -> None:
    """`who` is the person signed in (a persona in the demonstration); `panel` the workspace the server was
    started with (None: the demonstration); `paths` whether server paths are allowed (default: a lead only)."""
    access = _access()
    monkeypatch.setattr(access, "current_identity", lambda: who, raising=False)
    monkeypatch.setattr(access, "require_identity", lambda: who, raising=False)
    monkeypatch.setattr(access, "panel_workspace", lambda: panel, raising=False)
    monkeypatch.setattr(access, "is_demonstration", lambda: panel is None, raising=False)
    allowed = (who is not None and who.role == LEAD) if paths is None else paths
    monkeypatch.setattr(access, "server_paths_allowed", lambda: allowed, raising=False)
