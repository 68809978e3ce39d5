"""Bids in a tender let in lots (DESIGN.md 9.3, issue 16): each bid names its `lot` (YAML/JSON key, the XLSX
Bid sheet's field, the bulk CSVs' column); the lot is required when the tender has lots, refused when it has
none or when it names a lot the tender does not have (one line naming file, field and value, with a
suggestion); one bid per supplier per lot; the three tables carry `lot`; BidSet.for_lot gives one lot's bids.

The tender is the shipped home-care sample with two lots added to a copy of its rubric."""
from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
import yaml

from evaluator import InputErrors, load_bid, load_bid_files, load_bids, load_rubric
from evaluator.documents import load_document
from tests.conftest import RUBRICS, SAMPLES

HOME = RUBRICS / "home_care_north.yaml"
HOME_BIDS = SAMPLES / "home_care_north"
LOTS = [{"id": "L1", "title": "North routes", "contract_value": 3000000},
        {"id": "L2", "title": "South routes", "contract_value": 1800000}]
# which lot each sample bid is for: Apex bids for both lots (two files), the others for one each
LOT_OF = {"apex_care_group.yaml": "L1", "budget_home_support.yaml": "L2", "carewell_services.json": "L1",
          "easton_homecare_partnership.yaml": "L2", "northtown_community_care.yaml": "L1",
          "riverside_care_coop.yaml": "L2"}


def _lotted_rubric(tmp_path: Path) -> Path:
    doc = yaml.safe_load(HOME.read_text("utf-8"))
    doc["lots"] = LOTS
    (tmp_path / "rubrics" / "proxies").mkdir(parents=True, exist_ok=True)
    shutil.copytree(RUBRICS / "proxies", tmp_path / "rubrics" / "proxies", dirs_exist_ok=True)
    path = tmp_path / "rubrics" / "home_care_lots.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    return path


def _write_doc(path: Path, doc: dict) -> None:
    if path.suffix == ".json":
        import json
        path.write_text(json.dumps(doc, indent=2), "utf-8")
    else:
        path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "utf-8")


@pytest.fixture
def lotted(tmp_path: Path):
    """(rubric, bids folder): each sample bid names its lot; Apex also bids for L2 in a second file."""
    rubric = load_rubric(_lotted_rubric(tmp_path))
    folder = tmp_path / "bids"
    folder.mkdir()
    for name, lot in LOT_OF.items():
        doc = load_document(HOME_BIDS / name)
        doc["lot"] = lot
        _write_doc(folder / name, doc)
    doc = load_document(HOME_BIDS / "apex_care_group.yaml")
    doc.update(lot="L2", price=2000000)
    doc["commitments"] = doc["commitments"][:2]
    _write_doc(folder / "apex_care_group_south.yaml", doc)
    return rubric, folder


def _lines(bidset) -> list[str]:
    return [e.line() for e in bidset.problems]


def test_each_bid_names_its_lot_and_the_tables_carry_it(lotted):
    rubric, folder = lotted
    bidset = load_bids(folder, rubric).require_valid()
    lots = dict(zip(bidset.bids["_file"].map(lambda f: Path(f).name), bidset.bids["lot"]))
    assert lots == {**LOT_OF, "apex_care_group_south.yaml": "L2"}
    assert bidset.lots == ["L1", "L2"]
    # the same supplier in two lots is two bids, each with its own commitments and responses
    apex = bidset.commitments[bidset.commitments["bidder"] == "Apex Care Group Ltd"]
    assert apex.groupby("lot").size().to_dict() == {"L1": 7, "L2": 2}
    assert set(bidset.responses["lot"]) == {"L1", "L2"}
    assert bidset.responses.groupby("lot").size().sum() == len(bidset.responses)


def test_for_lot_gives_that_lots_bids_responses_and_commitments_only(lotted):
    rubric, folder = lotted
    bidset = load_bids(folder, rubric).require_valid()
    south = bidset.for_lot("L2")
    assert south.bidders == ["Apex Care Group Ltd", "Budget Home Support Ltd", "Easton Homecare Partnership",
                             "Riverside Care Co-operative"]
    assert south.bids.loc[south.bids["bidder"] == "Apex Care Group Ltd", "price"].tolist() == [2000000.0]
    assert set(south.commitments["lot"]) == {"L2"} and set(south.responses["lot"]) == {"L2"}
    assert len(south.commitments[south.commitments["bidder"] == "Apex Care Group Ltd"]) == 2
    north = bidset.for_lot("L1")
    assert north.bidders == ["Apex Care Group Ltd", "Carewell Services Ltd", "Northtown Community Care CIC"]
    assert len(north.commitments) + len(south.commitments) == len(bidset.commitments)
    assert list(north.bids.index) == list(range(3))  # a table of its own, numbered from 0
    assert bidset.for_lot("L3").bids.empty


