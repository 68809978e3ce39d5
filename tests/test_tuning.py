"""The command line's read-ahead (tuning.read_ahead): a bulk commitments.csv parsed while the tool starts,
handed to the loader explicitly, and used only for the very file it read, unchanged."""
from __future__ import annotations

from pathlib import Path


from evaluator.bids import load_bids
from evaluator.rubric import load_rubric
from evaluator.tuning import read_ahead



def test_the_read_ahead_gives_the_table_of_the_file_it_read_and_nothing_else(bulk):
    path = bulk.bids / "commitments.csv"
    parsed = read_ahead(["evaluate", "--rubric", str(bulk.rubric), "--bids", str(bulk.bids)])
    table = parsed(path)
    assert table is not None and table.num_rows == len(path.read_text().splitlines()) - 1
    assert parsed(bulk.bids / "bids.csv") is None  # only commitments.csv is read ahead

    parsed = read_ahead(["evaluate", f"--bids={bulk.bids}"])
    with path.open("a") as fh:  # the file changes after the read-ahead started: the loader reads it again
        fh.write(path.read_text().splitlines()[1] + "\n")
    assert parsed(path) is None

    assert read_ahead(["evaluate", "--bids", str(bulk.bids / "no-such-folder")]) is None  # nothing to read
    assert read_ahead(["template", "--rubric", str(bulk.rubric)]) is None
    assert read_ahead(["workspace", "init", "--rubric", str(bulk.rubric), "--bids", str(bulk.bids)]) is None


def test_the_loader_uses_the_table_it_is_given_for_that_file(bulk):
    """load_bids(parsed=) takes the command line's table instead of parsing the file again: the same
    bids as reading it, and the given table is what is used."""
    rubric = load_rubric(bulk.rubric)
    path = bulk.bids / "commitments.csv"
    parsed = read_ahead(["evaluate", "--bids", str(bulk.bids)])
    table = parsed(path)
    asked = []

    def given(p):
        asked.append(Path(p))
        return table if Path(p) == path else None

    with_table = load_bids(bulk.bids, rubric, parsed=given)
    assert path in asked
    assert with_table.commitments.equals(load_bids(bulk.bids, rubric).commitments)
    emptied = load_bids(bulk.bids, rubric, parsed=lambda p: table.slice(0, 0) if Path(p) == path else None)
    assert len(emptied.commitments) == 0  # the table given is the one used, not a second read of the file
