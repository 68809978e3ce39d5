"""The session: the tender in use, the design and scores in use, and the evaluation of them.

Pages stay thin: they call these functions, hold edits in ``st.session_state`` (through these functions
only) and draw. Parsing and evaluation are cached with ``st.cache_data`` keyed on content digests, and the
current evaluation is also kept in the session, so moving between pages or changing one score never
re-parses a file. A shipped sample's or an uploaded tender's scores are kept in its workspace
(app/workspaces.py); without one, in the session.

Public API (other pages import them):

- ``Tender``: a loaded tender (key, label, rubric as loaded, bidset, scores as loaded, load problems).
- ``get_tender() -> Tender``: the tender in use (on a session's first call, the last tender opened, as noted
  in $SOCIAL_VALUE_HOME, else the default sample).
- ``sample_tender(name)``, ``workspace_tender(path) -> Tender``: a shipped sample; a tender read from a
  workspace file's own copies of its files.
- ``set_tender(tender)``: make a tender current (its own design and scores become the ones in use).
- ``get_rubric() -> Rubric``: the rubric in use: the loaded one, or the commissioner's last valid edit.
- ``set_rubric(rubric)``: put an edited, valid rubric in use for the current tender (the Design page).
- ``rubric_from_spec(spec, base) -> Rubric``: build a Rubric from a spec dict (the YAML structure);
  raises the EvaluatorError family exactly as loading a file would.
- ``get_scores() -> DataFrame`` / ``set_scores(df)``: evaluator scores in use for the current tender
  (``bidder, criterion, evaluator, score, rationale, lot``: SCORES below; ``lot`` is "" for a tender without
  lots; evaluator ``MODERATED`` is the consensus). These two are the only way pages read or write the table
  of scores.
- ``save_score``, ``evaluator_status``, ``set_complete``: one score saved at once, who has marked their
  scoring complete.
- ``checked_scores(df, rubric, bidders) -> (usable DataFrame, problem lines)``: the engine's own checks
  (load_scores) on edited scores; rows with a problem are listed and left out, never silently fixed.
- ``get_evaluation(key=None, lot=None) -> Evaluation | LotsEvaluation``: ``evaluate(get_rubric(), tender.bidset,
  usable scores)``, cached; for a tender with lots ``evaluate_tender``'s LotsEvaluation (every lot and the award
  across lots), or with ``lot`` that lot's own Evaluation (``app.ui.lot_picker`` gives the lot a page shows).
- ``lot_bidders(tender, lot) -> list``: the bidders of one lot (every bidder when ``lot`` is None or "").
- ``evaluation_key() -> str``: changes whenever the rubric, the bids or the scores change; use it as the
  first argument of your own cached functions (``heavy_cache``) for tables derived from the evaluation.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import pandas as pd
import streamlit as st
import yaml

from app import workspaces
from app.samples import DEFAULT_SAMPLE, SAMPLES
from app.uploads import clean_bidset, digest, error_lines, usable_scores
from evaluator import (MODERATED, SCORE_COLUMNS, BidSet, Evaluation, EvaluatorError, InputError, Rubric, Workspace,
                       evaluate, load_bids, load_rubric, parse_rubric, split_scores)

LOT = "lot"
SCORES = SCORE_COLUMNS + [LOT]   # the app's table of scores: scores.csv's columns and the bid's lot ("" without lots)


def with_lot(scores: pd.DataFrame) -> pd.DataFrame:
    """A scores table with its `lot` column ("" where it has none: a tender without lots, an old file)."""
    if LOT in scores.columns:
        out = scores.copy()
        out[LOT] = out[LOT].astype(object).where(out[LOT].notna(), "").map(str)
        return out
    return scores.assign(**{LOT: ""})


def has_lots(rubric) -> bool:
    return bool(getattr(rubric, "has_lots", False))

_TENDER = "sv_tender"          # session keys, private to this module
_RUBRICS = "sv_rubrics"        # {tender key: Rubric in use}
_SCORES = "sv_scores"          # {tender key: scores DataFrame in use}
_EVAL = "sv_evaluation"        # (evaluation key, Evaluation)
_COMPLETE = "sv_ws_complete"   # {tender key: {evaluator: bool}} when there is no workspace

# A tender this big is not kept in the caches shared by every user: its parsed bids, its evaluation and
# the tables derived from it are cached in the session that uses it (Streamlit's scope="session", dropped
# when that session ends), so its memory is returned once the users of it have gone. Small tenders (the
# samples, a 6-bid upload) stay shared: each new visitor gets them for free.
BIG_BIDS = 500
BIG_WORKSPACE_BYTES = 5_000_000
HEAVY_TTL = "1h"  # shared entries are also dropped an hour after they were made (reaped on the next write)


def _in_session() -> bool:
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    return get_script_run_ctx(suppress_warning=True) is not None


def big_tender() -> bool:
    """Whether the tender in use is big enough to be cached in its session only (see BIG_BIDS)."""
    tender = st.session_state.get(_TENDER) if _in_session() else None
    return tender is not None and len(tender.bidset.bids) > BIG_BIDS


def heavy_cache(*, max_entries: int, show_spinner: Any = False, big: Optional[Callable[..., bool]] = None,
                session: bool = True):
    """st.cache_data for the expensive tables of a tender: shared between users (at most `max_entries`,
    each for HEAVY_TTL) for a small tender, cached in the session only for a big one (`big(*args)`, by
    default big_tender()), or not cached at all for a big one when `session` is False (what the session
    keeps in its state already: a second, pickled copy would double its memory). The decorated function
    keeps `.shared` and `.session` (its two caches)."""
    def wrap(fn):
        shared = st.cache_data(fn, show_spinner=show_spinner, max_entries=max_entries, ttl=HEAVY_TTL)
        own = st.cache_data(fn, show_spinner=show_spinner, max_entries=2, scope="session") if session else fn

        def call(*args, **kwargs):
            is_big = big(*args, **kwargs) if big is not None else big_tender()
            return (own if is_big and _in_session() else shared)(*args, **kwargs)

        call.__wrapped__, call.__doc__, call.__name__ = fn, fn.__doc__, fn.__name__
        call.shared, call.session, call.clear = shared, own, shared.clear
        return call
    return wrap


@dataclass
class Tender:
    """A tender as loaded: rubric, usable bids and the scores file, plus every problem met on the way."""

    key: str                            # content digest: same files, same key
    label: str                          # what the user loaded, in words
    rubric: Rubric
    bidset: BidSet                      # usable bids only; problems are in `problems` as lines
    scores: pd.DataFrame                # as loaded (may be empty)
    problems: list[str] = field(default_factory=list)     # one line per problem, naming file/row/field
    skipped: list[dict] = field(default_factory=list)     # bids set aside: {file, bidder}
    files: list[str] = field(default_factory=list)        # file names loaded
    workspace: Optional[str] = None     # the workspace file its scores are saved in (uploads, opened files)


def _file_digest(path: Path) -> str:
    if path.is_dir():
        return digest(*[f"{p.name}:{_file_digest(p)}" for p in sorted(path.iterdir()) if p.is_file()])
    return digest(path.read_bytes()) if path.is_file() else "missing"


@st.cache_data(show_spinner=False, max_entries=4)
def _load_sample(name: str, digest: str) -> Tender:
    rubric_path, bids_path, scores_path = SAMPLES[name]
    rubric = load_rubric(rubric_path)
    bidset = load_bids(bids_path, rubric)
    problems = [e.line() for e in bidset.problems]
    scores = pd.DataFrame(columns=SCORE_COLUMNS)
    if scores_path.is_file():
        try:
            scores = usable_scores(scores_path, rubric, bidset)
        except EvaluatorError as exc:
            problems += error_lines(exc)
    return Tender(key=f"sample:{name}:{digest}", label=f"shipped sample: {rubric.tender.id} {rubric.tender.title}",
                  rubric=rubric, bidset=clean_bidset(bidset), scores=scores, problems=problems,
                  skipped=list(bidset.skipped),
                  files=[rubric_path.name] + sorted(p.name for p in bids_path.iterdir() if p.is_file()))


def sample_tender(name: str = DEFAULT_SAMPLE) -> Tender:
    """A shipped sample, parsed once (the digest makes an edited sample file load afresh)."""
    rubric_path, bids_path, _ = SAMPLES[name]
    return _load_sample(name, digest(_file_digest(rubric_path), _file_digest(bids_path),
                                      _file_digest(rubric_path.parent / "proxies")))


@heavy_cache(max_entries=8, big=lambda path, files_key, size=0: size > BIG_WORKSPACE_BYTES, session=False)
def _load_workspace(path: str, files_key: str, size: int = 0) -> Tender:
    ws = Workspace.open(path)
    rubric, bidset = ws.load_tender()
    rubric.path = Path(Path(ws.meta["rubric_file"]).name)
    files = ws.files()
    return Tender(key=f"workspace:{files_key}:{path}",
                  label=f"workspace {Path(path).name}: {rubric.tender.id} {rubric.tender.title}",
                  rubric=rubric, bidset=clean_bidset(bidset), scores=ws.scores()[SCORES],
                  files=[str(f).rsplit("/", 1)[-1] for f in files["path"]], workspace=path)


def workspace_tender(path: Path | str) -> Tender:
    """A tender read from a workspace file's own copies of its files (not from any folder on disk), its
    scores saved there. Check the file first (workspaces.open_problem): this raises the
    EvaluatorError family when the files do not load."""
    path = str(Path(path).resolve())
    files = Workspace.open(path).files()
    return _load_workspace(path, digest(*(f"{r.path}:{r.sha256}" for r in files.itertuples())),
                           int(files["size"].sum()))



# ----------------------------------------------------------------------------------------------- state

def get_tender() -> Tender:
    """The tender in use; the shipped default sample on the first visit (no upload needed)."""
    tender = st.session_state.get(_TENDER)
    if tender is None:
        tender = _reopen_last() or sample_tender(DEFAULT_SAMPLE)
        st.session_state[_TENDER] = tender
    return tender


def _reopen_last() -> Optional[Tender]:
    """What was open when the app was last used (a server restart reopens it), if it still opens and
    verifies; otherwise None (the default sample), with the reason kept for the Tender page."""
    last = workspaces.last_opened()
    if last.get("sample") in SAMPLES:
        return sample_tender(last["sample"])
    if not last.get("workspace"):
        return None
    path, problem = workspaces.open_problem(last["workspace"])
    if path is not None:
        try:
            return workspace_tender(path)
        except EvaluatorError as exc:
            problem = error_lines(exc)[0]
    st.session_state[REOPEN_PROBLEM] = f"The last workspace could not be reopened ({problem}): the shipped sample is open"
    return None


REOPEN_PROBLEM = "sv_reopen_problem"


def set_tender(tender: Tender) -> None:
    """Make `tender` current. Design edits and scores already made for a tender are kept by its key, so
    going back to it finds them again."""
    st.session_state[_TENDER] = tender
    st.session_state.pop(_EVAL, None)
    if len(tender.bidset.bids) <= BIG_BIDS:  # a big one stays in the saved workspaces, to reopen by choice
        workspaces.remember(tender)


def _per_tender(name: str) -> dict:
    if name not in st.session_state:
        st.session_state[name] = {}
    return st.session_state[name]


def get_rubric() -> Rubric:
    """The rubric in use for the current tender: the commissioner's last valid edit, else as loaded."""
    tender = get_tender()
    return _per_tender(_RUBRICS).get(tender.key, tender.rubric)


