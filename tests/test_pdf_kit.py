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


# ------------------------------------------------------------------------------------------ table columns (issue 19)
# "£23,87" / "4" and "Criterio/n" in the appendix tables: a column is never narrower than its longest word or
# number, measured here with reportlab's own stringWidth, and a cell wraps only at spaces.
import pytest  # noqa: E402

from reportlab.pdfbase.pdfmetrics import stringWidth  # noqa: E402

from evaluator.pdf_kit import FONT, Kit  # noqa: E402

BOLD = f"{FONT}-Bold"

from .conftest import ROOT  # noqa: E402
from .report_fixture import BIDS, RUBRIC  # noqa: E402


def _tables_of_report(monkeypatch, tmp_path, rubric, bids, scores):
    """Every table the `report` verb draws (evaluation report and each assessment summary): (header, rows, table)."""
    from evaluator.cli import main
    seen = []
    real = Kit.table

    def spy(self, header, rows, widths, *a, **k):
        t = real(self, header, rows, widths, *a, **k)
        seen.append((list(header), [list(r) for r in rows], t))
        return t
    monkeypatch.setattr(Kit, "table", spy)
    assert main(["report", "--rubric", str(rubric), "--bids", str(bids), "--scores", str(scores),
                 "--out", str(tmp_path / "out")]) == 0
    return seen


def _cell_text(v) -> str:
    if v is None or hasattr(v, "wrap"):
        return ""
    if isinstance(v, float) and v != v:
        return ""
    return str(v)


TENDERS = [(ROOT / "rubrics" / f"{t}.yaml", ROOT / "sample_bids" / t, ROOT / "sample_bids" / t / "scores.csv")
           for t in ("home_care_north", "schools_fm", "school_catering")] + [(RUBRIC, BIDS, BIDS / "scores.csv")]


@pytest.mark.parametrize("rubric,bids,scores", TENDERS, ids=["home_care", "schools_fm", "catering_lots", "hostile"])
def test_no_word_or_number_is_wider_than_its_column(monkeypatch, tmp_path, rubric, bids, scores):
    from reportlab.pdfbase.pdfmetrics import stringWidth
    tables = _tables_of_report(monkeypatch, tmp_path, rubric, bids, scores)
    assert len(tables) > 20
    page = Kit().width
    checked = 0
    for header, rows, t in tables:
        widths = t._colWidths
        assert sum(widths) <= page + 0.5, header
        for r, line in enumerate([header] + rows):
            for c, v in enumerate(line):
                size = t._cellStyles[r][c].fontsize if r else t._cellStyles[1 if rows else 0][c].fontsize
                font = BOLD if r == 0 else FONT
                for token in _cell_text(v).split():
                    w = stringWidth(token, font, size)
                    if len(token) > 24:  # a web address, a file path or a fingerprint may break; nothing else may
                        continue
                    checked += 1
                    assert w + 6 <= widths[c], (header, header[c] if c < len(header) else c, token, w, widths[c])
                    assert size >= 6
    assert checked > 1000


def test_a_cell_wraps_at_spaces_never_inside_a_word_or_a_number():
    """A narrow table of long money and words: each line of each wrapped cell holds whole tokens only."""
    k = Kit()
    header = ["Criterion", "Claimed £ (figures lens)", "Severity", "Weight"]
    rows = [["Northtown Community Care CIC " * 4, "£23,874 £1,080,000 £2,930,436 " * 6,
             "Displacement Attribution Deadweight " * 4, "£12.21"]] * 3
    t = k.table(header, rows, [30, 1, 1, 1])
    t.wrap(k.width, 10_000)
    wrapped = 0
    for r, line in enumerate(t._cellvalues):
        for c, cell in enumerate(line):
            source = header[c] if r == 0 else rows[r - 1][c]
            for flow in (cell if isinstance(cell, (list, tuple)) else [cell]):
                if not hasattr(flow, "blPara"):
                    assert stringWidth(str(flow), FONT, 7.5) + 6 <= t._colWidths[c]  # drawn on one line
                    continue
                flow.wrap(t._colWidths[c] - 6, 10_000)
                lines = [" ".join(w if isinstance(w, str) else w.text for w in
                                  (ln[1] if isinstance(ln, tuple) else ln.words)) for ln in flow.blPara.lines]
                wrapped += len(lines) > 1
                assert " ".join(lines).split() == source.split(), (lines, source)
    assert wrapped


def test_a_table_too_wide_for_the_page_shrinks_its_font_and_still_splits_no_number():
    k = Kit()
    header = [f"Walk: step number {i}" for i in range(11)]
    rows = [[f"-£{i},{i:03d},{i:03d}" for i in range(1, 12)]]
    widths, size = k.column_widths(header, rows, [1] * 11)
    assert sum(widths) <= k.width + 0.01 and 6 <= size < 7.5
    from reportlab.pdfbase.pdfmetrics import stringWidth
    assert all(stringWidth(v, FONT, size) + 6 <= w for v, w in zip(rows[0], widths))
    widths, size = k.column_widths(header * 3, rows * 3, [1] * 33)  # no font small enough: the page still holds it
    assert sum(widths) <= k.width + 0.01 and size == 6
