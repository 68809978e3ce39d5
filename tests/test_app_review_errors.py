"""A bad file's problems are shown once, in place, and the next rerun of the page still works.

Values cached with st.cache_data are pickled; an exception object does not survive that (InputErrors, the
error for several bad rows, cannot even be rebuilt), so the pages cache problem lines, never exceptions.
"""
from __future__ import annotations

import pytest

from tests.apptest import GENERIC, messages, ok, upload
from tests.reviewing import start

pytest.importorskip("streamlit.testing.v1")

HEADER = "bidder,commitment,period,delivered_quantity,evidence_grade,evidence_description\n"
TWO_BAD_ROWS = (HEADER + "Northtown Community Care CIC,N1,2026-Q1,1,E2,x\n"
                "Northtown Community Care CIC,N1,Y1-Q2,lots,E2,x\n")


def delivery_errors(at) -> list[str]:
    return [m for m in messages(at) if "row" in m]


def test_two_bad_delivery_rows_then_a_rerun_still_show_the_rows(tmp_path, monkeypatch):
    bad = tmp_path / "delivery.csv"
    bad.write_text(TWO_BAD_ROWS, encoding="utf-8")
    at = start(monkeypatch)
    at.text_input(key="review_delivery_local").input(str(bad)).run()
    ok(at)
    first = delivery_errors(at)
    assert len(first) == 1, messages(at)  # one message in place, listing both rows
    assert "row 2" in first[0] and "2026-Q1" in first[0] and "row 3" in first[0] and "lots" in first[0]
    for _ in range(2):   # any rerun: the same message, never "Something went wrong"
        at.run()
        ok(at)
        assert delivery_errors(at) == first
    at.checkbox(key="review_only_flagged").check().run()   # another widget on the page
    ok(at)
    assert delivery_errors(at) == first


def test_two_bad_delivery_rows_uploaded_then_a_rerun(tmp_path):
    at = start()
    upload(at, "review_delivery", ("delivery.csv", TWO_BAD_ROWS.encode(), "text/csv"))
    at.run()
    ok(at)
    first = delivery_errors(at)
    assert len(first) == 1 and "row 2" in first[0] and "row 3" in first[0], messages(at)
    at.run()
    ok(at)
    assert delivery_errors(at) == first
    assert not any(GENERIC in m for m in messages(at))


def test_a_good_file_after_a_bad_one_is_tracked(tmp_path, monkeypatch):
    bad = tmp_path / "bad.csv"
    bad.write_text(TWO_BAD_ROWS, encoding="utf-8")
    at = start(monkeypatch)
    at.text_input(key="review_delivery_local").input(str(bad)).run()
    assert delivery_errors(at)
    at.text_input(key="review_delivery_local").input("").run()   # back to the shipped sample returns
    ok(at)
    assert not delivery_errors(at)
    assert any(df.value.columns.isin(["Rating"]).any() for df in at.dataframe)


def test_no_cached_function_in_the_app_keeps_an_exception():
    """The pattern behind the sticking error, anywhere in the app (app/, app_pages/): a function cached with st.cache_data
    that returns (or puts in what it returns) an exception it caught."""
    import ast

    from tests.conftest import ROOT

    found = []
    for path in sorted([*(ROOT / "app").glob("*.py"), *(ROOT / "app_pages").glob("*.py")]):
        tree = ast.parse(path.read_text("utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef) or not any("cache_data" in ast.unparse(d) for d in fn.decorator_list):
                continue
            for handler in (n for n in ast.walk(fn) if isinstance(n, ast.ExceptHandler) and n.name):
                for ret in (n for n in ast.walk(handler) if isinstance(n, ast.Return) and n.value is not None):
                    # exc itself returned, not a call made of it (error_lines(exc), exc.line())
                    in_calls = {id(x) for c in ast.walk(ret.value) if isinstance(c, ast.Call) for x in ast.walk(c)}
                    if any(isinstance(x, ast.Name) and x.id == handler.name and id(x) not in in_calls
                           for x in ast.walk(ret.value)):
                        found.append(f"{path.name}:{ret.lineno} {fn.name}")
    assert not found, found
