"""The documents as a reader sees them: every shipped sample's evaluation report, an assessment summary and
a self-assessment, drawn to images (pdftoppm) and read back word by word with their positions
(`pdftotext -bbox-layout`). Issue 19 saw £ values wrap mid-number ("£23,87" / "4") and headers mid-word
("Criterio/n", "Weigh/t", "Severit/y", "Outco/me") in the appendix tables: no word or £ value of any table
may be split across lines, and every header word and £ value appears whole, as one word on one line.

The tables' texts are taken as the documents are built (pdf_kit.Kit.table is watched), so the test knows
every cell without parsing the layout. The page images go to tests/artifacts/pdf/ when that folder exists
(to be looked at), else to a temporary folder. Skipped when poppler-utils is not installed.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from evaluator import load_bids, load_rubric, load_scores
from evaluator.pdf_kit import LONG_TOKEN, LEADING, Kit

from .conftest import ROOT

PDFTOPPM, PDFTOTEXT = shutil.which("pdftoppm"), shutil.which("pdftotext")
needs_poppler = pytest.mark.skipif(PDFTOPPM is None or PDFTOTEXT is None,
                                   reason="poppler-utils (pdftoppm, pdftotext) is not installed: apt-get install poppler-utils")
pytestmark = needs_poppler

ARTIFACTS = ROOT / "tests" / "artifacts" / "pdf"
SAMPLES = ["home_care_north", "schools_fm", "school_catering"]
DRAFTS = [("home_care_north", "riverside_care_coop.yaml"), ("school_catering", "little_acorns_kitchen_coop_L2.xlsx")]
MONEY = re.compile(r"^[(]?[−-]?£\d{1,3}(,\d{3})*(\.\d{1,2})?(m|k|/h)?[),.;:]*$")  # £23,874, £1.0m, £12.21/h
APPENDIX_HEADERS = {"Criterion", "Weight", "Severity", "Outcome", "Code", "Check", "Finding", "Fix", "Unit", "Value",
                    "Licence", "Source", "Role", "File", "Bytes"}


@dataclass
class Word:
    text: str
    page: int
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Document:
    name: str
    pdf: bytes
    headers: list[list[str]]      # every table's header row, as built
    cells: list[str]              # every text cell of every table, as built

    def tokens(self) -> set[str]:
        """Every run without a space in a table, that the layout must keep whole (a longer one, a web address or
        a fingerprint, may break by design)."""
        return {t for text in self.cells + [h for row in self.headers for h in row] for t in text.split()
                if len(t) <= LONG_TOKEN}


def _built(name: str, make) -> Document:
    """Build one document with Kit.table watched: every header and text cell it draws is kept."""
    headers: list[list[str]] = []
    cells: list[str] = []
    real = Kit.table

    def table(self, header, rows, *a, **kw):
        headers.append([str(h) for h in header])
        cells.extend(v for r in rows for v in r if isinstance(v, str))
        return real(self, header, rows, *a, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Kit, "table", table)
        pdf = make()
    return Document(name, pdf, headers, cells)


def _tender(sample: str):
    """The sample's evaluation as `report` makes it (for a tender with lots, every lot and the award)."""
    from evaluator.commands.tender_args import evaluate_tender
    rubric = load_rubric(ROOT / "rubrics" / f"{sample}.yaml")
    bids = load_bids(ROOT / "sample_bids" / sample, rubric).require_valid()
    return evaluate_tender(rubric, bids, load_scores(ROOT / "sample_bids" / sample / "scores.csv", rubric,
                                                     bids.bidders))


def _documents() -> list[Document]:
    from evaluator import assessment_summary_pdf, evaluation_report_pdf, summary_context
    from evaluator.evaluation import self_assess
    from evaluator.self_assessment_report import self_assessment_pdf
    docs = []
    for sample in SAMPLES:
        ev = _tender(sample)
        docs.append(_built(f"{sample}_evaluation_report", lambda: evaluation_report_pdf(ev, generated="7 December 2026")))
        lot = ev.rubric.lots[0].id if getattr(ev.rubric, "lots", None) else None
        cache = summary_context(ev, lot) if lot else summary_context(ev)
        # the bid with the most flags: the longest tables a supplier is sent
        flags = cache["flags"]
        bidder = max(cache["res"].index, key=lambda b: len(flags.get(b, ())) if flags.get(b) is not None else 0)
        docs.append(_built(f"{sample}_assessment_summary", lambda: assessment_summary_pdf(
            ev, bidder, context=cache, generated="7 December 2026")))
    for sample, draft in DRAFTS:
        rubric = load_rubric(ROOT / "rubrics" / f"{sample}.yaml")
        sa = self_assess(rubric, load_bids_one(ROOT / "sample_bids" / sample / draft, rubric))
        docs.append(_built(f"{sample}_self_assessment", lambda: self_assessment_pdf(
            sa, sa["evaluation"].rubric, generated="7 December 2026")))
    return docs


