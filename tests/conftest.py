"""Shared paths: the shipped sample tenders are the fixtures most tests run on (real files)."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUBRICS = ROOT / "rubrics"
SAMPLES = ROOT / "sample_bids"
TENDERS = ["home_care_north", "schools_fm"]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def tender_paths(name: str) -> tuple[Path, Path, Path]:
    return RUBRICS / f"{name}.yaml", SAMPLES / name, SAMPLES / name / "scores.csv"
