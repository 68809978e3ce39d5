"""What every page of the app shares: the loaded tender, the design and scores in use, the evaluation.

Pages stay thin: they call these functions, hold edits in ``st.session_state`` (through these functions
only) and draw. Parsing and evaluation are cached with ``st.cache_data`` keyed on content digests, and the
current evaluation is also kept in the session, so moving between pages or changing one score never
re-parses a file.

Public API (stable names; other pages import them):

- ``ROOT``, ``SAMPLES``: the repository folder and the shipped sample tenders
  ``{name: (rubric path, bids folder, scores path)}``; ``DEFAULT_SAMPLE`` opens on first visit.
- ``Tender``: a loaded tender (key, label, rubric as loaded, bidset, scores as loaded, load problems).
- ``get_tender() -> Tender``: the tender in use (on a session's first call, the last tender opened, as noted
  in $SOCIAL_VALUE_HOME, else the default sample).
- ``workspace_tender(path) -> Tender``: a tender read from a workspace file's own copies of its files.
- ``set_tender(tender)``: make a tender current (its own design and scores become the ones in use).
- ``get_rubric() -> Rubric``: the rubric in use: the loaded one, or the commissioner's last valid edit.
- ``set_rubric(rubric)``: put an edited, valid rubric in use for the current tender (the Design page).
- ``rubric_from_spec(spec, base) -> Rubric``: build a Rubric from a spec dict (the YAML structure);
  raises the EvaluatorError family exactly as loading a file would.
- ``get_scores() -> DataFrame`` / ``set_scores(df)``: evaluator scores in use for the current tender
  (``bidder, criterion, evaluator, score, rationale``; evaluator ``MODERATED`` is the consensus). These two
  are the only way pages read or write scores, so a workspace (e.g. SQLite) can back them later.
- ``check_scores(df, rubric, bidders) -> (usable DataFrame, problem lines)``: the engine's own checks
  (load_scores) on edited scores; rows with a problem are listed and left out, never silently fixed.
- ``get_evaluation(key=None) -> Evaluation``: ``evaluate(get_rubric(), tender.bidset, usable scores)``, cached.
- ``evaluation_key() -> str``: changes whenever the rubric, the bids or the scores change; use it as the
  first argument of your own ``st.cache_data`` functions for tables derived from the evaluation.
- ``show_error(exc)``, ``show_problems(lines)``, ``guard(what)``: messages in place, never a traceback.
- ``load_uploads(rubric_file, proxies_file, bid_files, scores_file, progress) -> LoadResult`` and
  ``apply_load(result)``: read uploaded files (objects with ``.name`` and ``.getvalue()``), then put the
  result in use; a result with no tender changes nothing.
- ``load_rubric_upload(file, proxies_file=None) -> (Rubric or None, problems, note)``: a rubric on its own.
- ``load_draft_bid(file, rubric) -> BidSet``: one uploaded draft bid (Self-assessment).
- ``edit_table(key, owner, data, **kwargs)``: st.data_editor whose edits survive moving between pages.
- ``escape_md(text)``: user text made safe inside any markdown-rendering element (no links or markup).
- ``text_table(df)``: a DataFrame safe to show with ``st.dataframe`` (object columns as plain text).
"""
from __future__ import annotations

import hashlib
import io
import logging
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import pandas as pd
import streamlit as st
import yaml

from app_pages.parse_worker import clean_bidset as _clean_bidset, error_lines, relabel as _relabel
from evaluator import (BidSet, Evaluation, EvaluatorError, InputError, InputErrors, Rubric, evaluate, load_bid,
                       load_bids, load_rubric, load_scores)
from evaluator.rubric import shipped_proxies, upload_proxies_refused
from evaluator.scoring import SCORE_COLUMNS
from evaluator.documents import load_yaml

