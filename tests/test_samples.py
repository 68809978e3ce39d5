"""The shipped samples are the product's first impression: real, licensed, and showing every check."""
import csv

import pytest

from evaluator import RubricRefused, evaluate, load_bids, load_rubric, load_scores
from evaluator.design_checks import check_rubric
from evaluator.flags import CATALOGUE

from .conftest import ROOT, RUBRICS, SAMPLES, TENDERS, tender_paths


def test_every_flag_code_fires_somewhere_in_the_samples():
    seen = set()
    for name in TENDERS:
        rubric, bids, scores = tender_paths(name)
        r = load_rubric(rubric)
        b = load_bids(bids, r).require_valid()
        ev = evaluate(r, b, load_scores(scores, r, b.bidders))
        seen |= set(ev.flags["code"]) | set(ev.rubric_flags["code"])
        assert len(b.bids) >= 5 and b.bids["bidder"].is_unique
    for draft in sorted((RUBRICS / "drafts").glob("*.yaml")):
        try:
            seen |= set(check_rubric(load_rubric(draft))["code"])
        except RubricRefused as exc:
            seen.add(exc.code)
    # practice reviews (SV309-SV314) fire on the OCDS fixtures, contract-stage checks (SV4xx) on the sample returns
    from evaluator.delivery import track
    from evaluator.review import review_paths
    from evaluator.review_portfolio import tender_codes
    review = review_paths([ROOT / "tests" / "fixtures" / "ocds"])
    seen |= {c for t in review.tenders for c in tender_codes(t)} | {p["code"] for p in review.problems}
    hc = load_rubric(RUBRICS / "home_care_north.yaml")
    seen |= set(track(hc, load_bids(SAMPLES / "home_care_north", hc).require_valid(),
                      SAMPLES / "home_care_north" / "delivery.csv").flags["code"])
    assert seen == set(CATALOGUE), f"never fired: {sorted(set(CATALOGUE) - seen)}"


@pytest.mark.parametrize("name", TENDERS)
def test_scores_come_from_several_evaluators(name):
    _, _, scores = tender_paths(name)
    with open(scores, newline="", encoding="utf-8") as fh:
        evaluators = {row["evaluator"] for row in csv.DictReader(fh)} - {"MODERATED"}
    assert len(evaluators) >= 3


def test_the_proxy_table_ships_only_openly_licensed_values_with_their_provenance():
    with open(RUBRICS / "proxies" / "public_2025.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for row in rows:
        assert row["source"] and row["price_year"] and row["licence"], row["code"]
        text = " ".join(row.values()).lower()
        assert "toms" not in text and "hact" not in text and "nc-nd" not in text, row["code"]
        assert "open government licence" in row["licence"].lower() or "not applicable" in row["licence"].lower()


def _readme_table(heading: str) -> list[list[str]]:
    """The expected-results table under a README heading: its rows of cells (header and rule left out)."""
    text = (SAMPLES / "README.md").read_text(encoding="utf-8").split(heading, 1)[1]
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    start = next(i for i, line in enumerate(rows) if "design total" in line)
    out = []
    for line in rows[start + 1:]:
        if not line.startswith("| ") or "---" in line:
            continue
        cells = [c.strip().strip("*") for c in line.strip("|").split("|")]
        if len(cells) != 9:
            break
        out.append(cells)
    return out


def test_readme_schools_table_is_what_the_tool_gives_an_outcome_without_a_target_left_out():
    """The README's rule (an outcome with no target is left out of the design fraction) is the tool's:
    its schools table gives the totals and fractions `evaluate` prints, to the table's precision."""
    rubric, bids, scores = tender_paths("schools_fm")
    r = load_rubric(rubric)
    b = load_bids(bids, r).require_valid()
    res = evaluate(r, b, load_scores(scores, r, b.bidders)).results.set_index("bidder")
    rows = _readme_table("## Tender 2")
    assert len(rows) == len(res)
    for cells in rows:
        got = res.loc[cells[0]]
        total, rank = cells[8].replace(")", "").split(" (")
        assert float(total) == pytest.approx(got["total"], abs=0.05), cells[0]
        assert int(rank) == got["rank"], cells[0]
        assert float(cells[7]) == pytest.approx(got["design_fraction"], abs=0.0005), cells[0]
        figures, figures_rank = cells[6].replace(")", "").split(" (")
        assert float(figures) == pytest.approx(got["figures_total"], abs=0.05), cells[0]
        assert int(figures_rank) == got["figures_rank"], cells[0]
