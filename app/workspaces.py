"""The app's scores kept in an evaluation workspace (evaluator/workspace.py), so a browser refresh or a
server restart reopens the evaluation with every score in place.

The shipped samples each get a default workspace with no set-up: ``$SOCIAL_VALUE_HOME/<tender id>.sqlite``
(``~/.social_value`` when the variable is not set; never inside the repository), made on first use from
the sample's files and its scores.csv. An uploaded tender gets its own workspace,
``$SOCIAL_VALUE_HOME/<tender id>-<fingerprint>.sqlite`` (:func:`save_upload`); any workspace file can be
opened by path once it verifies (:func:`open_problem`); :func:`saved_workspaces` lists those in the folder;
and :func:`remember` notes what is open so a server restart reopens it. app/state.py's ``get_scores``/``set_scores``
call :func:`read` and :func:`write` here, and its ``save_score``, ``evaluator_status`` and ``set_complete``
(a consensus with its author, scoring complete) use the workspace when the tender has one, the session
when it has none.

Several evaluators can have the app open at once. Each session writes only the rows it changed since it
last read them (a three-way comparison), so one evaluator's save never overwrites or deletes another's.
A row that is not yet a valid score (no rationale yet, say) stays in the session as typed until it is
complete; it is not written to the workspace, and it is shown as not yet saved.

The panel (DESIGN.md 10): every read passes the viewer and every write the signed-in identity (`by`) to the
workspace, which enforces the rules (an evaluator who has not submitted reads only their own rows; a row a
rule refuses is kept here as typed, with the rule's line, and never silently dropped).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Optional

import pandas as pd
import streamlit as st

from app.samples import SAMPLES
from evaluator import SCORE_COLUMNS, EvaluatorError, InputError, InputErrors, Workspace, default_workspace_path
from evaluator.panel import NotAllowed

_WS = "sv_workspaces"        # {tender key: Workspace or None}
_BASE = "sv_ws_base"         # {tender key: scores as this session last read or wrote them}
_PENDING = "sv_ws_pending"   # {tender key: {(bidder, criterion, evaluator): row dict}} not yet valid
_PROBLEM = "sv_ws_problem"   # {tender key: why there is no workspace}
_READ = "sv_ws_read"         # {tender key: ((path, head, viewer), scores as read)}: never changed in place
_REFUSED = "sv_ws_refused"   # {tender key: {row key: the rule's line}} typed rows a rule of the panel refused
_KEY = ["bidder", "criterion", "evaluator", "lot"]  # lot "" in a tender without lots
_COLUMNS = SCORE_COLUMNS + ["lot"]
LAST_OPENED = "last_opened.json"  # in $SOCIAL_VALUE_HOME: what a new session (after a restart) opens
_LOG = logging.getLogger("social_value_app")


def _store(name: str) -> dict:
    if name not in st.session_state:
        st.session_state[name] = {}
    return st.session_state[name]


def workspace_for(tender) -> Optional[Workspace]:
    """The workspace behind a tender: the default one for a shipped sample (made on first use), the one
    an uploaded tender was saved in, or the file a workspace tender was opened from; None when there is
    none (the scores then live in the session only, and the pages say why)."""
    held = _store(_WS)
    if tender.key in held:
        return held[tender.key]
    ws = None
    if getattr(tender, "workspace", None):
        try:
            ws = Workspace.open(tender.workspace)
        except EvaluatorError as exc:
            _store(_PROBLEM)[tender.key] = exc.line()
            ws = None
    elif tender.key.startswith("sample:"):
        name = tender.key.split(":")[1]
        rubric_path, bids_path, scores_path = SAMPLES[name]
        path = default_workspace_path(tender.rubric.tender.id)
        try:
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                try:
                    Workspace.create(path, rubric_path, bids_path,
                                     scores_path=scores_path if scores_path.is_file() else None,
                                     actor="app (default workspace for the shipped sample)")
                except InputError:
                    if not path.exists():  # anything but "another session made it first" is a real problem
                        raise
            ws = Workspace.open(path)
        except (OSError, EvaluatorError) as exc:
            # the app still works, with scores in this session only; the pages say so and why
            problem = exc.line() if isinstance(exc, EvaluatorError) else f"{path}: {exc.strerror or exc}"
            _LOG.warning("no workspace for %s: %s", tender.key, problem)
            _store(_PROBLEM)[tender.key] = named(problem, path)
            ws = None
    held[tender.key] = ws
    return ws


def workspace_problem(tender) -> Optional[str]:
    """Why a shipped sample has no workspace (its folder cannot be written, the file is not a workspace)."""
    return _store(_PROBLEM).get(tender.key)


def _key(row) -> tuple:
    return tuple("" if k == "lot" and (row.get(k) is None or row.get(k) != row.get(k)) else str(row[k]) for k in _KEY)


def _as_map(df: pd.DataFrame) -> dict:
    out = {}
    frame = df if "lot" in df.columns else df.assign(lot="")
    for r in frame[_COLUMNS].to_dict("records"):
        out[_key(r)] = r
    return out


def _same(a: dict, b: dict) -> bool:
    def norm(r):
        s = r.get("score")
        try:
            s = float(s)
        except (TypeError, ValueError):
            s = None if s is None or s != s else str(s)
        rat = r.get("rationale")
        rat = "" if rat is None or (isinstance(rat, float) and rat != rat) else str(rat).strip()
        return s, rat
    return norm(a) == norm(b)


def _viewer_key(viewer) -> Optional[tuple]:
    return None if viewer is None else (viewer.user, viewer.role, viewer.via)


def read(tender, viewer=None) -> Optional[pd.DataFrame]:
    """Scores `viewer` may see (the workspace decides: an evaluator who has not submitted gets only their own
    rows, no consensus), fresh, so another evaluator's saves appear, with this session's not-yet-saved rows
    laid over them. None when the tender has no workspace."""
    ws = workspace_for(tender)
    if ws is None:
        return None
    # every save moves the head: until then, what was read (by this viewer) stands
    stamp = (str(ws.path), ws.head_stamp(), _viewer_key(viewer))
    held = _store(_READ).get(tender.key)
    if held is not None and held[0] == stamp:
        saved = held[1]
    else:
        saved = ws.scores(viewer=viewer)[_COLUMNS]
        _store(_READ)[tender.key] = (stamp, saved)
    pending = _store(_PENDING).get(tender.key, {})
    if pending:
        keep = ~pd.Series([_key(r) in pending for r in saved.to_dict("records")], index=saved.index, dtype=bool)
        saved = pd.concat([saved[keep], pd.DataFrame(list(pending.values()), columns=_COLUMNS)],
                          ignore_index=True)
    if pending:
        saved = saved.reset_index(drop=True)
    _store(_BASE)[tender.key] = saved
    return saved


def refused(tender) -> dict:
    """{(bidder, criterion, evaluator, lot): the rule's line} for rows typed in this session that the workspace
    refused (kept as typed, not saved; tried again on the next save)."""
    return dict(_store(_REFUSED).get(tender.key, {}))


def write(tender, scores: pd.DataFrame, by=None) -> bool:
    """Save what changed since this session last read the scores, as `by` (the signed-in identity): each valid
    changed row committed to the workspace (with its audit entry) before this returns; rows removed are
    deleted; rows not yet valid kept in the session. A row a rule of the panel refuses (NotAllowed) is kept
    as typed, the other rows are saved, and the first refusal is raised once all are done. Returns False
    when the tender has no workspace."""
    ws = workspace_for(tender)
    if ws is None:
        return False
    base = _store(_BASE).get(tender.key)
    if base is None:
        base = read(tender, by)
    old, new = _as_map(base), _as_map(scores)
    pending = _store(_PENDING).setdefault(tender.key, {})
    refusals = _store(_REFUSED).setdefault(tender.key, {})
    first: Optional[NotAllowed] = None
    for key, row in new.items():
        if key in old and _same(old[key], row) and key not in refusals:
            continue
        try:
            ws.check_score(row["bidder"], row["criterion"], row["evaluator"], row["score"], row["rationale"], key[3])
        except EvaluatorError:
            pending[key] = {**{k: row.get(k) for k in SCORE_COLUMNS}, "lot": key[3]}
            refusals.pop(key, None)
            continue
        try:
            ws.set_score(row["bidder"], row["criterion"], row["evaluator"], row["score"], row["rationale"],
                         lot=key[3], by=by)
        except NotAllowed as exc:
            pending[key] = {**{k: row.get(k) for k in SCORE_COLUMNS}, "lot": key[3]}
            refusals[key] = exc.line()
            first = first or exc
            continue
        pending.pop(key, None)
        refusals.pop(key, None)
    for key in old.keys() - new.keys():
        pending.pop(key, None)
        refusals.pop(key, None)
        try:
            ws.delete_score(*key[:3], lot=key[3], by=by)
        except NotAllowed as exc:  # the saved row stays, and comes back on the next read
            first = first or exc
    read(tender, by)
    if first is not None:
        raise first
    return True


def save_score(tender, bidder: str, criterion: str, evaluator: str, score, rationale: str, *,
               lot: str = "", by=None) -> Optional[dict]:
    """Save one score at once in the tender's workspace, as `by` (the Moderation page's consensus, by the lead);
    None when the tender has none (app/state.py then keeps it in the session). Refused with a message, never
    half-saved, when it is not a valid score or a rule of the panel does not allow it (NotAllowed)."""
    if not str(rationale or "").strip():
        raise InputError("is empty: every score needs a rationale (reg 31 asks for an explanation)",
                         field="rationale", value=rationale)
    ws = workspace_for(tender)
    if ws is not None:
        saved = ws.set_score(bidder, criterion, evaluator, score, rationale, lot=lot, by=by)
        key = (bidder, criterion, evaluator, str(lot or ""))
        _store(_PENDING).get(tender.key, {}).pop(key, None)
        _store(_REFUSED).get(tender.key, {}).pop(key, None)
        read(tender, by)
        return saved
    return None


# ------------------------------------------------------------------------- workspaces for uploaded tenders

def home() -> Path:
    """The folder the app keeps workspaces in: $SOCIAL_VALUE_HOME, else ~/.social_value."""
    return default_workspace_path("x").parent


def fingerprint(files: list[tuple[str, str]]) -> str:
    """A short fingerprint of a tender's files, from (path in the workspace, SHA-256) pairs: the same
    files give the same workspace name, so uploading a tender again reopens its evaluation."""
    h = hashlib.sha256()
    for rel, digest in sorted(files):
        h.update(f"{rel}\x00{digest}\n".encode())
    return h.hexdigest()[:12]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload_workspace_path(tender_id: str, files: list[tuple[str, str]]) -> Path:
    """$SOCIAL_VALUE_HOME/<tender id>-<fingerprint>.sqlite."""
    base = default_workspace_path(tender_id)
    return base.with_name(f"{base.stem}-{fingerprint(files)}.sqlite")


def tender_files(tender) -> Optional[dict]:
    """The rubric and proxy table (name, bytes) held in a tender's workspace, for bids uploaded later
    against the same rubric. None when the tender has no workspace."""
    ws = workspace_for(tender)
    if ws is None:
        return None
    with tempfile.TemporaryDirectory(prefix="sv-ws-files-") as tmp:
        rubric_path, proxies_path, _ = ws.materialise(tmp)
        return {"rubric": (rubric_path.name, rubric_path.read_bytes()),
                "proxies": (proxies_path.name, proxies_path.read_bytes()) if proxies_path else None}


def save_upload(tender, rubric: tuple[str, bytes], proxies: Optional[tuple[str, bytes]],
                bids: list[tuple[str, bytes]], scores: Optional[pd.DataFrame]) -> tuple[Optional[Path], str]:
    """Keep an uploaded tender in its own workspace under $SOCIAL_VALUE_HOME, named by tender id and a
    fingerprint of its files, made with `Workspace.create` (files and their SHA-256 stored, the scores
    loaded so far saved, every step in the audit log). The same files uploaded again reopen the same
    workspace (its scores kept). Returns (path or None, a sentence for the user)."""
    files = [(f"rubric/{rubric[0]}", _sha(rubric[1]))]
    if proxies is not None:
        files.append((f"proxies/{proxies[0]}", _sha(proxies[1])))
    files += [(f"bids/{name}", _sha(data)) for name, data in bids]
    path = upload_workspace_path(tender.rubric.tender.id, files)
    path_or_none, note = _save_upload(tender, path, files, rubric, proxies, bids, scores)
    if path_or_none is None:
        note = not_saved(tender, note)
    return path_or_none, note


BIDS_DID_NOT_LOAD = "a workspace holds a tender only when all of its bids load; see the load problems"


def not_saved(tender, reason: str) -> str:
    """Record why an uploaded tender has no workspace (the pages say so) and word it for the load notes."""
    _store(_PROBLEM)[tender.key] = reason
    return f"Not saved in a workspace ({reason}): its scores are kept for this browser session only"


def _save_upload(tender, path, files, rubric, proxies, bids, scores) -> tuple[Optional[Path], str]:
    try:
        if path.exists():
            ws = Workspace.open(path)
            held = [(r.path, r.sha256) for r in ws.files().itertuples()]
            if fingerprint(held) != fingerprint(files):
                return None, f"the workspace {path.stem} holds other files than this upload"
            report = ws.verify()
            if not report.intact:
                return None, named(f"the workspace {path.stem}: its audit log does not verify: "
                                   f"{report.first.line()}", path)
            tender.workspace = str(path)
            _store(_WS).pop(tender.key, None)
            return path, (f"Reopened the saved workspace {path.stem}: its {len(ws.scores())} saved score(s) are kept "
                          "(an uploaded scores file only adds cells it does not hold; upload scores.csv on its own "
                          "to replace them)")
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="sv-upload-ws-") as tmp:
            folder = Path(tmp)
            (folder / "rubric").mkdir()
            (folder / "bids").mkdir()
            rubric_path = folder / "rubric" / rubric[0]
            rubric_path.write_bytes(rubric[1])
            proxies_path = None
            if proxies is not None:
                (folder / "proxies").mkdir()
                proxies_path = folder / "proxies" / proxies[0]
                proxies_path.write_bytes(proxies[1])
            for name, data in bids:
                (folder / "bids" / name).write_bytes(data)
            scores_path = None
            if scores is not None and len(scores):
                scores_path = folder / "scores.csv"
                lotted = bool(getattr(tender.rubric, "has_lots", False)) and "lot" in scores.columns
                scores[_COLUMNS if lotted else SCORE_COLUMNS].to_csv(scores_path, index=False)
            Workspace.create(path, rubric_path, folder / "bids", proxies_path=proxies_path, scores_path=scores_path,
                             actor="app (upload)")
    except EvaluatorError as exc:
        if isinstance(exc, InputErrors):
            return None, BIDS_DID_NOT_LOAD
        return None, named(re.sub(r"\S*sv-upload-ws-[^/\s]*/", "", exc.line()), path)
    except OSError as exc:
        _LOG.warning("could not save an upload in %s: %s", path, exc)
        return None, f"the workspace {path.stem} could not be written ({exc.strerror or exc})"
    tender.workspace = str(path)
    _store(_WS).pop(tender.key, None)
    return path, (f"Saved in the workspace {path.stem} on this server: a refresh or a server restart reopens it "
                  "with every score")


def open_problem(path_text: str) -> tuple[Optional[Path], Optional[str]]:
    """Check a workspace file before anything loaded is changed: (path, None) when it opens and its audit
    log verifies, else (None, one line saying why)."""
    text = str(path_text or "").strip()
    if not text:
        return None, "type where the workspace file is first"
    path = Path(text).expanduser()
    try:
        ws = Workspace.open(path)
        report = ws.verify()
    except EvaluatorError as exc:
        return None, _logged(exc.line(), path)
    except OSError as exc:
        return None, _logged(f"{path}: {exc.strerror or exc}", path)
    if not report.intact:
        return None, _logged(f"{path}: the audit log does not verify, so the workspace was not opened: "
                             f"{report.first.line()}", path)
    if report.unchecked:  # keyed on another machine: its chain cannot be checked (nor extended) here
        return None, _logged(f"{path}: {report.unchecked}", path)
    return path.resolve(), None


def plain(line: str) -> str:
    """An engine line as a page shows it: no command line in it (the CLI's own hints, in backticks, are for the
    terminal; the page says who must do what in words)."""
    out = re.sub(r";\s*make one with `[^`]*`", "", str(line))
    out = re.sub(r"made by `workspace \w+`", "made by this tool", out)
    out = re.sub(r"\(`audit` says which; ([^)]*)\)", r"(the audit says which; \1)", out)
    out = re.sub(r"\s*\(`[^`]*`(?: changes[^)]*)?\)", "", out)  # "(`workspace user reset` changes a password)"
    out = re.sub(r"`workspace ([a-z]+(?: [a-z]+)?)(?: --?[^`]*)?`", r"\1", out)  # "`workspace export` it": "export it"
    return re.sub(r"`[^`]*`", "the tool's command line", out)


def named(line: str, path: Path | str) -> str:
    """A line as a page may show it: the workspace file named by its name, never by the server's folders, and
    no command line."""
    path = Path(str(path))
    out = str(line)
    for whole in sorted({str(path), str(path.expanduser()), str(path.expanduser().resolve())}, key=len, reverse=True):
        out = out.replace(whole, path.name)
    return plain(out.replace(str(home()) + "/", ""))


def _logged(line: str, path: Path) -> str:
    """Why a workspace file did not open: the whole line (with its path) to the server log, the page's with its
    name only."""
    _LOG.info("workspace not opened: %s", line)
    return named(line, path)


def remember(tender) -> None:
    """Note what is open, so a new session (after a server restart) opens it again (app/state.py does not
    call this for a big tender: every new visitor would load and evaluate it)."""
    if getattr(tender, "workspace", None):
        what = {"workspace": str(Path(tender.workspace).resolve())}
    elif tender.key.startswith("sample:"):
        what = {"sample": tender.key.split(":")[1]}
    else:
        return
    target = home() / LAST_OPENED
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{LAST_OPENED}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(what), encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:  # an unwritable home: the app works, it just starts on the sample next time
        _LOG.warning("could not note the last opened tender in %s: %s", target, exc)


def last_opened() -> dict:
    """What was open last ({"workspace": path} or {"sample": name}); {} when nothing was noted."""
    try:
        data = json.loads((home() / LAST_OPENED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _score_count(ws: Workspace) -> Optional[int]:
    """How many scores a workspace holds; None for a panel's workspace (with users), whose scores are read
    only by someone signed in (the lead's "who has submitted" counts them per person)."""
    try:
        return len(ws.scores())
    except NotAllowed:
        return None


@st.cache_data(show_spinner=False, max_entries=256)
def _summary(path: str, stamp: tuple) -> dict:
    try:
        ws = Workspace.open(path)
        log = ws.audit_log()
        return {"tender": ws.tender_id, "title": ws.meta["tender_title"], "bids": len(ws.bidders()),
                "scores": _score_count(ws), "last change": str(log["at"].iloc[-1]) if len(log) else "",
                "file": path, "problem": ""}
    except EvaluatorError as exc:
        return {"tender": "", "title": "", "bids": None, "scores": None, "last change": "", "file": path,
                "problem": named(exc.line(), path)}


def saved_workspaces() -> pd.DataFrame:
    """Every workspace file in $SOCIAL_VALUE_HOME, newest change first: tender id, title, bids, scores,
    last change (the audit log's last entry), file, and why one cannot be read."""
    columns = ["tender", "title", "bids", "scores", "last change", "file", "problem"]
    try:
        paths = sorted(p for p in home().glob("*.sqlite") if p.is_file() and not p.name.startswith("."))
    except OSError:
        paths = []
    rows = []
    for p in paths:
        stamps = []
        for q in (p, Path(str(p) + "-wal")):
            try:
                st_ = q.stat()
                stamps.append((st_.st_mtime_ns, st_.st_size))
            except OSError:
                stamps.append(None)
        rows.append(_summary(str(p), tuple(stamps)))
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("last change", ascending=False, kind="stable").reset_index(drop=True)