def test_a_bid_without_its_lot_is_refused_in_one_line(lotted):
    rubric, folder = lotted
    doc = load_document(folder / "riverside_care_coop.yaml")
    del doc["lot"]
    _write_doc(folder / "riverside_care_coop.yaml", doc)
    bidset = load_bids(folder, rubric)
    assert _lines(bidset) == [f"{folder / 'riverside_care_coop.yaml'}, bid, field 'lot': required: this tender is "
                              "let in lots; name one of L1 (North routes), L2 (South routes)"]
    assert [s["bidder"] for s in bidset.skipped] == ["Riverside Care Co-operative"]
    with pytest.raises(InputErrors):
        bidset.require_valid()


@pytest.mark.parametrize("typed, hint", [("L3", ""), ("l2", " (did you mean 'L2'?)"), ("L 2", " (did you mean 'L2'?)")])
def test_a_lot_that_does_not_exist_is_named_with_a_suggestion(lotted, typed, hint):
    rubric, folder = lotted
    doc = load_document(folder / "carewell_services.json")
    doc["lot"] = typed
    _write_doc(folder / "carewell_services.json", doc)
    bidset = load_bids(folder, rubric)
    assert _lines(bidset) == [f"{folder / 'carewell_services.json'}, bid, field 'lot', value '{typed}': is not a lot "
                              f"of this tender (its lots are L1 (North routes), L2 (South routes)){hint}"]
    assert bidset.skipped == [{"file": str(folder / "carewell_services.json"), "bidder": "Carewell Services Ltd",
                               "lot": typed}]


def test_the_same_supplier_twice_in_one_lot_sets_the_second_aside_and_names_it(lotted):
    rubric, folder = lotted
    shutil.copyfile(folder / "budget_home_support.yaml", folder / "zz_budget_again.yaml")
    bidset = load_bids(folder, rubric)
    assert _lines(bidset) == [
        f"{folder / 'zz_budget_again.yaml'}, bid, field 'bidder', value 'Budget Home Support Ltd': the same supplier "
        f"bids twice for lot L2 (first in {folder / 'budget_home_support.yaml'}); one bid per supplier per lot, so "
        "this one is set aside"]
    assert bidset.skipped == [{"file": str(folder / "zz_budget_again.yaml"), "bidder": "Budget Home Support Ltd",
                               "lot": "L2"}]
    # the first stays, with its commitments; the second's are gone
    south = bidset.for_lot("L2")
    assert south.bidders.count("Budget Home Support Ltd") == 1
    assert set(south.commitments["_bid"]) >= {str(folder / "budget_home_support.yaml")}
    assert str(folder / "zz_budget_again.yaml") not in set(bidset.commitments["_bid"])


def test_a_lot_in_a_tender_without_lots_is_refused(tmp_path):
    rubric = load_rubric(HOME)
    doc = load_document(HOME_BIDS / "apex_care_group.yaml")
    doc["lot"] = "L1"
    _write_doc(tmp_path / "apex.yaml", doc)
    bidset = load_bid(tmp_path / "apex.yaml", rubric)
    assert _lines(bidset) == [f"{tmp_path / 'apex.yaml'}, bid, field 'lot', value 'L1': this tender is not let in "
                              "lots: leave lot out (or blank)"]


def test_a_tender_without_lots_has_blank_lot_columns():
    rubric = load_rubric(HOME)
    bidset = load_bids(HOME_BIDS, rubric).require_valid()
    for table in (bidset.bids, bidset.responses, bidset.commitments):
        assert set(table["lot"].astype(object)) == {""}
    assert bidset.lots == []
    assert bidset.for_lot("").bidders == bidset.bidders


def _csv(path: Path, rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, list(dict.fromkeys(k for r in rows for k in r)), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), "utf-8")


def _bulk(folder: Path, out: Path, *, lot_columns: bool = True) -> Path:
    """The lotted folder's bids as the bulk form, each file with a lot column."""
    out.mkdir()
    bids, commitments, responses = [], [], []
    for p in sorted(folder.iterdir()):
        doc = load_document(p)
        lot = {"lot": doc["lot"]} if lot_columns else {}
        bids.append({"bidder": doc["bidder"], **lot, "price": doc["price"]})
        responses += [{"bidder": doc["bidder"], **lot, "criterion": k, "text": v}
                      for k, v in (doc.get("responses") or {}).items()]
        for c in doc.get("commitments") or []:
            row = {k: v for k, v in c.items() if k != "evidence"}
            row.update({f"evidence_{k}": v for k, v in (c.get("evidence") or {}).items()})
            commitments.append({"bidder": doc["bidder"], **lot, **row})
    _csv(out / "bids.csv", bids)
    _csv(out / "commitments.csv", commitments)
    _csv(out / "responses.csv", responses)
    return out


