"""The shipped sample tenders: where their rubric, bids and scores are. A new visitor opens DEFAULT_SAMPLE."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES: dict[str, tuple[Path, Path, Path]] = {
    name: (ROOT / "rubrics" / f"{name}.yaml", ROOT / "sample_bids" / name, ROOT / "sample_bids" / name / "scores.csv")
    for name in ("home_care_north", "schools_fm", "school_catering")
    if name != "school_catering" or (ROOT / "rubrics" / f"{name}.yaml").is_file()  # the lotted sample, once shipped
}
DEFAULT_SAMPLE = "home_care_north"