ROOT = Path(__file__).resolve().parents[1]
SAMPLES: dict[str, tuple[Path, Path, Path]] = {
    name: (ROOT / "rubrics" / f"{name}.yaml", ROOT / "sample_bids" / name, ROOT / "sample_bids" / name / "scores.csv")
    for name in ("home_care_north", "schools_fm")
}
DEFAULT_SAMPLE = "home_care_north"
BID_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")
BULK_NAMES = ("bids.csv", "commitments.csv", "responses.csv")

_LOG = logging.getLogger("social_value_app")
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


# ----------------------------------------------------------------------------------------------- messages

def show_problems(lines: Iterable[str], *, kind: str = "error", limit: int = 50) -> None:
    """Problems one per line, as plain text (file names and values come from users)."""
    lines = list(lines)
    if not lines:
        return
    box = {"error": st.error, "warning": st.warning, "info": st.info}[kind]
    shown = lines[:limit]
    more = f"\n... and {len(lines) - limit} more" if len(lines) > limit else ""
    box(escape_md("\n".join(shown) + more))


def show_error(exc: BaseException) -> None:
    """An EvaluatorError as its line(s); anything else as a plain sentence (a bug, not the user's fault)."""
    if isinstance(exc, EvaluatorError):
        show_problems(error_lines(exc))
    else:
        st.error("Something went wrong inside the tool while drawing this part of the page "
                 f"({type(exc).__name__}). Nothing you loaded or entered has been changed.")


@contextmanager
def guard(what: str = "this page"):
    """Run a page (or part of one) so no traceback ever reaches the page: user errors as their lines,
    anything else as a plain message. Streamlit's own rerun/stop signals pass through untouched."""
    try:
        yield
    except EvaluatorError as exc:
        show_error(exc)
    except Exception as exc:  # noqa: BLE001 - the page must never show a traceback
        _LOG.exception("unexpected error while drawing %s", what)  # for the developers, in the server log
        show_error(exc)


_WORD_JOINER = "\u2060"
# what GitHub-flavoured markdown turns into a link on sight, even with its punctuation escaped (Streamlit's
# renderer finds them in the text after escapes are resolved): http(s)://, mailto:, xmpp:, www., a@b
_AUTOLINK = re.compile(r"(?i)\b(?:https?|mailto|xmpp)(?=:)|\bwww(?=\.)|[\w.+-](?=@[\w-])")


def escape_md(text: str) -> str:
    """Text safe inside a markdown-rendered element (st.error & co.): no links, HTML, entities or emphasis.

    Markdown punctuation and & are backslash-escaped (so "&copy;" shows as typed, not as ©); a URL or
    e-mail address gets an invisible word joiner (U+2060) after its scheme, its "www" or before its "@",
    the one way to stop the renderer's autolinking without changing what the reader sees."""
    text = _AUTOLINK.sub(lambda m: m.group() + _WORD_JOINER, str(text))
    out = []
    for ch in text:
        if ch in "\\`*_{}[]()<>#+-.!|~$:&":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out).replace("\n", "  \n")


def text_table(df: pd.DataFrame) -> pd.DataFrame:
    """A table for st.dataframe: text columns as object strings (shown as text, never rendered)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("str", "string"):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


# ----------------------------------------------------------------------------------------------- loading

def _digest(*parts: bytes | str) -> str:
    h = hashlib.blake2b(digest_size=12)
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
        h.update(b"\x00")
    return h.hexdigest()


def _file_digest(path: Path) -> str:
    if path.is_dir():
        return _digest(*[f"{p.name}:{_file_digest(p)}" for p in sorted(path.iterdir()) if p.is_file()])
    return _digest(path.read_bytes()) if path.is_file() else "missing"


def _usable_scores(scores_path: Path, rubric: Rubric, bidset: BidSet) -> pd.DataFrame:
    """A scores file checked against the bids: a skipped bid's scores are accepted but not used."""
    skipped = [s["bidder"] for s in bidset.skipped if s.get("bidder")]
    scores = load_scores(scores_path, rubric, bidset.bidders + skipped)
    return scores[scores["bidder"].isin(bidset.bidders)].reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=4)