def load_bids_one(path: Path, rubric):
    from evaluator.bids import load_bid
    return load_bid(path, rubric).require_valid()


def _words(pdf_path: Path) -> list[Word]:
    """Every word with its box (points from the page's top left), as pdftotext -bbox-layout reads it."""
    html = subprocess.run([PDFTOTEXT, "-bbox-layout", str(pdf_path), "-"], capture_output=True, check=True,
                          timeout=120).stdout.decode("utf-8")
    root = ET.fromstring(html)
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    words = []
    for n, page in enumerate(root.iter("{http://www.w3.org/1999/xhtml}page"), start=1):
        for w in page.iterfind(".//x:word", ns):
            words.append(Word(w.text or "", n, float(w.get("xMin")), float(w.get("yMin")), float(w.get("xMax")),
                              float(w.get("yMax"))))
    return words


def splits(words: list[Word], tokens: set[str]) -> list[str]:
    """Pairs of words where the second sits on the next line of the same cell (one line's pitch below, starting
    left of where the first ends) and the two together make one word of a table ("Criterio" + "n",
    "£23,87" + "4") that neither is alone."""
    by_page: dict[int, list[Word]] = {}
    for w in words:
        by_page.setdefault(w.page, []).append(w)
    found = []
    for page in by_page.values():
        for a in page:
            if a.text in tokens:
                continue
            h = a.y1 - a.y0
            for b in page:
                dy = b.y0 - a.y0
                if 0.5 * h < dy <= LEADING * h + 2 and b.x0 < a.x1 and b.x1 > a.x0 - 400 and a.text + b.text in tokens:
                    found.append(f"page {a.page}: {a.text!r} / {b.text!r}")
    return found


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> list[tuple[Document, list[Word], list[Path]]]:
    out = ARTIFACTS if ARTIFACTS.is_dir() else tmp_path_factory.mktemp("pdf")
    made = []
    for doc in _documents():
        path = out / f"{doc.name}.pdf"
        path.write_bytes(doc.pdf)
        for old in out.glob(f"{doc.name}-*.png"):
            old.unlink()
        subprocess.run([PDFTOPPM, "-r", "60", "-png", str(path), str(out / doc.name)], check=True, timeout=300)
        made.append((doc, _words(path), sorted(out.glob(f"{doc.name}-*.png"))))
    return made


def test_every_document_renders_to_images(rendered):
    assert len(rendered) == 2 * len(SAMPLES) + len(DRAFTS)
    for doc, words, pngs in rendered:
        assert pngs and all(p.stat().st_size > 2000 for p in pngs), doc.name
        assert len(pngs) == max(w.page for w in words), doc.name


def test_no_word_or_pound_value_of_a_table_is_split_across_lines(rendered):
    for doc, words, _ in rendered:
        assert doc.cells and doc.headers, doc.name
        assert splits(words, doc.tokens()) == [], doc.name


def test_every_pound_value_in_a_document_is_one_whole_word(rendered):
    """A word holding £ is a whole amount (£23,874, −£156,138, £12.21), never a piece of one; and every £
    value of every table appears whole, as one word on one line."""
    for doc, words, _ in rendered:
        texts = {w.text for w in words}
        broken = [w.text for w in words if "£" in w.text and re.search(r"\d", w.text) and not MONEY.match(w.text)]
        assert broken == [], (doc.name, broken)
        money = {t for t in doc.tokens() if "£" in t and re.search(r"\d", t)}
        assert money, doc.name
        missing = sorted(t for t in money if t not in texts)
        assert missing == [], (doc.name, missing)


