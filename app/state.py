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
- ``get_scores() -> DataFrame`` / ``set_scores(df, by=None)``: the scores the signed-in person may see for
  the current tender (``bidder, criterion, evaluator, score, rationale, lot``: SCORES below; ``lot`` is "" for
  a tender without lots; evaluator ``MODERATED`` is the consensus), and saving their changes. These two are the
  only way pages read or write the table of scores. The panel's rules (DESIGN.md 10) are the workspace's:
  every read passes ``viewer=identity()`` (an evaluator who has not submitted gets only their own rows) and
  every write ``by=identity()``; a refusal raises NotAllowed (its ``line()`` is what the page shows), rows
  refused stay as typed (``score_refusals``).
- ``identity() -> Identity | None``: the signed-in person (app.access.current_identity()).
- ``save_score(tender, bidder, criterion, evaluator, score, rationale, lot="", by=None)``: one score saved at
  once (the lead's consensus).
- ``evaluator_status(tender)``: who has scored and who has submitted (evaluator, complete, updated_at);
  ``panel_status(tender)``: the lead's view (user, role, declared, conflict, mitigation, submitted,
  submitted_at, scores).
- ``set_complete(tender, evaluator, complete=True, by=None)``: submit one's scoring (refused with the first gap
  and the count while a score or rationale is missing), or (the lead) reopen a named evaluator's.
- ``declaration(tender, user)``, ``declare(tender, conflict, details="", by=None)``,
  ``mitigate(tender, user, how, by=None)``, ``can(tender, action, by=None, **context) -> str | None``: conflict
  of interest declarations (Procurement Act 2023 s81-83) and what the rules allow (None, or the reason).
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

from app import serving, session_panel, workspaces
from app.samples import DEFAULT_SAMPLE, SAMPLES
from app.uploads import clean_bidset, digest, error_lines, usable_scores
from evaluator import (MODERATED, SCORE_COLUMNS, BidSet, EvaluatorError, InputError, Rubric, Workspace,
                       evaluate, load_bids, load_rubric, parse_rubric, split_scores)