def _load_sample(name: str, digest: str) -> Tender:
    rubric_path, bids_path, scores_path = SAMPLES[name]
    rubric = load_rubric(rubric_path)
    bidset = load_bids(bids_path, rubric)
    problems = [e.line() for e in bidset.problems]
    scores = pd.DataFrame(columns=SCORE_COLUMNS)
    if scores_path.is_file():
        try:
            scores = _usable_scores(scores_path, rubric, bidset)
        except EvaluatorError as exc:
            problems += error_lines(exc)
    return Tender(key=f"sample:{name}:{digest}", label=f"shipped sample: {rubric.tender.id} {rubric.tender.title}",
                  rubric=rubric, bidset=_clean_bidset(bidset), scores=scores, problems=problems,
                  skipped=list(bidset.skipped),
                  files=[rubric_path.name] + sorted(p.name for p in bids_path.iterdir() if p.is_file()))


def sample_tender(name: str = DEFAULT_SAMPLE) -> Tender:
    """A shipped sample, parsed once (the digest makes an edited sample file load afresh)."""
    rubric_path, bids_path, _ = SAMPLES[name]
    return _load_sample(name, _digest(_file_digest(rubric_path), _file_digest(bids_path),
                                      _file_digest(rubric_path.parent / "proxies")))


@heavy_cache(max_entries=8, big=lambda path, files_key, size=0: size > BIG_WORKSPACE_BYTES, session=False)
def _load_workspace(path: str, files_key: str, size: int = 0) -> Tender:
    from evaluator.workspace import Workspace
    ws = Workspace.open(path)
    rubric, bidset = ws.load_tender()
    rubric.path = Path(Path(ws.meta["rubric_file"]).name)
    files = ws.files()
    return Tender(key=f"workspace:{files_key}:{path}",
                  label=f"workspace {Path(path).name}: {rubric.tender.id} {rubric.tender.title}",
                  rubric=rubric, bidset=_clean_bidset(bidset), scores=ws.scores()[SCORE_COLUMNS],
                  files=[str(f).rsplit("/", 1)[-1] for f in files["path"]], workspace=path)


def workspace_tender(path: Path | str) -> Tender:
    """A tender read from a workspace file's own copies of its files (not from any folder on disk), its
    scores saved there. Check the file first (workspace_state.open_problem): this raises the
    EvaluatorError family when the files do not load."""
    from evaluator.workspace import Workspace
    path = str(Path(path).resolve())
    files = Workspace.open(path).files()
    return _load_workspace(path, _digest(*(f"{r.path}:{r.sha256}" for r in files.itertuples())),
                           int(files["size"].sum()))


class Upload:
    """An uploaded file reduced to what loading needs (name and bytes); hashable by content."""

    def __init__(self, name: str, data: bytes):
        self.name = Path(str(name).replace("\\", "/")).name or "unnamed"
        self.data = data

    @classmethod
    def of(cls, f: Any) -> Optional["Upload"]:
        if f is None or isinstance(f, Upload):
            return f
        return cls(getattr(f, "name", "upload"), f.getvalue() if hasattr(f, "getvalue") else bytes(f))

    @property
    def digest(self) -> str:
        return _digest(self.name, self.data)


def _write(folder: Path, up: Upload) -> Path:
    path = folder / up.name
    path.write_bytes(up.data)
    return path


def _resolve_proxies(rubric_path: Path, proxies: Optional[Path], name: Optional[str] = None) -> Optional[Path]:
    """The proxy table for an uploaded rubric: the table uploaded with it, else the shipped table its
    `proxies:` names (proxies/public_2025.csv; the user is told which table was used), else none when it
    names none. Anything else it names (a server path, ../.., another uploaded file) is refused with an
    InputError before any file is opened: an upload may only use an uploaded table or a shipped one."""
    if proxies is not None:
        return proxies
    try:
        data = load_yaml(rubric_path)
    except EvaluatorError:  # load_rubric reports the real problem (and names no table)
        return None
    named = data.get("proxies") if isinstance(data, dict) else None
    if named is None or (isinstance(named, str) and not named.strip()):
        return None
    shipped = shipped_proxies(named)
    if shipped is None:
        raise upload_proxies_refused(name or rubric_path.name, named)
    return shipped


