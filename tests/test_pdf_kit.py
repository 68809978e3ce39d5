"""The PDF kit: text from a rubric, a bid or a score sheet is data, never markup."""
from __future__ import annotations

from evaluator.evaluation_report import evaluation_report_pdf
from evaluator.pdf_kit import esc, register_fonts
from evaluator.provenance import Inputs

from .report_fixture import SCORES, fixture_ev  # noqa: F401 - a fixture


def test_the_escape_keeps_text_as_text():
    assert esc('<b>&copy <img src="x">') == '&lt;b&gt;&amp;copy &lt;img src="x"&gt;'
    assert esc("a\nb\x07c") == "a<br/>bc"
    assert esc(None) == "" and esc(float("nan")) == ""


def test_no_file_or_url_is_opened_because_of_what_a_bid_says(fixture_ev, monkeypatch):
    import reportlab.lib.utils as rl_utils
    import reportlab.platypus.paraparser as paraparser

    register_fonts()  # the tool's own font files are read first; after that, nothing may be opened

    def refuse(*a, **k):
        raise AssertionError(f"reportlab tried to open {a!r}")
    monkeypatch.setattr(rl_utils, "open_for_read", refuse)
    monkeypatch.setattr(paraparser, "ImageReader", refuse, raising=False)
    data = evaluation_report_pdf(fixture_ev, Inputs(scores_path=SCORES))
    assert b"/URI" not in data and b"/Subtype /Image" not in data