def set_rubric(rubric: Rubric) -> None:
    """Put an edited rubric in use for the current tender (it must have loaded: SV301 already passed)."""
    _per_tender(_RUBRICS)[get_tender().key] = rubric
    st.session_state.pop(_EVAL, None)


def rubric_spec(rubric: Rubric) -> dict:
    """The rubric as the YAML structure a commissioner writes (DESIGN.md 4.1)."""
    return _whole(rubric.spec.model_dump(mode="python", exclude_none=True))


def _whole(value: Any) -> Any:
    """Whole-number floats as integers (weight: 40, not 40.0), keys included, as a person writes them."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, dict):
        return {_whole(k): _whole(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return value


def rubric_yaml(rubric: Rubric) -> str:
    return yaml.safe_dump(rubric_spec(rubric), sort_keys=False, allow_unicode=True, width=110)


def rubric_digest(rubric: Rubric) -> str:
    """A content key for a rubric (its YAML and proxy table), worked out once per Rubric object."""
    held = getattr(rubric, "_sv_digest", None)
    if held is None:
        held = digest(rubric_yaml(rubric), str(rubric.proxies_path or ""), digest(rubric.proxies.to_csv()))
        rubric._sv_digest = held
    return held


def rubric_from_spec(spec: dict, base: Rubric) -> Rubric:
    """A Rubric from an edited spec, validated exactly as a file would be (SV301 refused, never
    rescaled), using `base`'s proxy table. Raises the EvaluatorError family, naming 'the design (edited)'."""
    # a shipped or opened table is read again from its file; an uploaded one (named as the user named it,
    # a relative path that is no file here) or a workspace's (read from a folder since deleted) is used as
    # held, and the design no longer names it
    on_disk = base.proxies_path is not None and Path(base.proxies_path).is_absolute() and \
        Path(base.proxies_path).is_file()
    if not on_disk:
        spec = {k: v for k, v in spec.items() if k != "proxies"}
    rubric = parse_rubric(spec, "the design (edited)", proxies=Path(base.proxies_path) if on_disk else base.proxies)
    rubric.path = base.path
    return rubric