@st.cache_data(show_spinner=False, max_entries=4)
def _parse_rubric_upload(digest: str, _rubric: Upload, _proxies: Optional[Upload]) -> tuple[Optional[Rubric], list[str], str]:
    folder = Path(tempfile.mkdtemp(prefix="sv-rubric-"))
    try:
        path = _write(folder, _rubric)
        proxies = _write(folder, _proxies) if _proxies is not None else None
        try:
            chosen = _resolve_proxies(path, proxies, _rubric.name)
            rubric = load_rubric(path, proxies_path=chosen)
        except EvaluatorError as exc:
            return None, _relabel(error_lines(exc), folder, _rubric.name), ""
        note = ""
        if chosen is not None and proxies is None:
            note = f"proxy table: the shipped {chosen.relative_to(ROOT)} (upload a proxy CSV to use another)"
        rubric.path = Path(_rubric.name)
        return rubric, [], note
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def load_rubric_upload(file: Any, proxies_file: Any = None) -> tuple[Optional[Rubric], list[str], str]:
    """An uploaded rubric (and optional proxy table) on its own: (rubric or None, problems, note)."""
    up, proxies = Upload.of(file), Upload.of(proxies_file)
    if up is None:
        return None, ["no rubric file"], ""
    return _parse_rubric_upload(_digest(up.digest, proxies.digest if proxies else ""), up, proxies)


