"""How this server was started: `streamlit run streamlit_app.py -- --workspace F` serves one panel's workspace
(DESIGN.md section 10); without it the app is the demonstration. A function of the script's arguments only, so
the session state (app/state.py) and the sign-in (app/access.py) both read it without importing each other.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

ARG = "--workspace"


def _argv_workspace() -> Optional[str]:
    """The text after --workspace in the script's arguments (`streamlit run streamlit_app.py -- --workspace F`),
    "" when the flag has no value, None without it."""
    args = sys.argv[1:]
    for i, arg in enumerate(args):
        if arg == ARG:
            return args[i + 1] if i + 1 < len(args) and not args[i + 1].startswith("--") else ""
        if arg.startswith(ARG + "="):
            return arg[len(ARG) + 1:]
    return None


def panel_workspace() -> Optional[Path]:
    """The workspace the server was started with (`streamlit run streamlit_app.py -- --workspace F`), else None
    (the demonstration: samples and uploads)."""
    text = _argv_workspace()
    if text is None:
        return None
    return Path(text).expanduser().resolve() if text.strip() else Path("")