from evaluator import panel as rules
from evaluator.panel import Identity, NotAllowed

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
    # a panel's scores (a workspace with users) are read by whoever is signed in (get_scores), never held here
    scores = pd.DataFrame(columns=SCORES) if ws.has_users else ws.scores()[SCORES]
    return Tender(key=f"workspace:{files_key}:{path}",
                  label=f"workspace of {rubric.tender.id} {rubric.tender.title}",  # never the server file
                  rubric=rubric, bidset=clean_bidset(bidset), scores=scores,
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

_IDENTIFY: list = []   # the function that says who is using the app: app/access.py registers it when imported


def identify_with(source) -> None:
    """Register who-is-using-the-app (app.access.current_identity): the sign-in sits above the state it reads,
    so it hands its answer down rather than the state reaching up for it."""
    _IDENTIFY[:] = [source]


def identity() -> Optional[Identity]:
    """The signed-in person (or the persona picked in the demonstration); None before anyone has, or when the
    app's sign-in is not loaded (a script that uses the state alone: no rules beyond the workspace's own)."""
    return _IDENTIFY[0]() if _IDENTIFY else None


def _panel_path() -> Optional[Path]:
    return serving.panel_workspace()


def get_tender() -> Tender:
    """The tender in use: a panel's workspace (`streamlit run streamlit_app.py -- --workspace F`), re-read
    when its files change; else the shipped default sample on the first visit (no upload needed)."""
    panel = _panel_path()
    if panel is not None:
        tender = workspace_tender(panel)
        held = st.session_state.get(_TENDER)
        if held is None or held.key != tender.key:
            st.session_state[_TENDER] = tender
            st.session_state.pop(_EVAL, None)
        return tender
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
    # a big one stays in the saved workspaces, to reopen by choice; a panel's server opens its own workspace
    if len(tender.bidset.bids) <= BIG_BIDS and _panel_path() is None:
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
    return _whole(rubric.spec.as_written())


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
    """The scores the signed-in person may see for the current tender (all rows, as entered; see
    checked_scores): the workspace decides (``viewer=identity()``): an evaluator who has not submitted gets
    only their own rows. A shipped sample's scores live in its default workspace (app/workspaces.py): a
    refresh or a server restart finds them, and another evaluator's saves appear on the next run."""
    tender = get_tender()
    viewer = identity()
    saved = workspaces.read(tender, viewer)
    if saved is not None:
        return saved
    return session_panel.view(_held(tender), viewer, viewer is not None and submitted(tender, viewer.user))


def _held(tender: Tender) -> pd.DataFrame:
    """A tender's scores kept in the session (a tender with no workspace)."""
    store = _per_tender(_SCORES)
    if tender.key not in store:
        store[tender.key] = with_lot(tender.scores)[SCORES].copy() if len(tender.scores) else \
            pd.DataFrame(columns=SCORES)
    return store[tender.key]


def set_scores(scores: pd.DataFrame, by: Optional[Identity] = None) -> None:
    """Save the changes in `scores` (the table get_scores gave, edited) as `by` (default: the signed-in
    person); every page sees them on its next run. A table without a `lot` column is taken as a tender's
    without lots (lot ""). Raises NotAllowed when a rule of the panel refuses a row: the other rows are
    saved and the refused ones kept as typed (score_refusals)."""
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise InputError("the scores table lacks columns: " + ", ".join(missing), field=missing[0])
    frame = with_lot(scores)[SCORES].reset_index(drop=True).copy()
    tender = get_tender()
    by = by if by is not None else identity()
    st.session_state.pop(_EVAL, None)
    if workspaces.write(tender, frame, by):  # committed to the workspace before this returns
        return
    held = _held(tender)
    seen = session_panel.view(held, by, by is not None and submitted(tender, by.user))
    if not frame.equals(seen):
        session_panel.refuse(can(tender, rules.SCORE, by=by))
    if len(seen) != len(held):  # the rows `by` could not see stay as they were
        frame = pd.concat([held[held["evaluator"].astype(str) != by.user],
                           frame[frame["evaluator"].astype(str) == by.user]], ignore_index=True)
    _per_tender(_SCORES)[tender.key] = frame[SCORES].reset_index(drop=True)


def score_refusals(tender: Tender) -> dict:
    """{(bidder, criterion, evaluator, lot): the rule's line}: rows typed in this session that a rule of the
    panel refused, kept as typed and not saved (tried again on the next save)."""
    return workspaces.refused(tender)


def save_score(tender: Tender, bidder: str, criterion: str, evaluator: str, score, rationale: str,
               lot: str = "", by: Optional[Identity] = None) -> dict:
    """Save one score at once as `by` (default: the signed-in person): the Moderation page's consensus,
    recorded by the lead. In the tender's workspace, else in the session. Refused with a message, never
    half-saved, when it is not a valid score or a rule does not allow it (NotAllowed). `lot`: the bid's lot."""
    lot = str(lot or "")
    by = by if by is not None else identity()
    saved = workspaces.save_score(tender, bidder, criterion, evaluator, score, rationale, lot=lot, by=by)
    if saved is not None:
        return saved
    session_panel.refuse(can(tender, rules.MODERATE if evaluator == MODERATED else rules.SCORE, by=by,
                             evaluator=evaluator))
    scores = with_lot(_held(tender))
    keep = ~((scores["bidder"] == bidder) & (scores["criterion"] == criterion) & (scores["evaluator"] == evaluator)
             & (scores[LOT] == lot))
    row = {"bidder": bidder, "criterion": criterion, "evaluator": evaluator, "score": float(score),
           "rationale": str(rationale).strip(), LOT: lot}
    _per_tender(_SCORES)[tender.key] = pd.concat([scores[keep], pd.DataFrame([row])], ignore_index=True)[SCORES]
    st.session_state.pop(_EVAL, None)
    return {**row, "seq": None, "changed": True}


def evaluator_status(tender: Tender) -> pd.DataFrame:
    """Who has scored and who has submitted (evaluator, complete, updated_at): from the workspace, or this
    session when there is none."""
    ws = workspaces.workspace_for(tender)
    return ws.evaluators() if ws is not None else session_panel.status(tender.key, _held(tender))


def submitted(tender: Tender, user: str) -> bool:
    """Whether `user` has submitted their scoring."""
    status = evaluator_status(tender)
    return bool(status.set_index("evaluator")["complete"].get(user, False)) if len(status) else False


PANEL_STATUS = ["user", "role", "declared", "conflict", "mitigation", "submitted", "submitted_at", "scores"]


def panel_status(tender: Tender) -> pd.DataFrame:
    """The lead's view of the panel: user, role, declared, conflict, mitigation, submitted, submitted_at,
    scores (the workspace's; in a demonstration without users everyone who has scored or declared, as an
    evaluator)."""
    ws = workspaces.workspace_for(tender)
    if ws is not None:
        table = ws.panel_status()
        if not ws.has_users:
            table["role"] = table["role"].where(table["role"].astype(str) != "", rules.EVALUATOR)
        return table
    counts = _held(tender)["evaluator"].astype(str).value_counts()
    rows = []
    for r in evaluator_status(tender).itertuples():
        d = declaration(tender, r.evaluator) or {}
        rows.append({"user": r.evaluator, "role": rules.EVALUATOR, "declared": bool(d),
                     "conflict": bool(d.get("conflict")), "mitigation": d.get("mitigation") or "",
                     "submitted": bool(r.complete), "submitted_at": r.updated_at if r.complete else None,
                     "scores": int(counts.get(r.evaluator, 0))})
    return pd.DataFrame(rows, columns=PANEL_STATUS)


def set_complete(tender: Tender, evaluator: str, complete: bool = True, by: Optional[Identity] = None) -> None:
    """Submit `evaluator`'s scoring (complete=True: their own, only when every criterion of every bid has
    their score and rationale, else NotAllowed naming the first gap and the count) or reopen it (the lead's):
    in the workspace, else in the session. `by` defaults to the signed-in person."""
    by = by if by is not None else identity()
    ws = workspaces.workspace_for(tender)
    if ws is not None:
        ws.set_complete(evaluator, complete, by=by)
        return
    session_panel.refuse(can(tender, rules.SUBMIT if complete else rules.REOPEN, by=by, evaluator=evaluator))
    found = submission_gaps(tender, evaluator) if complete and by is not None else []
    if found:
        raise NotAllowed(session_panel.missing_line(found), field="scores")
    session_panel.set_complete(tender.key, evaluator, complete)
    st.session_state.pop(_EVAL, None)


def submission_gaps(tender: Tender, evaluator: str) -> list[str]:
    """Every cell (bid x scored criterion, in every lot) where `evaluator` has no score or no rationale yet
    (the rows typed, saved or not), as 'lot / bid / criterion' ('bid / criterion' without lots)."""
    ws = workspaces.workspace_for(tender)
    scores = with_lot(get_scores() if ws is not None else _held(tender))
    rubric = get_rubric() if st.session_state.get(_TENDER) is tender else tender.rubric
    return session_panel.gaps(rubric, tender.bidset.bids, scores, evaluator, has_lots(rubric))


def declaration(tender: Tender, user: str) -> Optional[dict]:
    """A panel member's conflict of interest declaration ({user, conflict, details, declared_at, mitigation,
    mitigated_by, mitigated_at}), None when they have not declared."""
    ws = workspaces.workspace_for(tender)
    return ws.declaration(user) if ws is not None else session_panel.declaration(tender.key, user)


def declare(tender: Tender, conflict: bool, details: str = "", by: Optional[Identity] = None) -> None:
    """The signed-in person declares a conflict of interest, or none (Procurement Act 2023 s81-83)."""
    by = by if by is not None else identity()
    ws = workspaces.workspace_for(tender)
    if ws is not None:
        ws.declare(by, bool(conflict), str(details or "").strip())
    else:
        session_panel.declare(tender.key, by, conflict, details)


def mitigate(tender: Tender, user: str, how: str, by: Optional[Identity] = None) -> None:
    """The lead records how a declared conflict is mitigated (the evaluator may then score)."""
    by = by if by is not None else identity()
    ws = workspaces.workspace_for(tender)
    if ws is not None:
        ws.mitigate(by, user, str(how or "").strip())
    else:
        session_panel.mitigate(tender.key, by, user, how)


def can(tender: Tender, action: str, by: Optional[Identity] = None, **context) -> Optional[str]:
    """None when the rules of the panel allow `by` (default: the signed-in person) to take `action`
    (evaluator.panel's constants), else the reason in one line."""
    by = by if by is not None else identity()
    ws = workspaces.workspace_for(tender)
    if ws is not None:
        return ws.can(by, action, **context)
    return session_panel.can(tender.key, by, action, submitted=by is not None and submitted(tender, by.user),
                             **context)


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