def _parse_bids_upload(files: tuple[Upload, ...], rubric: Rubric) -> tuple[Optional[BidSet], list[str]]:
    """Uploaded bid files read against `rubric` (not cached: the result is kept in the session). A large
    upload is read in a process of its own (parse_worker), so it does not hold the server for other users
    and its transient memory is returned when that process ends."""
    from app_pages import parse_worker
    folder = Path(tempfile.mkdtemp(prefix="sv-bids-"))
    try:
        for up in files:
            _write(folder, up)
        bidset, lines, _pid = parse_worker.parse_bids(folder, rubric, sum(len(up.data) for up in files))
        return bidset, lines
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _parse_scores(up: Upload, rubric: Rubric, bidset: BidSet) -> tuple[Optional[pd.DataFrame], list[str]]:
    folder = Path(tempfile.mkdtemp(prefix="sv-scores-"))
    try:
        path = _write(folder, up)
        try:
            return _usable_scores(path, rubric, bidset), []
        except EvaluatorError as exc:
            return None, _relabel(error_lines(exc), folder, up.name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class LoadResult:
    """What an upload produced. `tender` None: nothing usable, keep what is loaded (a malformed upload
    changes nothing). `scores` None: keep the scores in use."""

    tender: Optional[Tender]
    scores: Optional[pd.DataFrame]
    problems: list[str]
    notes: list[str]


def load_uploads(rubric_file: Any = None, proxies_file: Any = None, bid_files: Iterable[Any] = (),
                 scores_file: Any = None, progress: Optional[Callable[[float, str], None]] = None) -> LoadResult:
    """Build a tender from uploads. Bids without a rubric are read against the rubric in use; a scores
    file alone is checked against the tender in use. Good bid files load even when others fail; a
    rubric or scores file with problems is refused whole, with every problem listed."""
    step = progress or (lambda fraction, text: None)
    current = get_tender()
    notes: list[str] = []
    rubric_up = Upload.of(rubric_file)
    proxies_up = Upload.of(proxies_file)
    bids_up = tuple(u for u in (Upload.of(f) for f in bid_files or ()) if u is not None)
    scores_up = Upload.of(scores_file)
    if rubric_up is None and not bids_up and scores_up is None:
        return LoadResult(None, None, ["nothing to load: choose a rubric, bids or a scores file first"], notes)
    if rubric_up is not None and not bids_up:
        return LoadResult(None, None, [f"{rubric_up.name}: a rubric is loaded with its bids: upload the bids "
                                       "with it (the bids loaded now were written for another rubric)"], notes)
    if proxies_up is not None and rubric_up is None:
        return LoadResult(None, None, [f"{proxies_up.name}: a proxy table is read with its rubric: upload the "
                                       "rubric too"], notes)

    step(0.05, "Reading the rubric")
    if rubric_up is not None:
        rubric_key = _digest(rubric_up.digest, proxies_up.digest if proxies_up else "")
        rubric, problems, note = _parse_rubric_upload(rubric_key, rubric_up, proxies_up)
        if rubric is None:
            return LoadResult(None, None, problems + ["the rubric was not loaded: nothing was changed"], notes)
        notes += [note] if note else []
    else:
        rubric = get_rubric()
        rubric_key = rubric_digest(rubric)

    problems: list[str] = []
    if bids_up:
        names = [u.name for u in bids_up]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            return LoadResult(None, None, [f"{n}: two uploaded files have this name; rename one" for n in dupes]
                              + ["nothing was changed"], notes)
        unknown = [u.name for u in bids_up
                   if not (u.name.lower().endswith(BID_SUFFIXES) or u.name.lower() in BULK_NAMES)]
        problems += [f"{n}: not a bid file (expected .yaml, .yml, .json, .xlsx, or the bulk pair bids.csv + "
                     "commitments.csv): not loaded" for n in unknown]
        bids_up = tuple(u for u in bids_up if u.name not in unknown)
        step(0.2, f"Reading and checking {len(bids_up)} bid file(s)")
        bidset, bid_problems = _parse_bids_upload(bids_up, rubric) if bids_up else (None, [])
        problems += bid_problems
        notes += list(bidset.notes) if bidset is not None else []
        if bidset is None or bidset.bids.empty:
            return LoadResult(None, None, problems + ["no usable bids in the upload: nothing was changed"], notes)
        tender = Tender(key=_digest("upload", rubric_key, *[u.digest for u in bids_up]),
                        label=f"{rubric.tender.id} {rubric.tender.title}: {len(bidset.bids)} uploaded bid(s)",
                        rubric=rubric, bidset=bidset, scores=pd.DataFrame(columns=SCORE_COLUMNS),
                        problems=list(problems), skipped=list(bidset.skipped),
                        files=([rubric_up.name] if rubric_up else []) + [u.name for u in bids_up])
    else:
        tender = current

    scores = None
    if scores_up is not None:
        step(0.7, "Reading the scores")
        parsed, score_problems = _parse_scores(scores_up, tender.rubric if bids_up else rubric, tender.bidset)
        if parsed is None:
            problems += score_problems + [f"{scores_up.name}: not loaded because of the problems above"]
            if not bids_up:
                return LoadResult(None, None, problems + ["nothing was changed"], notes)
        else:
            scores = parsed[SCORE_COLUMNS].copy()
            if bids_up:
                tender.scores = scores
                tender.files.append(scores_up.name)
            notes.append(f"{scores_up.name}: {len(scores)} score(s) from {scores['evaluator'].nunique()} "
                         "evaluator(s) loaded")
    if bids_up:
        step(0.85, "Saving the tender in its workspace")
        saved, note = _save_upload(tender, current, rubric, rubric_up, proxies_up, bids_up, bool(bid_problems))
        (notes if saved else problems).append(note)
    step(1.0, "Loaded")
    return LoadResult(tender, scores, problems, notes)


def _save_upload(tender: Tender, current: Tender, rubric: Rubric, rubric_up: Optional[Upload],
                 proxies_up: Optional[Upload], bids_up: tuple[Upload, ...], bid_problems: bool = False
                 ) -> tuple[bool, str]:
    """Give an uploaded tender its own workspace (workspace_state.save_upload) holding the files that
    loaded: the rubric as uploaded (or the one in use), its proxy table, and every bid file whose bids
    are usable. Returns (saved, the sentence for the user: where it was saved, or why it is session-only)."""
    from app_pages import workspace_state
    proxies = (proxies_up.name, proxies_up.data) if proxies_up is not None else None
    if rubric_up is not None:
        source = (rubric_up.name, rubric_up.data)
        if proxies is None:
            folder = Path(tempfile.mkdtemp(prefix="sv-rubric-"))
            try:
                shipped = _resolve_proxies(_write(folder, rubric_up), None, rubric_up.name)
            except EvaluatorError:  # refused when it was read: nothing to store
                shipped = None
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            proxies = (shipped.name, shipped.read_bytes()) if shipped is not None else None
    else:
        held = workspace_state.tender_files(current)
        if held is not None:
            source, proxies = held["rubric"], held["proxies"]
        else:
            source = (Path(str(rubric.path)).stem + ".yaml", b"")
            if rubric.proxies_path is not None and Path(rubric.proxies_path).is_file():
                proxies = (Path(rubric.proxies_path).name, Path(rubric.proxies_path).read_bytes())
        if rubric is not current.rubric or not source[1]:  # the edited design is the rubric in use
            source = (source[0], rubric_yaml(rubric).encode("utf-8"))
    used = {str(f).replace("\\", "/").rsplit("/", 1)[-1] for f in tender.bidset.bids["_file"]}
    if "bids.csv" in used:
        used |= {"commitments.csv", "responses.csv"}
    bids = [(u.name, u.data) for u in bids_up if u.name in used]
    if "bids.csv" in used and bid_problems:  # the bulk pair holds every bid: it cannot be stored without its faults
        return False, workspace_state.not_saved(tender, workspace_state.BIDS_DID_NOT_LOAD)
    path, note = workspace_state.save_upload(tender, source, proxies, bids, tender.scores)
    return path is not None, note


def apply_load(result: LoadResult) -> None:
    """Put what an upload produced in use (nothing when it produced no tender). Scores uploaded with new
    bids only fill cells the tender's workspace does not hold yet (the same files uploaded again reopen
    their evaluation, whose saved scores are newer than any file); a scores file on its own replaces the
    scores in use."""
    if result.tender is None:
        return
    new = result.tender is not get_tender()
    if new:
        set_tender(result.tender)
    if result.scores is not None:
        scores = result.scores
        if new:
            held = get_scores()
            if len(held):
                key = ["bidder", "criterion", "evaluator"]
                saved = pd.MultiIndex.from_frame(held[key].astype(str))
                extra = scores[~pd.MultiIndex.from_frame(scores[key].astype(str)).isin(saved)]
                scores = pd.concat([held[SCORE_COLUMNS], extra[SCORE_COLUMNS]], ignore_index=True)
        set_scores(scores)


@st.cache_data(show_spinner=False, max_entries=8)
def _parse_draft(digest: str, rubric_key: str, _draft: Upload, _rubric: Rubric) -> tuple[Optional[BidSet], list[str]]:
    folder = Path(tempfile.mkdtemp(prefix="sv-draft-"))
    try:
        path = _write(folder, _draft)
        try:
            bidset = load_bid(path, _rubric)
        except EvaluatorError as exc:
            return None, _relabel(error_lines(exc), folder, _draft.name)
        if bidset.problems:
            return None, _relabel([e.line() for e in bidset.problems], folder, _draft.name)
        return _clean_bidset(bidset), []
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def load_draft_bid(file: Any, rubric: Rubric) -> tuple[Optional[BidSet], list[str]]:
    """One uploaded draft bid against `rubric` (Self-assessment): (bidset, []) or (None, problem lines)."""
    up = Upload.of(file)
    if up is None:
        return None, ["no file"]
    if not up.name.lower().endswith(BID_SUFFIXES):
        return None, [f"{up.name}: a draft bid must be a .yaml, .yml, .json or .xlsx file"]
    key = rubric_digest(rubric)
    return _parse_draft(_digest(up.digest, key), key, up, rubric)


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
    from app_pages import workspace_state
    last = workspace_state.last_opened()
    if last.get("sample") in SAMPLES:
        return sample_tender(last["sample"])
    if not last.get("workspace"):
        return None
    path, problem = workspace_state.open_problem(last["workspace"])
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
    from app_pages import workspace_state
    workspace_state.remember(tender)


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
        held = _digest(rubric_yaml(rubric), str(rubric.proxies_path or ""), _digest(rubric.proxies.to_csv()))
        rubric._sv_digest = held
    return held


def rubric_from_spec(spec: dict, base: Rubric) -> Rubric:
    """A Rubric from an edited spec, validated exactly as a file would be (SV301 refused, never
    rescaled), using `base`'s proxy table. Raises the EvaluatorError family, naming 'the design'."""
    folder = Path(tempfile.mkdtemp(prefix="sv-design-"))
    try:
        path = folder / (Path(str(base.path)).stem + ".yaml")
        text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        proxies = base.proxies_path if base.proxies_path is not None and Path(base.proxies_path).is_file() else None
        try:
            if proxies is None:
                spec = dict(spec)
                spec.pop("proxies", None)
                path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
            rubric = load_rubric(path, proxies_path=proxies)
        except InputErrors as exc:
            lines = [line.replace(str(path), "the design (edited)") for line in error_lines(exc)]
            raise InputErrors([EvaluatorError(line) for line in _relabel(lines, folder, "the design")]) from None
        except EvaluatorError as exc:
            exc.file = "the design (edited)" if exc.file else exc.file
            raise exc from None
        if proxies is None:
            rubric.proxies = base.proxies
        rubric.path = base.path
        return rubric
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def get_scores() -> pd.DataFrame:
    """Evaluator scores in use for the current tender (all rows, as entered; see check_scores). A shipped
    sample's scores live in its default workspace (app_pages/workspace_state.py): a refresh or a server
    restart finds them, and another evaluator's saves appear on the next run."""
    tender = get_tender()
    from app_pages import workspace_state
    saved = workspace_state.read(tender)
    if saved is not None:
        return saved
    store = _per_tender(_SCORES)
    if tender.key not in store:
        store[tender.key] = tender.scores[SCORE_COLUMNS].copy() if len(tender.scores) else \
            pd.DataFrame(columns=SCORE_COLUMNS)
    return store[tender.key]


def set_scores(scores: pd.DataFrame) -> None:
    """Replace the scores in use for the current tender (every page sees them on its next run)."""
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise InputError("the scores table lacks columns: " + ", ".join(missing), field=missing[0])
    frame = scores[SCORE_COLUMNS].reset_index(drop=True).copy()
    from app_pages import workspace_state
    if not workspace_state.write(get_tender(), frame):  # committed to the workspace before this returns
        _per_tender(_SCORES)[get_tender().key] = frame
    st.session_state.pop(_EVAL, None)


@st.cache_data(show_spinner=False, max_entries=64)
def _checked_scores(digest: str, rubric_key: str, _scores: pd.DataFrame, _rubric: Rubric,
                    bidders: tuple[str, ...]) -> tuple[pd.DataFrame, list[str]]:
    """Scores through the engine's own checks (load_scores): each row with a problem is named and left
    out, the rest are used."""
    frame = _scores[SCORE_COLUMNS].copy()
    frame["score"] = frame["score"].map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else
                                        (f"{v:g}" if isinstance(v, (int, float)) else str(v)))
    for col in ("bidder", "criterion", "evaluator", "rationale"):
        frame[col] = frame[col].map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else str(v))
    keep = frame[~(frame == "").all(axis=1)]
    folder = Path(tempfile.mkdtemp(prefix="sv-scores-"))
    try:
        path = folder / "scores.csv"
        problems: list[str] = []
        bad_rows: set[int] = set()
        for _ in range(3):
            rows = keep[~keep.index.isin(bad_rows)]
            buf = io.StringIO()
            rows.to_csv(buf, index=False)
            path.write_text(buf.getvalue(), encoding="utf-8")
            try:
                usable = load_scores(path, _rubric, list(bidders))
                break
            except EvaluatorError as exc:
                errors = exc.errors if isinstance(exc, InputErrors) else [exc]
                for e in errors:
                    where = e.where or ""
                    if where.startswith("row ") and where[4:].isdigit() and int(where[4:]) >= 2:
                        at = int(rows.index[int(where[4:]) - 2])
                        bad_rows.add(at)
                        r = keep.loc[at]
                        e.where = f"row {at + 1} ({r['bidder'] or '?'} / {r['criterion'] or '?'} / {r['evaluator'] or '?'})"
                    e.file = "scores"
                    problems.append(e.line() + ": not used")
                if not bad_rows:
                    return pd.DataFrame(columns=SCORE_COLUMNS + ["_row"]), problems
        else:
            usable = pd.DataFrame(columns=SCORE_COLUMNS + ["_row"])
        return usable, problems
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def edit_table(key: str, owner: str, data: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """st.data_editor whose edits survive leaving the page. While the widget lives it edits a fixed base
    (so its own record of edits applies once); when the page is drawn afresh, or `owner` (what the table
    belongs to: tender, evaluator...) changes, the base becomes `data`, which by then holds every edit
    made before. Tests seed edits with at.session_state[key] = {"edited_rows": ..., ...}."""
    bases = st.session_state.setdefault("sv_editor_bases", {})
    if key not in st.session_state or key not in bases or bases[key][0] != owner:
        st.session_state.pop(key, None)
        bases[key] = (owner, data)
    return st.data_editor(bases[key][1], key=key, **kwargs)


def _frame_digest(df: pd.DataFrame) -> str:
    return _digest(df.to_csv(index=False))


def check_scores(scores: pd.DataFrame, rubric: Rubric, bidders: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """(usable scores, problem lines): rows the engine refuses are named by row (1 = first row of the
    table) and left out; the user sees why."""
    if scores is None or scores.empty:
        return pd.DataFrame(columns=SCORE_COLUMNS + ["_row"]), []
    return _checked_scores(_frame_digest(scores), rubric_digest(rubric), scores, rubric, tuple(bidders))


@heavy_cache(max_entries=16, big=lambda key, _rubric, _bidset, _scores: len(_bidset.bids) > BIG_BIDS,
             session=False)
def _evaluate(key: str, _rubric: Rubric, _bidset: BidSet, _scores: pd.DataFrame) -> Evaluation:
    return evaluate(_rubric, _bidset, _scores)


def evaluation_key() -> str:
    """Changes whenever the rubric in use, the bids or the scores in use change."""
    tender = get_tender()
    return _digest(tender.key, rubric_digest(get_rubric()), _frame_digest(get_scores()))


def get_evaluation(key: Optional[str] = None) -> Evaluation:
    """The evaluation of the current tender with the rubric and scores in use (scores with problems left
    out: see check_scores). Kept in the session and cached by content, so a rerun costs nothing. A page
    that has just asked for evaluation_key() may pass it, to save working it out twice."""
    key = key or evaluation_key()
    held = st.session_state.get(_EVAL)
    if held is not None and held[0] == key:
        return held[1]
    tender = get_tender()
    rubric = get_rubric()
    usable, _ = check_scores(get_scores(), rubric, tender.bidset.bidders)
    with st.spinner(f"Evaluating {len(tender.bidset.bids):,} bids under both lenses..."):
        ev = _evaluate(key, rubric, tender.bidset, usable)
    st.session_state[_EVAL] = (key, ev)
    return ev


def score_problems() -> list[str]:
    """Problems in the scores in use (rows left out of the evaluation), one line each."""
    tender = get_tender()
    return check_scores(get_scores(), get_rubric(), tender.bidset.bidders)[1]
