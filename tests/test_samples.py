"""The shipped samples are the product's first impression: real, licensed, and showing every check."""
import csv

import pytest

from evaluator import RubricRefused, evaluate, load_bids, load_rubric, load_scores
from evaluator.design_checks import check_rubric
from evaluator.flags import CATALOGUE

from .conftest import ROOT, RUBRICS, SAMPLES, TENDERS, tender_paths

CATERING = "school_catering"  # the lotted sample (its own tests below; conftest's TENDERS are unlotted)


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
    # the lotted sample: every lot's bid and rubric flags (SV208-SV210 fire only here)
    from evaluator.lots import evaluate_tender
    rubric, bids, scores = tender_paths(CATERING)
    r = load_rubric(rubric)
    b = load_bids(bids, r).require_valid()
    lotted = evaluate_tender(r, b, load_scores(scores, r, b.bidders))
    for lot in lotted.lots.values():
        seen |= set(lot.flags["code"]) | set(lot.rubric_flags["code"])
    hc = load_rubric(RUBRICS / "home_care_north.yaml")
    seen |= set(track(hc, load_bids(SAMPLES / "home_care_north", hc).require_valid(),
                      SAMPLES / "home_care_north" / "delivery.csv").flags["code"])
    assert seen == set(CATALOGUE), f"never fired: {sorted(set(CATALOGUE) - seen)}"


@pytest.mark.parametrize("name", TENDERS + [CATERING])
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


# ----------------------------------------------------------------------------- the lotted sample: school catering

@pytest.fixture(scope="module")
def catering() -> dict:
    """The shipped school-catering tender evaluated with its scores: DESIGN 9.3's document, the one
    `evaluate --json` prints for a tender with lots (LotsEvaluation.to_json)."""
    import json

    from evaluator.lots import evaluate_tender
    rubric, bids, scores = tender_paths(CATERING)
    r = load_rubric(rubric)
    b = load_bids(bids, r).require_valid()
    return json.loads(evaluate_tender(r, b, load_scores(scores, r, b.bidders)).json_bytes())


def _lot(doc, lot_id):
    return next(lot for lot in doc["lots"] if lot["id"] == lot_id)


def _bid(doc, lot_id, bidder):
    return next(b for b in _lot(doc, lot_id)["bids"] if b["bidder"] == bidder)


def _codes(bid):
    return {f["code"] for f in bid["flags"]}


FRESH, HARVEST = "Brackenford Fresh Kitchens Ltd", "Harvest Table Catering Ltd"


def test_catering_awards_lot_1_to_the_winner_and_passes_it_over_for_lot_2(catering):
    """The award a commissioner reads: Brackenford Fresh Kitchens ranks first in both lots, is awarded the
    larger (L1, £9.6m, awarded first) and, holding max_lots_per_supplier (1), is passed over for L2, which
    goes to the next eligible bid, Harvest Table's."""
    assert catering["tender"] == "SC-2026-007" and catering["official_lens"] == "design"
    assert [lot["id"] for lot in catering["lots"]] == ["L1", "L2"]
    l1, l2 = _lot(catering, "L1"), _lot(catering, "L2")
    assert _bid(catering, "L1", FRESH)["rank"] == 1 and _bid(catering, "L2", FRESH)["rank"] == 1
    assert l1["awarded_to"] == FRESH and l1["passed_over"] == []
    assert l2["awarded_to"] == HARVEST and l2["passed_over"] == [FRESH]
    assert _bid(catering, "L2", HARVEST)["rank"] == 2
    assert catering["rubric_flags"] == []  # a careful design: no SV3xx


@pytest.mark.parametrize("lot_id,bidder,code", [
    ("L1", "Nationwide Education Catering plc", "SV209"),   # local food spend (mandatory O1) in Doncaster
    ("L1", "Crown Contract Dining Ltd", "SV210"),           # £10,150,000 over the £9,900,000 ceiling
    ("L2", "Little Acorns Kitchen Co-operative", "SV208"),  # allergen management: MODERATED fail
])
def test_catering_each_exclusion_for_its_own_reason(catering, lot_id, bidder, code):
    bid = _bid(catering, lot_id, bidder)
    assert bid["eligible"] is False and bid["rank"] is None
    assert code in _codes(bid)
    assert not {"SV208", "SV209", "SV210"} - {code} & _codes(bid)  # each excluded for that reason alone


def test_catering_near_misses_stay_eligible(catering):
    """Harvest Table's L1 quality is exactly half of the Quality group's 45 marks (min_share 0.5: not under
    it) and its Q2 exactly the threshold 50; Brackenford Fresh claims 23.4% of lot 1, under SV201's 24%."""
    harvest = _bid(catering, "L1", HARVEST)
    assert harvest["eligible"] is True and harvest["quality_score"] == pytest.approx(22.5)
    assert "SV203" not in _codes(harvest)
    fresh = _bid(catering, "L1", FRESH)
    assert "SV201" not in _codes(fresh) and fresh["lenses"]["figures"]["claimed_value"] == pytest.approx(2_251_038)
    assert "SV201" in _codes(_bid(catering, "L1", "Nationwide Education Catering plc"))


def test_catering_price_marks_ignore_excluded_bids_in_each_lot(catering):
    """Each lot has its own lowest eligible price: L1 Harvest's £9,310,000 (not Nationwide's excluded
    £8,640,000), L2 Harvest's £5,180,000 (not Little Acorns' excluded £5,050,000)."""
    assert _bid(catering, "L1", HARVEST)["price_score"] == pytest.approx(40)
    assert _bid(catering, "L1", FRESH)["price_score"] == pytest.approx(40 * 9_310_000 / 9_480_000, abs=1e-4)
    assert _bid(catering, "L2", FRESH)["price_score"] == pytest.approx(40 * 5_180_000 / 5_320_000, abs=1e-4)


def test_readme_catering_tables_are_what_the_tool_gives(catering):
    """sample_bids/README.md's per-lot tables: totals and ranks as `evaluate` prints them."""
    text = (SAMPLES / "README.md").read_text(encoding="utf-8").split("## Tender 3", 1)[1].split("\n## ", 1)[0]
    seen = 0
    for line in text.splitlines():
        cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
        if len(cells) < 8 or cells[0] not in ("L1", "L2") or not cells[-1][:1].isdigit():
            continue
        bid = _bid(catering, cells[0], cells[1])
        total, rank = cells[-1].replace(")", "").split(" (")
        assert float(total) == pytest.approx(bid["total"], abs=0.005), cells[1]
        assert int(rank) == bid["rank"], cells[1]
        seen += 1
    assert seen == 4  # the eligible bids: two in each lot