def get_scores() -> pd.DataFrame:
    """Evaluator scores in use for the current tender (all rows, as entered; see checked_scores). A shipped
    sample's scores live in its default workspace (app/workspaces.py): a refresh or a server
    restart finds them, and another evaluator's saves appear on the next run."""
    tender = get_tender()
    saved = workspaces.read(tender)
    if saved is not None:
        return saved
    store = _per_tender(_SCORES)
    if tender.key not in store:
        store[tender.key] = with_lot(tender.scores)[SCORES].copy() if len(tender.scores) else \
            pd.DataFrame(columns=SCORES)
    return store[tender.key]


def set_scores(scores: pd.DataFrame) -> None:
    """Replace the scores in use for the current tender (every page sees them on its next run). A table
    without a `lot` column is taken as a tender's without lots (lot "")."""
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise InputError("the scores table lacks columns: " + ", ".join(missing), field=missing[0])
    frame = with_lot(scores)[SCORES].reset_index(drop=True).copy()
    if not workspaces.write(get_tender(), frame):  # committed to the workspace before this returns
        _per_tender(_SCORES)[get_tender().key] = frame
    st.session_state.pop(_EVAL, None)


def save_score(tender: Tender, bidder: str, criterion: str, evaluator: str, score, rationale: str,
               actor: str, lot: str = "") -> dict:
    """Save one score at once (the Moderation page's consensus, with the lead who recorded it): in the
    tender's workspace, else in the session. Refused with a message, never half-saved, when it is not a
    valid score. `lot`: the bid's lot in a tender with lots."""
    lot = str(lot or "")
    saved = workspaces.save_score(tender, bidder, criterion, evaluator, score, rationale, actor, lot=lot)
    if saved is not None:
        return saved
    scores = get_scores()
    keep = ~((scores["bidder"] == bidder) & (scores["criterion"] == criterion) & (scores["evaluator"] == evaluator)
             & (scores[LOT] == lot))
    row = pd.DataFrame([{"bidder": bidder, "criterion": criterion, "evaluator": evaluator, "score": float(score),
                         "rationale": str(rationale).strip(), LOT: lot}])
    set_scores(pd.concat([scores[keep], row], ignore_index=True))
    return {"bidder": bidder, "criterion": criterion, "evaluator": evaluator, "score": float(score),
            "rationale": str(rationale).strip(), LOT: lot, "seq": None, "changed": True}