def test_the_bulk_form_names_each_rows_lot_and_gives_the_same_lots(lotted, tmp_path):
    rubric, folder = lotted
    singles = load_bids(folder, rubric).require_valid()
    bulk = load_bids(_bulk(folder, tmp_path / "bulk"), rubric).require_valid()
    for lot in ("L1", "L2"):
        a, b = singles.for_lot(lot), bulk.for_lot(lot)
        assert sorted(a.bidders) == sorted(b.bidders)
        def rows(frame):  # the bulk form keeps text as categories: compared as text
            return sorted(zip(frame["bidder"].astype(object), frame["id"].astype(object), frame["quantity"]))
        assert rows(a.commitments) == rows(b.commitments)
        assert sorted(a.responses["text"]) == sorted(b.responses["text"])
    assert bulk.commitments.groupby(["bidder", "lot"], observed=True).size()[("Apex Care Group Ltd", "L2")] == 2


def test_the_bulk_form_of_a_tender_in_lots_needs_the_lot_column(lotted, tmp_path):
    rubric, folder = lotted
    out = _bulk(folder, tmp_path / "bulk", lot_columns=False)
    bidset = load_bids(out, rubric)
    assert _lines(bidset) == [
        f"{out / name}, row 1, field 'lot': required column missing: this tender is let in lots (L1 (North routes), "
        "L2 (South routes)); each row names its lot" for name in ["bids.csv"]]


def test_bulk_rows_naming_a_wrong_lot_are_named_once_each(lotted, tmp_path):
    rubric, folder = lotted
    out = _bulk(folder, tmp_path / "bulk")
    rows = list(csv.DictReader(io.StringIO((out / "commitments.csv").read_text("utf-8"))))
    rows[0]["lot"] = "L9"
    _csv(out / "commitments.csv", rows)
    bidset = load_bids(out, rubric)
    assert _lines(bidset) == [f"{out / 'commitments.csv'}, row 2, field 'lot', value 'L9': is not a lot of this "
                              "tender (its lots are L1 (North routes), L2 (South routes))"]


def test_a_lot_column_in_a_tender_without_lots_is_refused_unless_blank(bulk):
    rubric, folder = load_rubric(bulk.rubric), bulk.bids
    for name in ("bids.csv", "commitments.csv"):
        rows = list(csv.DictReader(io.StringIO((folder / name).read_text("utf-8"))))
        for r in rows:
            r["lot"] = ""
        _csv(folder / name, rows)
    blank = load_bids(folder, rubric)
    assert not blank.problems and set(blank.commitments["lot"]) == {""}
    rows[1]["lot"] = "L1"
    _csv(folder / "commitments.csv", rows)
    assert _lines(load_bids(folder, rubric)) == [f"{folder / 'commitments.csv'}, row 3, field 'lot', value 'L1': "
                                                 "this tender is not let in lots: leave lot out (or blank)"]


def test_uploaded_bids_of_a_tender_in_lots_are_the_bids_of_their_folder(lotted):
    rubric, folder = lotted
    uploaded = load_bid_files([(p.name, p.read_bytes()) for p in sorted(folder.iterdir())], rubric)
    assert not uploaded.problems
    from_folder = load_bids(folder, rubric)
    assert uploaded.bids["lot"].tolist() == from_folder.bids["lot"].tolist()
    assert uploaded.for_lot("L2").bidders == from_folder.for_lot("L2").bidders


def test_one_lots_rubric_takes_a_bid_without_lot_as_that_lots(lotted):
    rubric, folder = lotted
    south = rubric.for_lot("L2")
    doc = load_document(folder / "easton_homecare_partnership.yaml")
    del doc["lot"]
    _write_doc(folder / "easton_homecare_partnership.yaml", doc)
    bidset = load_bid(folder / "easton_homecare_partnership.yaml", south).require_valid()
    assert bidset.bids["lot"].tolist() == ["L2"] and set(bidset.commitments["lot"]) == {"L2"}
    other = load_bid(folder / "carewell_services.json", south)
    assert [e.field for e in other.problems] == ["lot"]


def test_a_lots_own_term_is_the_default_end_year_of_its_commitments(tmp_path):
    doc = yaml.safe_load(HOME.read_text("utf-8"))
    doc["lots"] = [LOTS[0], {**LOTS[1], "duration_years": 3}]
    shutil.copytree(RUBRICS / "proxies", tmp_path / "proxies")
    (tmp_path / "lots.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    rubric = load_rubric(tmp_path / "lots.yaml")
    folder = tmp_path / "bids"
    folder.mkdir()
    for name, lot in (("apex_care_group.yaml", "L1"), ("budget_home_support.yaml", "L2")):
        bid = load_document(HOME_BIDS / name)
        bid["lot"] = lot
        for c in bid["commitments"]:
            c.pop("end_year", None)
        _write_doc(folder / name, bid)
    bidset = load_bids(folder, rubric).require_valid()
    ends = bidset.commitments.groupby("lot")["end_year"].unique().map(list).to_dict()
    assert ends == {"L1": [4.0], "L2": [3.0]}
    bulk = load_bids(_bulk(folder, tmp_path / "bulk"), rubric).require_valid()
    assert bulk.commitments.groupby("lot", observed=True)["end_year"].unique().map(list).to_dict() == ends
