"""Shared paths: the shipped sample tenders are the fixtures most tests run on (real files)."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUBRICS = ROOT / "rubrics"
SAMPLES = ROOT / "sample_bids"
TENDERS = ["home_care_north", "schools_fm"]


@pytest.fixture(scope="module", params=TENDERS)
def ev(request):
    """Each shipped tender, evaluated with its evaluators' scores."""
    from evaluator import evaluate, load_bids, load_rubric, load_scores
    rubric, bids, scores = tender_paths(request.param)
    r = load_rubric(rubric)
    b = load_bids(bids, r).require_valid()
    return evaluate(r, b, load_scores(scores, r, b.bidders))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def tender_paths(name: str) -> tuple[Path, Path, Path]:
    return RUBRICS / f"{name}.yaml", SAMPLES / name, SAMPLES / name / "scores.csv"


@pytest.fixture(autouse=True)
def _workspace_home(tmp_path_factory, monkeypatch):
    """The app keeps scores in a workspace under $SOCIAL_VALUE_HOME: each test gets its own, so no test
    sees another's saved scores and nothing is written to the real home folder."""
    monkeypatch.setenv("SOCIAL_VALUE_HOME", str(tmp_path_factory.mktemp("social_value_home")))


@pytest.fixture
def bulk(tmp_path: Path):
    """The home-care sample tender written in the bulk form (bids.csv + commitments.csv), in a temp folder."""
    from tests.test_bad_input import copy_tender
    tender = copy_tender(tmp_path / "tender")
    tender.to_bulk()
    return tender