def evaluator_status(tender: Tender) -> pd.DataFrame:
    """Who has marked their scoring complete (from the workspace, or this session when there is none)."""
    ws = workspaces.workspace_for(tender)
    if ws is not None:
        return ws.evaluators()
    names = sorted({e for e in get_scores()["evaluator"].astype(str) if e != MODERATED})
    done = _per_tender(_COMPLETE).get(tender.key, {})
    return pd.DataFrame({"evaluator": names, "complete": [bool(done.get(n, False)) for n in names],
                         "updated_at": [None] * len(names)})


def set_complete(tender: Tender, evaluator: str, complete: bool = True) -> None:
    """Mark (or unmark) an evaluator's scoring complete: in the workspace, else in the session."""
    ws = workspaces.workspace_for(tender)
    if ws is not None:
        ws.set_complete(evaluator, complete)
    else:
        _per_tender(_COMPLETE).setdefault(tender.key, {})[evaluator] = bool(complete)


@st.cache_data(show_spinner=False, max_entries=64)
def _checked_scores(digest: str, rubric_key: str, _scores: pd.DataFrame, _rubric: Rubric,
                    bidders: tuple[str, ...]) -> tuple[pd.DataFrame, list[str]]:
    """Scores through the engine's own checks (split_scores): each row with a problem is named by its row in
    the table (1 = the first) with its bid, question and evaluator (and lot), and left out; the rest are used.
    For a tender with lots `bidders` are (bidder, lot) pairs: a score for a bidder with no bid in that lot
    is named too."""
    lotted = has_lots(_rubric)
    columns = SCORES if lotted else SCORE_COLUMNS
    frame = with_lot(_scores)[columns].assign(_row=[int(i) + 1 for i in _scores.index])
    pairs = [b for b in bidders if isinstance(b, tuple)]
    if lotted and pairs:  # each score's bidder must have a bid in the score's lot
        known: dict = {lot.id: [] for lot in _rubric.lots}
        for b, lot in pairs:
            known.setdefault(lot, []).append(b)
    else:
        known = list(dict.fromkeys(b[0] if isinstance(b, tuple) else b for b in bidders))
    usable, problems = split_scores(frame, _rubric, known, source="scores")
    rows = {r["_row"]: r for r in frame.to_dict("records")}
    lines = []
    for n, e in sorted(problems, key=lambda p: p[0]):
        r = rows[n]
        lot = f"{_text(r[LOT]) or '?'} / " if lotted else ""
        e.where = (f"row {n} ({lot}{_text(r['bidder']) or '?'} / {_text(r['criterion']) or '?'} / "
                   f"{_text(r['evaluator']) or '?'})")
        lines.append(e.line() + ": not used")
    return usable, lines


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


