"""The fast `--json` writer (flags assembled in Arrow) against the plain one (a dict per flag)."""
from __future__ import annotations

import orjson

from evaluator import evaluate, load_bids, load_rubric, load_scores

from .conftest import tender_paths


def _plain(ev) -> bytes:
    """Unindented: with --json the flag lists are written compact inside the indented document."""
    return orjson.dumps(ev.to_json(), option=orjson.OPT_SERIALIZE_NUMPY)


def test_fast_json_is_byte_for_byte_the_plain_json():
    for name in ("home_care_north", "schools_fm"):
        rubric, bids, scores = tender_paths(name)
        r = load_rubric(rubric)
        b = load_bids(bids, r)
        ev = evaluate(r, b, load_scores(scores, r, b.bidders))
        assert len(ev.flags) > 10
        assert ev.json_bytes(indent=False) == _plain(ev)


def test_fast_json_groups_unsorted_flags_and_awkward_text_by_bid():
    """Flags in any order, text with quotes and control characters, a flag with no bidder: each bid
    still lists exactly its own flags in their order, encoded as orjson would."""
    rubric, bids, scores = tender_paths("home_care_north")
    r = load_rubric(rubric)
    ev = evaluate(r, load_bids(bids, r))
    flags = ev.flags.sample(frac=1.0, random_state=3).reset_index(drop=True)
    flags.loc[0, "message"] = 'said "no" \\ then\n\x01 – £5 Ŵ'
    flags.loc[1, "commitment"] = None
    flags.loc[2, "bidder"] = None
    flags.loc[3, "commitment"] = 7  # an id YAML read as a number
    flags.loc[4, "message"] = "beyond the basic plane 😀, and no escapes"
    ev.flags = flags
    assert ev.json_bytes(indent=False) == _plain(ev)
    doc = orjson.loads(ev.json_bytes())
    assert sum(len(b["flags"]) for b in doc["bids"]) == len(flags) - 1
    assert 'said "no" \\ then\n\x01 – £5 Ŵ' in [f["message"] for b in doc["bids"] for f in b["flags"]]


def test_streamed_json_is_json_bytes(monkeypatch):
    """`write_json` (what --json uses) writes exactly `json_bytes`, also when the flags are written in
    many small batches and are in no particular order."""
    import io

    from evaluator import evaluation
    rubric, bids, scores = tender_paths("schools_fm")
    r = load_rubric(rubric)
    ev = evaluate(r, load_bids(bids, r))
    monkeypatch.setattr(evaluation, "FLAG_BATCH", 3)
    ev.flags = ev.flags.sample(frac=1.0, random_state=5).reset_index(drop=True)
    for indent in (True, False):
        out = io.BytesIO()
        ev.write_json(out, indent=indent)
        assert out.getvalue() == ev.json_bytes(indent=indent)
    assert ev.json_bytes(indent=False) == _plain(ev)