def test_every_header_word_of_every_table_is_one_whole_word(rendered):
    for doc, words, _ in rendered:
        texts = {w.text for w in words}
        heads = {t for row in doc.headers for h in row for t in h.split()}
        missing = sorted(t for t in heads if t not in texts)
        assert missing == [], (doc.name, missing)
    appendix = {t for doc, _, _ in rendered if doc.name.endswith("evaluation_report")
                for row in doc.headers for h in row for t in h.split()}
    assert APPENDIX_HEADERS <= appendix


def test_negative_pounds_are_drawn_with_the_minus_sign(rendered):
    """−£ (U+2212), which the shipped DejaVu Sans draws: the walk from claimed £ to credited £ has negatives."""
    report = next(words for doc, words, _ in rendered if doc.name == "home_care_north_evaluation_report")
    negatives = [w.text for w in report if w.text.startswith(("−£", "-£"))]
    assert negatives and all(t.startswith("−£") for t in negatives), negatives[:5]


def test_every_word_lies_within_the_page_margins(rendered):
    """Tables were drawn 12 pt wider than the page's frame holds: their last column ran into the right margin."""
    left, right = 15 * 72 / 25.4, 595.2756 - 15 * 72 / 25.4
    for doc, words, _ in rendered:
        outside = [(w.page, w.text, round(w.x1, 1)) for w in words if w.x0 < left - 0.5 or w.x1 > right + 0.5]
        assert outside == [], (doc.name, outside[:5])


def header_rows(words: list[Word], head: list[str]) -> dict[int, list[float]]:
    """Where a table's header row is drawn: page -> the heights of the rows holding the first word of every
    header cell, left to right."""
    firsts = [h.split()[0] for h in head if h.split()]
    found: dict[int, list[float]] = {}
    for w in words:
        if w.text != firsts[0]:
            continue
        row = sorted((x for x in words if x.page == w.page and abs(x.y0 - w.y0) < 1 and x.x0 >= w.x0 - 0.5),
                     key=lambda x: x.x0)
        texts = [x.text for x in row]
        at = 0
        for t in firsts:  # every header's first word, in order, on this row
            at = texts.index(t, at) + 1 if t in texts[at:] else -1
            if at < 0:
                break
        if at > 0:
            found.setdefault(w.page, []).append(round(w.y0, 1))
    return found


def test_a_table_split_across_pages_repeats_its_header_only_at_the_top_of_a_page(rendered):
    """A row too tall for the rest of a page is split inside the row: reportlab first split between rows and
    then split the next row on the same page, drawing the header a second time mid-page (the proxy table)."""
    for doc, words, _ in rendered:
        for head in doc.headers:
            if len([h for h in head if h.split()]) < 3:
                continue
            twice = {p: ys for p, ys in header_rows(words, head).items() if len(set(ys)) > 1}
            assert twice == {}, (doc.name, head, twice)


def _read_text(pdf_path: Path) -> str:
    """The text a reader reads, without the appendix's machine parts: the fingerprints table (file names broken
    at the column's edge, SHA-256s), the settings JSON whose fingerprint it gives, and the price base's GDP
    deflator indices and factors (published to four decimals). Marks in brackets, "(22.50)", are not a
    section number."""
    text = subprocess.run([PDFTOTEXT, str(pdf_path), "-"], capture_output=True, check=True, timeout=120).stdout.decode()
    for head, ends in (("C. Fingerprints of the inputs", ("\nD. ", "\nE. ")),
                       ("D. One price base", ("\nE. ",))):
        start = text.find(head)
        if start >= 0:
            end = min([i for i in (text.find(e, start) for e in ends) if i > 0] or [len(text)])
            text = text[:start] + text[end:]
    return re.sub(r"\((\d+\.\d\d)\)", r"[\1]", text)


def test_documents_pass_the_rules_a_page_must_pass(rendered, tmp_path):
    """tests/page_text.py's rules (no None/NaN, snake_case, float with more than two decimals, £-, spec section
    number, command line or server path) hold for every document too."""
    page_text = pytest.importorskip("tests.page_text")
    for doc, _, _ in rendered:
        path = tmp_path / f"{doc.name}.pdf"
        path.write_bytes(doc.pdf)
        offences = page_text.page_offences(_read_text(path))
        assert offences == [], (doc.name, offences[:10])