_DIGESTS: dict[int, tuple] = {}  # id(frame) -> (weak reference, digest): a table read once is digested once


def _frame_digest(df: pd.DataFrame) -> str:
    """A content key for a table of scores, worked out once per table object (the tables of scores in use are
    never changed in place: every change makes a new one)."""
    held = _DIGESTS.get(id(df))
    if held is not None and held[0]() is df:
        return held[1]
    value = digest(df.to_csv(index=False))
    if len(_DIGESTS) > 64:
        for k in [k for k, (ref, _) in _DIGESTS.items() if ref() is None]:
            del _DIGESTS[k]
    _DIGESTS[id(df)] = (weakref.ref(df), value)
    return value


def checked_scores(scores: pd.DataFrame, rubric: Rubric, bidders) -> tuple[pd.DataFrame, list[str]]:
    """(usable scores, problem lines): rows the engine refuses are named by row (1 = first row of the
    table) and left out; the user sees why. `bidders`: names, or for a tender with lots the bidset itself
    (each score's bidder must have a bid in the score's lot)."""
    if scores is None or scores.empty:
        return pd.DataFrame(columns=SCORES + ["_row"]), []
    if isinstance(bidders, BidSet):
        bids = bidders.bids
        bidders = (list(zip(bids["bidder"].astype(str), bids[LOT].astype(str)))
                   if has_lots(rubric) and LOT in bids.columns else bidders.bidders)
    return _checked_scores(_frame_digest(scores), rubric_digest(rubric), scores, rubric, tuple(bidders))


def lot_bidders(tender: Tender, lot: Optional[str]) -> list[str]:
    """The bidders of one lot, in the order loaded (every bidder when `lot` is None or "")."""
    bids = tender.bidset.bids
    if not lot or LOT not in bids.columns:
        return tender.bidset.bidders
    return bids.loc[bids[LOT].astype(str) == str(lot), "bidder"].astype(str).tolist()


@heavy_cache(max_entries=16, big=lambda key, _rubric, _bidset, _scores: len(_bidset.bids) > BIG_BIDS,
             session=False)
def _evaluate(key: str, _rubric: Rubric, _bidset: BidSet, _scores: pd.DataFrame):
    if has_lots(_rubric):
        from evaluator.lots import evaluate_tender
        return evaluate_tender(_rubric, _bidset, _scores)
    return evaluate(_rubric, _bidset, _scores)


def evaluation_key() -> str:
    """Changes whenever the rubric in use, the bids or the scores in use change."""
    tender = get_tender()
    return digest(tender.key, rubric_digest(get_rubric()), _frame_digest(get_scores()))


def get_evaluation(key: Optional[str] = None, lot: Optional[str] = None):
    """The evaluation of the current tender with the rubric and scores in use (scores with problems left
    out: see checked_scores): an Evaluation, or for a tender with lots the LotsEvaluation (each lot's
    Evaluation and the award across lots), or with `lot` that lot's Evaluation. Kept in the session and
    cached by content, so a rerun costs nothing. A page that has just asked for evaluation_key() may pass
    it, to save working it out twice."""
    key = key or evaluation_key()
    held = st.session_state.get(_EVAL)
    if held is not None and held[0] == key:
        ev = held[1]
    else:
        tender = get_tender()
        rubric = get_rubric()
        usable, _ = checked_scores(get_scores(), rubric, tender.bidset)
        with st.spinner(f"Evaluating {len(tender.bidset.bids):,} bids under both lenses..."):
            ev = _evaluate(key, rubric, tender.bidset, usable)
        st.session_state[_EVAL] = (key, ev)
    if lot and hasattr(ev, "lots") and isinstance(getattr(ev, "lots"), dict):
        return ev.evaluation(lot)
    return ev


def score_problems() -> list[str]:
    """Problems in the scores in use (rows left out of the evaluation), one line each."""
    tender = get_tender()
    return checked_scores(get_scores(), get_rubric(), tender.bidset)[1]
