"""The report tests' shared tender and how they read a PDF back (pypdf): the documents of issue 4, what a
procurement lead signs and a supplier receives. The fixtures are imported by the test modules that use them.

The fixture tender (tests/fixtures/report/) is the home care sample with hostile and non-ASCII names:
Welsh ŵ ŷ, accents, £, €, en dashes, `<b>` without a close, `<img src=...>`, `&copy`, a bidder with no
contact details and a moderated rationale long enough to run over several pages.
"""
from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from evaluator import evaluate, load_bids, load_rubric, load_scores
from evaluator.cli import main
from evaluator.report_set import summary_file_names

from .conftest import ROOT

FIX = ROOT / "tests" / "fixtures" / "report"
RUBRIC, BIDS, SCORES = FIX / "rubric.yaml", FIX / "bids", FIX / "bids" / "scores.csv"
HOSTILE = [
    "Gofal Tŷ Ŵyn Cyf – Apex & <b>Partners",
    'Café Résumé Soins <img src="http://127.0.0.1:9/x.png"> &copy Ltd',
    '=HYPERLINK("http://evil.example","Budget") Home Support',
    "Easton Homecare Partnership <script>alert(1)</script>",
    "Riverside Care Co-operative € Ltd",
]
LONG_SENTENCE = "The panel read every part of the response and weighed it against the descriptors;"


def pdf_text(path_or_bytes) -> str:
    """All the text of a PDF with runs of white space collapsed (table cells wrap lines)."""
    import io
    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    reader = PdfReader(src)
    pages = []
    for p in reader.pages:  # without the running header and page number, which interrupt text split over pages
        lines = [ln for ln in (p.extract_text() or "").splitlines()
                 if not re.fullmatch(r"\s*Page \d+\s*", ln) and " · " not in ln[:40]]
        pages.append(" ".join(" ".join(lines).split()))
    return " ".join(pages)


def flat(s: str) -> str:
    return " ".join(s.split())


def has(text: str, expected: str) -> bool:
    """`expected` in `text`, ignoring white space: a token wider than its column (a long name without
    spaces) is broken across lines in the PDF, which is right, and pypdf reads the break as a space."""
    return re.sub(r"\s+", "", expected) in re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def fixture_ev():
    r = load_rubric(RUBRIC)
    b = load_bids(BIDS, r).require_valid()
    return evaluate(r, b, load_scores(SCORES, r, b.bidders))


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports") / "out"
    code = main(["report", "--rubric", str(RUBRIC), "--bids", str(BIDS), "--scores", str(SCORES), "--out", str(out)])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def report_text(report_dir):
    return pdf_text(report_dir / "evaluation_report.pdf")


@pytest.fixture(scope="module")
def summaries(report_dir, fixture_ev):
    names = summary_file_names(fixture_ev.results["bidder"].tolist())
    return {b: pdf_text(report_dir / n) for b, n in names.items()}


def run_main(argv, capsys):
    """The command line in this process: its exit code and its stderr lines."""
    code = main(argv)
    return code, capsys.readouterr().err.strip().splitlines()
