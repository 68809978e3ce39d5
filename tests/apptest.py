"""What the AppTest suites share: the app's entry point, the checks that a page ran cleanly, and the
small moves a user makes (click a button, upload files, read a table)."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from tests.conftest import ROOT

APP = str(ROOT / "streamlit_app.py")
GENERIC = "Something went wrong inside the tool"  # the app's words for an unexpected error


def unescape(text: str) -> str:
    """Messages in st.error & co. are markdown-escaped (user text must not become markup)."""
    return re.sub(r"\\(.)", r"\1", text).replace("  \n", "\n")


def messages(at, kind: str = "error") -> list[str]:
    return [unescape(e.value) for e in getattr(at, kind)]


def ok(at) -> None:
    """No exception element, no unexpected-error message."""
    assert not at.exception, [e.value for e in at.exception]
    assert not any(GENERIC in m for m in messages(at)), messages(at)


def table(at, columns: set[str]) -> pd.DataFrame:
    """The first dataframe on the page with these columns."""
    for df in at.dataframe:
        if columns <= set(df.value.columns):
            return df.value
    raise AssertionError(f"no table with columns {columns}")


def click(at, label_start: str):
    for b in at.button:
        if b.label.startswith(label_start):
            return b.click()
    raise AssertionError(f"no button {label_start!r}: {[b.label for b in at.button]}")


def upload(at, key: str, path_or_files):
    files = path_or_files if isinstance(path_or_files, list) else [path_or_files]
    tuples = [(p.name, p.read_bytes(), "application/octet-stream") if isinstance(p, Path) else p for p in files]
    widget = at.file_uploader(key=key)
    widget.set_value(tuples if widget.accept_multiple_files else tuples[0])
    return widget


def load_uploaded(at):
    """Press "Load the uploaded files" on the Tender page and confirm what it says the upload replaces (the
    tender or the scores in use), as the lead does."""
    click(at, "Load the uploaded").run()
    if any(b.label == "Confirm" for b in at.button):
        click(at, "Confirm").run()
    return at
