"""The evaluation workspace: one SQLite file that holds an evaluation and loses nothing.

A workspace keeps the tender's files (rubric, proxy table, bids) with their SHA-256 fingerprints, every
evaluator's scores and rationales, the MODERATED consensus scores, which evaluators have marked their
scoring complete, and an append-only audit log: who, when, what changed, the old and the new value.
Each audit entry carries the hash of the one before, so an edit or a deletion made behind the tool's
back (with the sqlite3 shell, say) breaks the chain or leaves a table that the log does not explain,
and `verify` names the first entry where that happens.

The chain is keyed: each entry's hash is an HMAC-SHA256 under a key kept outside the workspace file
($SOCIAL_VALUE_HOME/secret.key, made 0600 on first use), so whoever holds the file cannot recompute it.
Every save also records the new head (entry number and hash) under $SOCIAL_VALUE_HOME/heads/, so a file
put back to an earlier copy is caught, as it is against an export's manifest. Nothing outside the chain is
trusted: the settings in `meta` are re-derived from the fingerprinted rubric, stored file names must be
plain names under rubric/, proxies/ or bids/, and schema objects the tool did not make (triggers, views)
are refused. Workspaces made before keyed chains (format 1) are checked unkeyed and say so; the next save
(or `workspace rekey`) appends a keyed `rekey` entry, after which the chain is keyed.

Durability: WAL journal, `synchronous=FULL` (a commit is on disk before it returns), a busy timeout so
two evaluators saving at once wait for each other, and every change written in one `BEGIN IMMEDIATE`
transaction together with its audit entry. A score is reported saved only after that commit, so a
process killed at any moment loses nothing it reported and leaves a file that opens and verifies.

The panel (DESIGN.md section 10) is kept and enforced here too, so no page, URL or second browser tab gets round
it: user accounts (Argon2 hashes, evaluator/passwords.py; the audit log holds only a fingerprint of each hash),
conflict-of-interest declarations and wrong-password counts, in tables a workspace gains on its first panel change
(an audited `add_panel_tables` entry, so workspaces made before open and verify unchanged). Every change that takes
`by` (an evaluator.panel.Identity) checks the rules in the same transaction that writes it, and records `by.actor`.
"""
from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import hmac
import io
import json
import math
import os
import re
import secrets
import sqlite3
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, Optional

import pandas as pd

from .exceptions import EvaluatorError, InputError, InputErrors, Tampered, _show
from .panel import (COMMAND_LINE, DEMONSTRATION, EVALUATOR, FREE_ATTEMPTS, LEAD, LOAD_FILES, MANAGE_PANEL,
                    MAX_WAIT_SECONDS, MODERATE, OBSERVER, OPENID, PASSWORD, REOPEN, ROLE_WORDS, ROLES, SCORE,
                    SEE_ALL_SCORES, SEE_BIDS, SERVER_PATHS, SUBMIT, Identity, NotAllowed, SignInRefused)
from .numbers import DuplicateKey, no_duplicate_keys
from .scores import MODERATED, SCORE_COLUMNS

LOT = "lot"  # the scores' lot column (DESIGN.md 9.3); "" in a workspace without lots


def pass_fail_value(score) -> Optional[float]:
    """A pass/fail question's score as stored: pass or 1 -> 1.0, fail or 0 -> 0.0 (any case); None otherwise."""
    text = str(score).strip().lower() if score is not None else ""
    if text in ("pass", "1", "1.0"):
        return 1.0
    if text in ("fail", "0", "0.0"):
        return 0.0
    return None
from .spreadsheet import formula_like
from .suggestions import suggest

FORMAT = "2"          # keyed chain; format "1" (unkeyed, made before keyed chains) is still read
LOTS_FORMAT = "3"     # a tender with lots (DESIGN.md 9.3): bids and scores keyed by lot as well
FORMATS = ("1", "2", "3")
KEYED = "hmac-sha256"
KEY_FILE = "secret.key"
HEADS = "heads"
ROLE_DIRS = {"rubric": "rubric", "proxies": "proxies", "bid": "bids"}
GENESIS = "0" * 64
BUSY_TIMEOUT_MS = 10_000
AUDIT_COLUMNS = ["seq", "at", "actor", "action", "entity", "key", "old", "new", "prev_hash", "hash"]

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (path TEXT PRIMARY KEY, role TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
                    content BLOB NOT NULL);
CREATE TABLE bidders (bidder TEXT PRIMARY KEY, file TEXT);
CREATE TABLE scores (bidder TEXT NOT NULL, criterion TEXT NOT NULL, evaluator TEXT NOT NULL, score REAL NOT NULL,
                     rationale TEXT NOT NULL, updated_at TEXT NOT NULL, seq INTEGER NOT NULL,
                     PRIMARY KEY (bidder, criterion, evaluator));
CREATE TABLE evaluators (evaluator TEXT PRIMARY KEY, complete INTEGER NOT NULL, updated_at TEXT NOT NULL,
                         seq INTEGER NOT NULL);
CREATE TABLE audit (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                    entity TEXT NOT NULL, key TEXT NOT NULL, old TEXT, new TEXT, prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL);
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

# A tender with lots: the same supplier may bid in several lots, so a bid and a score are keyed by lot too.
# Workspaces of tenders without lots keep the schema above, byte for byte (and old files open unchanged).
_SCHEMA_LOTS = _SCHEMA.replace(
    "CREATE TABLE bidders (bidder TEXT PRIMARY KEY, file TEXT);",
    "CREATE TABLE bidders (bidder TEXT NOT NULL, file TEXT, lot TEXT NOT NULL, PRIMARY KEY (bidder, lot));").replace(
    "rationale TEXT NOT NULL, updated_at TEXT NOT NULL, seq INTEGER NOT NULL,\n"
    "                     PRIMARY KEY (bidder, criterion, evaluator));",
    "rationale TEXT NOT NULL, updated_at TEXT NOT NULL, seq INTEGER NOT NULL, lot TEXT NOT NULL,\n"
    "                     PRIMARY KEY (bidder, criterion, evaluator, lot));")
assert _SCHEMA_LOTS.count("lot TEXT NOT NULL") == 2

# The panel (DESIGN.md section 10): user accounts, conflict-of-interest declarations and wrong-password counts.
# A workspace gains these tables on its first panel change (an audited `add_panel_tables` entry), so workspaces
# made before the panel (formats 1, 2 and 3) open, verify and keep every score unchanged until then.
_PANEL_SCHEMA = """
CREATE TABLE users (user TEXT PRIMARY KEY, role TEXT NOT NULL, email TEXT NOT NULL, hash TEXT,
                    added_at TEXT NOT NULL);
CREATE TABLE declarations (user TEXT PRIMARY KEY, conflict INTEGER NOT NULL, details TEXT NOT NULL,
                           declared_at TEXT NOT NULL, mitigation TEXT, mitigated_by TEXT, mitigated_at TEXT);
CREATE TABLE signin_failures (user TEXT PRIMARY KEY, failures INTEGER NOT NULL, last_at TEXT NOT NULL,
                              wait_until TEXT);
"""
PANEL_TABLES = ("users", "declarations", "signin_failures")


USER_COLUMNS = ["user", "role", "email", "added_at"]
DECLARATION_COLUMNS = ["user", "conflict", "details", "declared_at", "mitigation", "mitigated_by", "mitigated_at"]
PANEL_STATUS_COLUMNS = ["user", "role", "declared", "conflict", "mitigation", "submitted", "submitted_at", "scores"]
WRONG_PASSWORD = "User name or password is wrong"
FIRST_WAIT_SECONDS = 5


def _too_many(wait: int) -> str:
    return f"Too many wrong passwords for this user name: wait {wait} s and try again"


def wait_after(failures: int) -> int:
    """Seconds before the next try after `failures` wrong passwords in a row: none for the first FREE_ATTEMPTS - 1,
    then 5, 10, 20 ... capped at MAX_WAIT_SECONDS (so the fifth try in a row waits 5 s)."""
    if failures < FREE_ATTEMPTS:
        return 0
    return int(min(FIRST_WAIT_SECONDS * 2 ** min(failures - FREE_ATTEMPTS, 30), MAX_WAIT_SECONDS))


def _instant() -> datetime:
    """Now (a function, so tests can move the clock instead of waiting)."""
    return datetime.now(timezone.utc)


def _seconds_until(stamp) -> int:
    try:
        until = datetime.fromisoformat(str(stamp))
    except (TypeError, ValueError):
        return 0
    return max(0, math.ceil((until - _instant()).total_seconds()))


def _user_name(user, where) -> str:
    name = str(user or "").strip()
    if not name or name == MODERATED or len(name) > 100 or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise InputError("is not a user name (1 to 100 characters, no control characters, not MODERATED)", file=where,
                         field="user", value=user)
    return name


def _email(email, where) -> str:
    text = str(email or "").strip()
    if text and (text.count("@") != 1 or " " in text or text.startswith("@") or text.endswith("@") or len(text) > 254):
        raise InputError("is not an email address", file=where, field="email", value=email)
    return text


@dataclass
class FileChange:
    """What `Workspace.change_files` would do (confirm=False) or did: `summary` says it in one sentence."""
    added: list = field(default_factory=list)          # stored names of new files (rubric/..., proxies/..., bids/...)
    replaced: list = field(default_factory=list)       # stored names whose content (or file) is replaced
    new_bidders: list = field(default_factory=list)    # bidders the added bids bring
    affected_scores: int = 0                           # saved scores that concern a replaced bid (kept)
    applied: bool = False
    summary: str = ""
    renamed: dict = field(default_factory=dict)        # replaced name -> the stored name it replaces, when they differ

    def describe(self, done: bool) -> str:
        def names(rels):
            return ", ".join(f"{Path(self.renamed[r]).name} with {Path(r).name}" if r in self.renamed else Path(r).name
                             for r in rels)
        parts = []
        if self.replaced:
            parts.append(f"{'replaced' if done else 'replace'} {names(self.replaced)}")
        if self.added:
            parts.append(f"{'added' if done else 'add'} {names(self.added)}")
        text = ("This " + ("" if done else "would ") + " and ".join(parts)).replace("This ", "", 1)
        text = text[0].upper() + text[1:]
        if self.new_bidders:
            text += f" (new bidder{'s' if len(self.new_bidders) > 1 else ''}: {', '.join(self.new_bidders)})"
        if self.affected_scores:
            text += (f"; {self.affected_scores} saved score(s) concern a replaced bid and "
                     + ("are kept" if done else "would be kept") + ": check them against the new bid")
        else:
            text += "; no saved score is affected"
        return text + "."


class WorkspaceBusy(EvaluatorError):
    """Another process held the workspace for longer than the busy timeout: nothing was saved; try again."""


class WorkspaceTampered(Tampered):
    """The workspace holds something the tool did not write: named, never worked around."""


# ------------------------------------------------------------------------------ the key and the head record
def home() -> Path:
    """$SOCIAL_VALUE_HOME (or ~/.social_value): where the server keeps its key, head records and workspaces."""
    return Path(os.environ.get("SOCIAL_VALUE_HOME") or Path.home() / ".social_value")


def server_key(create: bool = False) -> Optional[bytes]:
    """This machine's chain key ($SOCIAL_VALUE_HOME/secret.key, 64 hex digits, mode 0600), made on first use
    when `create`; None when there is none and none is to be made."""
    path = home() / KEY_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        if not create:
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "w", encoding="ascii") as fh:
                    fh.write(secrets.token_hex(32) + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                try:
                    os.link(tmp, path)  # never replaces a key another process made meanwhile
                except FileExistsError:
                    pass
            finally:
                tmp.unlink(missing_ok=True)
        except OSError as exc:
            raise InputError(f"cannot make the workspace key here ({exc.strerror or exc}); set SOCIAL_VALUE_HOME to "
                             "a folder this user can write", file=path) from None
        return server_key(create=False)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the workspace key ({getattr(exc, 'strerror', None) or exc})", file=path) from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 32:
        raise InputError("is not a workspace key (64 hex digits): restore it from the server's backup", file=path)
    return key


def key_id(key: Optional[bytes]) -> Optional[str]:
    """A short public name for a key (not the key): which machine's key a chain was made with."""
    return None if key is None else hmac.new(key, b"social-value workspace key id", hashlib.sha256).hexdigest()[:16]


_WORKSPACE_ID = re.compile(r"^[0-9a-f]{32}$")


def head_record(workspace_id: Optional[str]) -> Optional[dict]:
    """What this machine recorded as a workspace's last saved entry ($SOCIAL_VALUE_HOME/heads/<id>.json)."""
    if not workspace_id or not _WORKSPACE_ID.match(str(workspace_id)):
        return None
    path = home() / HEADS / f"{workspace_id}.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return {"entry": int(doc["entry"]), "hash": str(doc["hash"]), "at": str(doc.get("at", "")),
                "file": str(doc.get("file", "")), "where": str(path)}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"is not a head record this tool wrote ({exc})", file=path) from None


def _record_head(workspace_id: Optional[str], entry: int, digest: str, path: Path) -> None:
    """Move this machine's record of a workspace's head forward (never back: two writers may finish in either
    order). Best effort after a committed save: the save stands even if the record cannot be written."""
    if not workspace_id or not _WORKSPACE_ID.match(str(workspace_id)):
        return
    folder = home() / HEADS
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"{workspace_id}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                current = head_record(workspace_id)
            except InputError:
                current = None
            if current and current["entry"] >= entry:
                return
            target = folder / f"{workspace_id}.json"
            tmp = folder / f".{workspace_id}.{os.getpid()}.tmp"
            tmp.write_text(json.dumps({"workspace_id": workspace_id, "entry": int(entry), "hash": digest, "at": _now(),
                                       "file": str(Path(path).resolve())}, indent=1) + "\n", encoding="utf-8")
            os.replace(tmp, target)
    except OSError:
        return


def head_text(entries: int, digest: str) -> str:
    """The head as printed in reports, workbooks and manifests: entry number and a short hash."""
    return f"entry {entries}, {digest[:12]}"


# ------------------------------------------------------------------------------ stored names and schema
def _plain(name: str) -> bool:
    return (name not in ("", ".", "..") and not any(ch in name for ch in "/\\:\x00")
            and all(ord(ch) >= 32 and ord(ch) != 127 for ch in name) and len(name.encode("utf-8", "replace")) <= 255)


def stored_name_problem(rel, role: Optional[str] = None) -> Optional[str]:
    """Why a stored file name is not one the tool writes (rubric/NAME, proxies/NAME or bids/NAME, NAME a
    plain file name), or None."""
    shown = _show(rel)
    if not isinstance(rel, str):
        return f"stored file name {shown} is not a plain name (not text): refused as tampered"
    parts = rel.split("/")
    if len(parts) != 2 or parts[0] not in ROLE_DIRS.values() or not _plain(parts[1]):
        return (f"stored file name {shown} is not a plain name under rubric/, proxies/ or bids/: it could write "
                "outside the tool's folder; refused as tampered")
    if role is not None and ROLE_DIRS.get(role) != parts[0]:
        return f"stored file {shown} has the role {_show(role)}, which is not kept under {parts[0]}/: refused as tampered"
    return None


_EXPECTED_SCHEMA: dict = {}


def _expected_schema(lots: bool = False, panel: bool = False) -> dict:
    if (lots, panel) not in _EXPECTED_SCHEMA:
        con = sqlite3.connect(":memory:")
        try:
            con.executescript((_SCHEMA_LOTS if lots else _SCHEMA) + (_PANEL_SCHEMA if panel else ""))
            _EXPECTED_SCHEMA[(lots, panel)] = {(t, n): sql for t, n, sql in
                                               con.execute("SELECT type, name, sql FROM sqlite_master")}
        finally:
            con.close()
    return _EXPECTED_SCHEMA[(lots, panel)]


def _has_panel(con: sqlite3.Connection) -> bool:
    """Whether the workspace has gained the panel's tables (any of them: one missing is then a removal)."""
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return any(t in names for t in PANEL_TABLES)


def _stored_format(con: sqlite3.Connection) -> Optional[str]:
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _schema_problems(con: sqlite3.Connection) -> tuple[list[str], list[str]]:
    """(objects the tool did not make or that were changed, objects of the tool's that were removed); a
    workspace of a tender with lots (format 3) has its own schema."""
    have = {(t, n): sql for t, n, sql in con.execute("SELECT type, name, sql FROM sqlite_master")}
    stored = _stored_format(con)
    if stored is None:  # being made (no settings yet): the schema it was made with
        lots = have.get(("table", "bidders")) == _expected_schema(True)[("table", "bidders")]
    else:
        lots = stored == LOTS_FORMAT
    want = _expected_schema(lots, any(("table", t) in have for t in PANEL_TABLES))
    foreign, removed = [], []
    for (kind, name), sql in have.items():
        if (kind, name) in want:
            if " ".join(str(sql).split()) != " ".join(str(want[(kind, name)]).split()):
                foreign.append(f"the {kind} {_show(name)} is not the one the tool made (now: {_show(sql, 120)}): "
                               "refused as tampered")
        elif name.startswith(("sqlite_autoindex_", "sqlite_stat")) and kind in ("index", "table"):
            continue
        else:
            foreign.append(f"the {kind} {_show(name)} was not made by the tool ({_show(sql, 120)}): a {kind} can "
                           "change what is saved or read; refused as tampered")
    for (kind, name) in want:
        if (kind, name) not in have and not name.startswith("sqlite_autoindex_"):
            removed.append(f"the {kind} {_show(name)} the tool made was removed")
    return foreign, removed


def _readonly_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _canon(obj) -> Optional[str]:
    """The one JSON text an audit value is stored and hashed as."""
    return None if obj is None else json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_hash(seq: int, at: str, actor: str, action: str, entity: str, key: str, old: Optional[str],
               new: Optional[str], prev_hash: str, hkey: Optional[bytes] = None) -> str:
    """HMAC-SHA256 under the chain key (plain SHA-256 when `hkey` is None: workspaces made before keyed chains)
    over an entry's stored text and the previous entry's hash: change any of them and this hash (and every
    later `prev_hash`) no longer matches, and without the key nobody can make a new one that does."""
    payload = json.dumps([int(seq), at, actor, action, entity, key, old, new, prev_hash], ensure_ascii=False,
                         separators=(",", ":")).encode("utf-8", "surrogatepass")
    if hkey is None:
        return hashlib.sha256(payload).hexdigest()
    return hmac.new(hkey, payload, hashlib.sha256).hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class AuditProblem:
    seq: Optional[int]
    message: str
    at: Optional[str] = None
    actor: Optional[str] = None
    action: Optional[str] = None
    subject: Optional[str] = None

    def line(self) -> str:
        head = f"entry {self.seq}" if self.seq is not None else "workspace"
        who = ", ".join(x for x in (self.at, self.actor, self.action, self.subject) if x)
        return f"{head}" + (f" ({who})" if who else "") + f": {self.message}"


@dataclass
class AuditReport:
    entries: int
    head_hash: str
    problems: list[AuditProblem] = field(default_factory=list)
    chain: str = "keyed"                 # "keyed", "unkeyed", "keyed from entry N", "not checked"
    unchecked: Optional[str] = None      # why the chain's hashes could not be checked here (another machine's key)
    workspace_id: Optional[str] = None
    compared: list[str] = field(default_factory=list)   # the head records it was compared with

    @property
    def head(self) -> str:
        return head_text(self.entries, self.head_hash)

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Optional[AuditProblem]:
        return self.problems[0] if self.problems else None


class Workspace:
    """An evaluation held in one SQLite file. Open with :meth:`open`, make one with :meth:`create` or
    :meth:`import_export`. Every method opens its own short connection, so one object can serve many
    threads (the app) and several processes can share the file."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._meta: Optional[dict] = None
        self._derived: Optional[dict] = None
        self._building = False
        self.read_only = False

    # ------------------------------------------------------------------------------ connections
    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            con.execute("PRAGMA trusted_schema=OFF")
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
            con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        except BaseException:
            con.close()
            raise
        return con

    def _connect_read(self) -> sqlite3.Connection:
        """A connection for reading; on read-only storage (an archived record) the file is opened read-only
        (SQLite `mode=ro`, or `immutable=1` when not even the shared-memory file can be made)."""
        if not self.read_only:
            try:
                return self._connect()
            except sqlite3.OperationalError as exc:
                if not _readonly_error(exc):
                    raise
        uri = self.path.resolve().as_uri()
        for query in ("?mode=ro", "?immutable=1"):
            if query == "?immutable=1":
                wal = Path(str(self.path) + "-wal")
                if wal.exists() and wal.stat().st_size > 0:
                    raise InputError("is on read-only storage with changes still in its journal (the -wal file "
                                     "beside it): copy both to a folder you can write and open the copy", file=self.path)
            try:
                con = sqlite3.connect(uri + query, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            except sqlite3.OperationalError:
                continue
            try:
                con.execute("PRAGMA trusted_schema=OFF")
                con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            except sqlite3.OperationalError:
                con.close()
                continue
            self.read_only = True
            return con
        return self._connect()  # neither worked: the original error, reported by the caller

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        try:
            con = self._connect_read()
        except sqlite3.DatabaseError as exc:
            raise self._db_error(exc) from None
        try:
            yield con
        except sqlite3.DatabaseError as exc:
            raise self._db_error(exc) from None
        finally:
            con.close()

    @contextmanager
    def _write(self) -> Iterator["_Txn"]:
        """One transaction: BEGIN IMMEDIATE takes the write lock up front (waiting up to the busy timeout
        for another writer), the change and its audit entries go in, then COMMIT; nothing is half-saved."""
        hkey = server_key(create=True)
        try:
            con = self._connect()
        except sqlite3.DatabaseError as exc:
            raise self._db_error(exc, writing=True) from None
        txn = None
        try:
            try:
                con.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise WorkspaceBusy("another evaluator is saving to this workspace and it stayed busy for "
                                        f"{BUSY_TIMEOUT_MS // 1000} s; nothing was saved: try again",
                                        file=self.path) from None
                raise
            try:
                foreign, removed = _schema_problems(con)
                if foreign or (removed and not self._building):
                    raise WorkspaceTampered((foreign + removed)[0] + "; nothing was saved", file=self.path)
                txn = _Txn(con, hkey, self)
                yield txn
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            raise self._db_error(exc, writing=True) from None
        finally:
            con.close()
        if txn is not None and txn.appended and not self._building:
            _record_head(txn.workspace_id, txn.seq, txn.prev, self.path)

    def _db_error(self, exc: sqlite3.DatabaseError, writing: bool = False) -> EvaluatorError:
        if "locked" in str(exc) or "busy" in str(exc):
            return WorkspaceBusy("the workspace is busy (another evaluator is saving); nothing was saved: try "
                                 "again", file=self.path)
        if writing and _readonly_error(exc):
            return InputError("is read-only (an archived record, or a folder this user cannot write): it can be "
                              "audited, evaluated and reported, not changed; nothing was saved", file=self.path)
        return InputError(f"is not a usable workspace database ({exc})", file=self.path)

    # ------------------------------------------------------------------------------ opening
    @classmethod
    def open(cls, path: Path | str) -> "Workspace":
        path = Path(path)
        if not path.exists():
            raise InputError("workspace not found; make one with `workspace init --db F --rubric R --bids DIR`",
                             file=path)
        if path.is_dir():
            raise InputError("is a folder, not a workspace file", file=path)
        ws = cls(path)
        ws.meta  # refuses anything that is not a workspace, and a schema the tool did not make
        return ws

    @property
    def meta(self) -> dict:
        """The workspace's settings as stored (read defensively: a broken one is named, never a crash). What
        decides a result (scale, criteria) is taken from the fingerprinted rubric, not from here."""
        if self._meta is None:
            try:
                with self._read() as con:
                    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                    if "meta" not in tables:
                        raise InputError("no meta table", file=self.path)
                    rows = con.execute("SELECT key, value FROM meta").fetchall()
                    foreign, _ = _schema_problems(con)
            except InputError as exc:
                if "read-only" in exc.problem or "journal" in exc.problem:
                    raise
                raise InputError("is not a workspace (not an SQLite database made by `workspace init`)",
                                 file=self.path) from None
            rows = {k: v for k, v in rows if isinstance(k, str)}
            if rows.get("format") not in FORMATS:
                if "format" not in rows and {"tender_id", "scale", "head_hash"} & set(rows):
                    raise WorkspaceTampered("workspace setting 'format' is missing: deleted behind the tool's back",
                                            file=self.path)
                raise InputError(f"is not a workspace this version can read (format {_show(rows.get('format'))})",
                                 file=self.path)
            if foreign:
                raise WorkspaceTampered(foreign[0], file=self.path)
            meta = {}
            for name in ("tender_id", "tender_title", "rubric_file", "proxies_file", "scale", "criteria", "created_at",
                         "head_seq", "head_hash"):
                if name not in rows:
                    raise WorkspaceTampered(f"workspace setting {_show(name)} is missing: deleted behind the tool's "
                                            "back", file=self.path)
                if not isinstance(rows[name], str):
                    raise WorkspaceTampered(f"workspace setting {_show(name)} holds {_show(rows[name])}, not text: "
                                            "changed behind the tool's back", file=self.path)
            for name in ("scale", "criteria"):
                try:
                    meta[name] = json.loads(rows[name])
                except ValueError:
                    raise WorkspaceTampered(f"workspace setting {_show(name)} holds {_show(rows[name])}, which is not "
                                            "JSON: changed behind the tool's back", file=self.path) from None
            self._meta = {"tender_id": rows["tender_id"], "tender_title": rows["tender_title"],
                          "rubric_file": rows["rubric_file"], "proxies_file": rows.get("proxies_file") or None,
                          "scale": meta["scale"], "criteria": meta["criteria"], "created_at": rows["created_at"],
                          "format": rows["format"], "workspace_id": rows.get("workspace_id")}
        return self._meta

    @property
    def tender_id(self) -> str:
        return self.meta["tender_id"]

    @property
    def lotted(self) -> bool:
        """Whether the tender has lots (DESIGN.md 9.3): its bids and scores are then keyed by lot."""
        return self.meta["format"] == LOTS_FORMAT

    def _lot_column(self) -> str:
        return "lot" if self.lotted else "'' AS lot"

    def derived(self) -> dict:
        """What the fingerprinted rubric says (tender id and title, scale, scale criteria, file names), read from
        the workspace's own copy; the settings in `meta` are only a copy of this and are checked against it."""
        if self._derived is None:
            from .rubric import load_rubric
            files = self.files()
            for rel, role in zip(files["path"], files["role"]):
                problem = stored_name_problem(rel, role if role in ROLE_DIRS else None)
                if problem:
                    raise WorkspaceTampered(problem, file=self.path)
            rubric_rel = files.loc[files["role"] == "rubric", "path"].tolist()
            proxies_rel = files.loc[files["role"] == "proxies", "path"].tolist()
            if len(rubric_rel) != 1 or len(proxies_rel) > 1:
                raise WorkspaceTampered(f"the workspace holds {len(rubric_rel)} rubric and {len(proxies_rel)} proxy "
                                        "files (the tool keeps one rubric and at most one proxy table)", file=self.path)
            with tempfile.TemporaryDirectory(prefix="sv_workspace_") as tmp:
                self._write_files(Path(tmp), [rubric_rel[0], *proxies_rel])
                try:
                    rubric = load_rubric(_inside(Path(tmp), rubric_rel[0], self.path),
                                         proxies_path=_inside(Path(tmp), proxies_rel[0], self.path) if proxies_rel else None)
                except EvaluatorError as exc:
                    raise WorkspaceTampered(f"the stored rubric does not load ({exc.line()})", file=self.path) from None
            row = self._meta_rows(rubric, rubric_rel[0], proxies_rel[0] if proxies_rel else None)
            self._derived = {"tender_id": row["tender_id"], "tender_title": row["tender_title"],
                             "rubric_file": row["rubric_file"], "proxies_file": row["proxies_file"] or None,
                             "scale": json.loads(row["scale"]), "criteria": json.loads(row["criteria"]),
                             "format": row["format"], "lots": [lot.id for lot in getattr(rubric, "lots", None) or []]}
        return self._derived

    @property
    def scale(self) -> list[float]:
        """The rubric's scale (from the fingerprinted rubric, never from the editable settings)."""
        return [float(s) for s in self.derived()["scale"]]

    @property
    def criteria(self) -> list[dict]:
        """The criteria evaluators score: the scale criteria (id, name, weight, threshold, social_value, and
        `scale` when the criterion has its own) and the pass/fail questions (id, name, kind "pass_fail")."""
        return self.derived()["criteria"]

    def criterion_scale(self, criterion: str) -> list[float]:
        """The scores a criterion takes: its own scale, the rubric's, or 0 and 1 (fail, pass) for pass/fail."""
        for c in self.criteria:
            if c["id"] == criterion:
                if c.get("kind") == "pass_fail":
                    return [0.0, 1.0]
                return [float(s) for s in c.get("scale") or self.scale]
        return self.scale

    @property
    def lots(self) -> list[str]:
        """The tender's lot ids in the order the rubric lists them ([] without lots)."""
        return list(self.derived().get("lots") or [])

    def bidders(self) -> list[str]:
        """Every bidder once, in the order their bids were added (a supplier bidding in two lots is one bidder)."""
        with self._read() as con:
            return list(dict.fromkeys(r[0] for r in con.execute("SELECT bidder FROM bidders ORDER BY rowid")))

    def bids(self) -> pd.DataFrame:
        """One row per bid: bidder, lot ("" without lots) and the bid file it came from."""
        with self._read() as con:
            rows = con.execute(f"SELECT bidder, {self._lot_column()}, file FROM bidders ORDER BY rowid").fetchall()
        return pd.DataFrame(rows, columns=["bidder", "lot", "file"])

    # ------------------------------------------------------------------------------ creating
    @classmethod
    def create(cls, path: Path | str, rubric_path: Path | str, bids_dir: Path | str, *,
               proxies_path: Path | str | None = None, scores_path: Path | str | None = None,
               actor: str = "workspace init") -> "Workspace":
        """A new workspace from a rubric and a bids folder (every bid must load cleanly), optionally with
        the evaluators' scores so far. Refuses to overwrite an existing file."""
        from .bids import load_bids
        from .rubric import load_rubric
        from .scores import load_scores

        path = Path(path)
        if path.exists() and path.stat().st_size > 0:
            raise InputError("already exists: a workspace is never overwritten; choose another file name",
                             file=path, field="--db")
        if not path.parent.exists():
            raise InputError("the folder to write into does not exist", file=path, field="--db")
        rubric = load_rubric(rubric_path, proxies_path=proxies_path)
        bidset = load_bids(bids_dir, rubric)
        if bidset.problems:
            raise InputErrors(bidset.problems + [EvaluatorError(
                "the workspace holds the tender as evaluated: fix the bids above first", file=bids_dir)])
        if bidset.bids.empty:
            raise InputError("no bids to evaluate", file=bids_dir)
        lotted = bool(getattr(rubric, "has_lots", False))
        named = bidset.bidders
        if lotted:  # each score's bidder must have a bid in its lot
            named = {lot.id: bidset.bids.loc[bidset.bids["lot"] == lot.id, "bidder"].tolist() for lot in rubric.lots}
        scores = load_scores(scores_path, rubric, named) if scores_path else None

        files = [(f"rubric/{Path(rubric_path).name}", "rubric", Path(rubric_path))]
        if rubric.proxies_path is not None:
            files.append((f"proxies/{rubric.proxies_path.name}", "proxies", rubric.proxies_path))
        bids_dir = Path(bids_dir)
        for p in sorted(bids_dir.iterdir()):
            if p.is_file() and p.name not in bidset.ignored_files and not p.name.startswith((".", "~$")):
                files.append((f"bids/{p.name}", "bid", p))
        for rel, role, src in files:
            if stored_name_problem(rel, role):
                raise InputError("this file name cannot be kept in a workspace (it must be a plain name: no "
                                 "slashes, backslashes, colons or control characters)", file=src)
        bid_files = bidset.bids["_file"].tolist() if "_file" in bidset.bids else [None] * len(bidset.bids)
        bid_lots = [str(x) for x in bidset.bids["lot"]] if lotted else [None] * len(bidset.bids)
        meta = cls._meta_rows(rubric, files[0][0], files[1][0] if len(files) > 1 and files[1][1] == "proxies" else None)
        hkey = server_key(create=True)
        with _building(cls, path, "creating", lotted) as ws:
            with ws._write() as t:
                t.con.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
                t.workspace_id = meta["workspace_id"]
                t.append(actor, "init", "tender", [rubric.tender.id], None,
                         {"tender": rubric.tender.id, "title": rubric.tender.title, "format": meta["format"],
                          "chain": KEYED, "key_id": key_id(hkey), "workspace_id": meta["workspace_id"]})
                for rel, role, src in files:
                    data = src.read_bytes()
                    digest = sha256_bytes(data)
                    t.con.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?)", (rel, role, digest, len(data), data))
                    t.append(actor, "add_file", "file", [rel], None, {"role": role, "sha256": digest, "size": len(data)})
                for bidder, f, lot in zip(bidset.bids["bidder"].tolist(), bid_files, bid_lots):
                    rel = f"bids/{Path(f).name}" if isinstance(f, str) and f else None
                    t.put_bidder(bidder, rel, lot, actor=actor)
                if scores is not None:
                    lots = scores["lot"].astype(str).tolist() if lotted else [None] * len(scores)
                    for r, lot in zip(scores.itertuples(index=False), lots):
                        t.put_score(r.bidder, r.criterion, r.evaluator, float(r.score), r.rationale,
                                    actor=f"{actor} (from {Path(scores_path).name})", lot=lot)
            head = (t.seq, t.prev)
        _record_head(meta["workspace_id"], head[0], head[1], path)
        return cls.open(path)

    @staticmethod
    def _meta_rows(rubric, rubric_file: str, proxies_file: Optional[str]) -> dict:
        scale = [float(s) for s in rubric.spec.scale]
        criteria = []
        for c in rubric.scale_criteria:
            row = {"id": c.id, "name": c.name or c.id, "weight": c.weight, "threshold": c.threshold,
                   "social_value": bool(c.social_value)}
            own = [float(s) for s in getattr(c, "scale", None) or []]
            if own and own != scale:  # a criterion with its own scale (DESIGN.md 9.1); none: as before
                row["scale"] = own
            criteria.append(row)
        criteria += [{"id": c.id, "name": c.name or c.id, "kind": "pass_fail"}
                     for c in getattr(rubric, "pass_fail_criteria", None) or []]
        lotted = bool(getattr(rubric, "has_lots", False))
        return {"format": LOTS_FORMAT if lotted else FORMAT, "tender_id": rubric.tender.id, "tender_title": rubric.tender.title,
                "rubric_file": rubric_file, "proxies_file": proxies_file or "",
                "scale": json.dumps([float(s) for s in rubric.spec.scale]), "criteria": json.dumps(criteria),
                "created_at": _now(), "head_seq": "0", "head_hash": GENESIS, "workspace_id": uuid.uuid4().hex}

    # ------------------------------------------------------------------------------ scores
    def check_score(self, bidder: str, criterion: str, evaluator: str, score, rationale: str, lot: str = "") -> float:
        """Refuse what the rubric does not allow, naming the field: an unknown bidder or criterion, a score
        off the criterion's scale (pass or fail for a pass/fail question, stored 1 or 0), an empty rationale
        (reg 31 needs an explanation for every score); with lots, a lot the tender does not have or a bidder
        with no bid in that lot; without lots, any lot."""
        problems: list[EvaluatorError] = []
        lot = "" if lot is None or (isinstance(lot, float) and lot != lot) else str(lot).strip()
        if self.lotted:
            lots = self.lots
            bids = self.bids()
            if not lot:
                problems.append(InputError("required: this tender has lots (" + ", ".join(lots) + "); name the lot "
                                           "the bid is in", file=self.path, field="lot", value=lot))
            elif lot not in lots:
                problems.append(InputError("is not a lot of this tender (" + ", ".join(lots) + ")" + suggest(lot, lots),
                                           file=self.path, field="lot", value=lot))
            bidders = bids.loc[bids["lot"] == lot, "bidder"].tolist() if lot in lots else bids["bidder"].tolist()
            where = f" in lot {lot}" if lot in lots else ""
        else:
            if lot:
                problems.append(InputError("this tender has no lots: leave the lot empty", file=self.path,
                                           field="lot", value=lot))
            bidders, where = self.bidders(), ""
        if not str(bidder or "").strip():
            problems.append(InputError("required but empty", file=self.path, field="bidder", value=bidder))
        elif bidder not in bidders:
            problems.append(InputError(f"is not a bidder{where} in this workspace" + suggest(bidder, bidders),
                                       file=self.path, field="bidder", value=bidder))
        entries = {c["id"]: c for c in self.criteria}
        ids = list(entries)
        if criterion not in ids:
            kinds = "scale or pass/fail" if any(c.get("kind") == "pass_fail" for c in self.criteria) else "scale"
            problems.append(InputError(f"is not a {kinds} criterion of this rubric ({', '.join(ids) or 'none'})"
                                       + suggest(criterion, ids), file=self.path, field="criterion", value=criterion))
        if not str(evaluator or "").strip():
            problems.append(InputError("required but empty", file=self.path, field="evaluator", value=evaluator))
        value = float("nan")
        if entries.get(criterion, {}).get("kind") == "pass_fail":
            value = pass_fail_value(score)
            if value is None:
                value = float("nan")
                problems.append(InputError("is not pass or fail (this is a pass/fail question: pass, fail, 1 or 0)",
                                           file=self.path, field="score", value=score))
        else:
            scale = self.criterion_scale(criterion)
            try:
                value = float(score)
            except (TypeError, ValueError):
                problems.append(InputError("not a number", file=self.path, field="score", value=score))
            else:
                own = "criterion's" if entries.get(criterion, {}).get("scale") else "rubric's"
                if value not in scale:
                    problems.append(InputError(f"is not on the {own} scale (" + ", ".join(f"{s:g}" for s in scale)
                                               + ")", file=self.path, field="score", value=score))
        if not str(rationale or "").strip():
            problems.append(InputError("is empty: every score needs a rationale (reg 31 asks for an explanation)",
                                       file=self.path, field="rationale", value=rationale))
        if problems:
            raise problems[0] if len(problems) == 1 else InputErrors(problems)
        return value

    def set_score(self, bidder: str, criterion: str, evaluator: str, score, rationale: str, *,
                  actor: Optional[str] = None, lot: str = "", by: Optional[Identity] = None) -> dict:
        """Save one score (evaluator MODERATED for the panel's consensus) and its audit entry in one
        transaction; `lot` names the bid's lot in a tender with lots. `by`, the person saving it, must be allowed
        to (their own rows, declared, no unmitigated conflict, not submitted; MODERATED: the lead), checked in the
        same transaction. Returns the saved record once it is committed (durable on disk)."""
        value = self.check_score(bidder, criterion, evaluator, score, rationale, lot)
        rationale = str(rationale).strip()
        evaluator = str(evaluator).strip()
        lot = str(lot or "").strip()
        with self._write() as t:
            ident = self._enforce(t.con, by, SCORE, evaluator=evaluator)
            seq = t.put_score(bidder, criterion, evaluator, value, rationale,
                              actor=ident.actor if ident else (actor or evaluator), lot=lot if self.lotted else None)
        return {"bidder": bidder, "criterion": criterion, "evaluator": evaluator, "score": value,
                "rationale": rationale, "lot": lot, "seq": seq, "changed": seq is not None}

    def delete_score(self, bidder: str, criterion: str, evaluator: str, *, actor: Optional[str] = None,
                     lot: str = "", by: Optional[Identity] = None) -> bool:
        where, args = "bidder=? AND criterion=? AND evaluator=?", [bidder, criterion, evaluator]
        key = [bidder, criterion, evaluator]
        if self.lotted:
            where, args, key = where + " AND lot=?", args + [str(lot or "")], key + [str(lot or "")]
        with self._write() as t:
            ident = self._enforce(t.con, by, SCORE, evaluator=evaluator)
            old = t.con.execute(f"SELECT score, rationale FROM scores WHERE {where}", args).fetchone()
            if old is None:
                return False
            t.con.execute(f"DELETE FROM scores WHERE {where}", args)
            t.append(ident.actor if ident else (actor or evaluator), "delete_score", "score", key,
                     {"score": float(old[0]), "rationale": old[1]}, None)
        return True

    def scores(self, evaluator: Optional[str] = None, viewer: Optional[Identity] = None) -> pd.DataFrame:
        """Scores in the DESIGN.md 4.4 shape (plus when each was last saved and, always, the `lot`: "" without
        lots, so a workspace made before lots reads unchanged), as `evaluate` takes them. With a `viewer`, what
        that person may see: an evaluator who has not submitted gets only their own rows (filtered in SQL, in
        the same read); the lead and observers every row. `viewer` None: every row (the engine's own use)."""
        sql = f"SELECT bidder, criterion, evaluator, score, rationale, updated_at, seq, {self._lot_column()} FROM scores"
        where, args = [], []
        if evaluator is not None:
            where.append("evaluator = ?")
            args.append(evaluator)
        with self._read() as con:
            if viewer is not None:
                ident = self._resolve(con, viewer)
                if ident is not None and self._rule(con, ident, SEE_ALL_SCORES) is not None:
                    where.append("evaluator = ?")
                    args.append(ident.user)
            if where:
                sql += " WHERE " + " AND ".join(where)
            rows = con.execute(sql + " ORDER BY seq", args).fetchall()
        for r in rows:
            if (not isinstance(r[3], (int, float)) or not isinstance(r[6], int)
                    or not all(isinstance(x, str) for x in (r[0], r[1], r[2], r[4], r[7]))):
                bad = ("score", r[3]) if not isinstance(r[3], (int, float)) else ("seq", r[6])
                raise WorkspaceTampered(f"scores row {' / '.join(map(str, r[:3]))} holds {bad[0]} {_show(bad[1])}, "
                                        "which the tool never writes: changed behind the tool's back", file=self.path)
        df = pd.DataFrame(rows, columns=SCORE_COLUMNS + ["updated_at", "seq", LOT], dtype=object)
        df["score"] = df["score"].astype(float)
        df["seq"] = df["seq"].astype(int)
        df["_row"] = df["seq"]
        return df

    def head_stamp(self) -> tuple:
        """The audit log's head as the settings record it (entry number, hash): it moves with every save, so a
        reader may keep what it read until it does (the app's scores on a big tender)."""
        with self._read() as con:
            rows = dict(con.execute("SELECT key, value FROM meta WHERE key IN ('head_seq', 'head_hash')").fetchall())
        return rows.get("head_seq"), rows.get("head_hash")

    # ------------------------------------------------------------------------------ scoring complete
    def evaluators(self) -> pd.DataFrame:
        """Every evaluator who has scored or marked complete, with their status (MODERATED excluded)."""
        with self._read() as con:
            names = [r[0] for r in con.execute(
                "SELECT DISTINCT evaluator FROM scores WHERE evaluator != ? UNION SELECT evaluator FROM evaluators",
                (MODERATED,))]
            status = {r[0]: (bool(r[1]), r[2]) for r in con.execute(
                "SELECT evaluator, complete, updated_at FROM evaluators")}
        names = sorted(set(names) - {MODERATED})
        return pd.DataFrame({"evaluator": names,
                             "complete": [status.get(n, (False, None))[0] for n in names],
                             "updated_at": [status.get(n, (False, None))[1] for n in names]},
                            columns=["evaluator", "complete", "updated_at"])

    def set_complete(self, evaluator: str, complete: bool = True, *, actor: Optional[str] = None,
                     by: Optional[Identity] = None) -> None:
        """An evaluator submits their scoring (or the lead reopens it): until then they see only their own
        scores. With `by` (always, on a workspace with users): submitting is the evaluator's own, and only when
        every criterion of every bid has their score and rationale; reopening is the lead's."""
        evaluator = str(evaluator or "").strip()
        if not evaluator or evaluator == MODERATED:
            raise InputError("name an evaluator of the panel", file=self.path, field="evaluator", value=evaluator)
        with self._write() as t:
            ident = self._enforce(t.con, by, SUBMIT if complete else REOPEN, evaluator=evaluator)
            old = t.con.execute("SELECT complete FROM evaluators WHERE evaluator=?", (evaluator,)).fetchone()
            old_state = None if old is None else {"complete": bool(old[0])}
            if old_state == {"complete": bool(complete)}:
                return
            seq = t.append(ident.actor if ident else (actor or evaluator), "complete" if complete else "reopen",
                           "evaluator", [evaluator], old_state, {"complete": bool(complete)})
            t.con.execute("INSERT INTO evaluators VALUES (?, ?, ?, ?) ON CONFLICT(evaluator) DO UPDATE SET "
                          "complete=excluded.complete, updated_at=excluded.updated_at, seq=excluded.seq",
                          (evaluator, int(bool(complete)), t.last_at, seq))

    def gaps(self, evaluator: str) -> list[tuple]:
        """(bidder, criterion, lot) of every score `evaluator` still has to give (with its rationale), in the
        order of the bids and the rubric: what stops them submitting."""
        with self._read() as con:
            return self._gaps(con, evaluator)

    def _gaps(self, con: sqlite3.Connection, evaluator: str) -> list[tuple]:
        bids = con.execute(f"SELECT bidder, {self._lot_column()} FROM bidders ORDER BY rowid").fetchall()
        have = {(r[0], r[1], r[2]) for r in con.execute(
            f"SELECT bidder, criterion, {self._lot_column()} FROM scores WHERE evaluator = ? AND TRIM(rationale) != ''",
            (evaluator,))}
        ids = [c["id"] for c in self.criteria]
        return [(b, c, lot) for b, lot in bids for c in ids if (b, c, lot) not in have]

    # ------------------------------------------------------------------------------ the panel (DESIGN.md 10)
    def _panel_rows(self, con: sqlite3.Connection) -> dict:
        """The panel as stored: users {name: (role, email)}, declarations {name: row}, submitted {name: at}."""
        out = {"users": {}, "declarations": {}, "submitted": {}}
        if _has_panel(con):
            out["users"] = {r[0]: (r[1], r[2]) for r in con.execute("SELECT user, role, email FROM users ORDER BY rowid")}
            out["declarations"] = {r[0]: dict(zip(DECLARATION_COLUMNS, r)) for r in con.execute(
                f"SELECT {', '.join(DECLARATION_COLUMNS)} FROM declarations ORDER BY rowid")}
        out["submitted"] = {r[0]: r[1] for r in con.execute("SELECT evaluator, updated_at FROM evaluators WHERE complete = 1")}
        return out

    def _resolve(self, con: sqlite3.Connection, by: Optional[Identity], rows: Optional[dict] = None) -> Optional[Identity]:
        rows = rows if rows is not None else self._panel_rows(con)
        users = rows["users"]
        if not users:
            if by is None:
                return None  # no panel, nobody named: the tool as before (command line, tests)
            if not isinstance(by, Identity) or by.role not in ROLES:
                raise NotAllowed("is not someone the tool knows (no role)", field="by", value=getattr(by, "user", by))
            return by
        if by is None:
            raise NotAllowed("sign in first: this workspace has a panel of named users")
        if not isinstance(by, Identity):
            raise NotAllowed("sign in first: this workspace has a panel of named users", field="by", value=by)
        if by.via == DEMONSTRATION:
            raise NotAllowed(f"{by.user} is a demonstration persona, and this workspace has a panel of named users: "
                             "sign in")
        if by.user not in users:
            raise NotAllowed(f"{by.user} is not (or no longer) a user of this workspace: ask the procurement lead")
        return replace(by, role=users[by.user][0])

    def identity(self, by: Optional[Identity]) -> Optional[Identity]:
        """`by` with the role the workspace holds for them (a workspace with users ignores the role an Identity
        carries and refuses a demonstration persona or nobody: NotAllowed); without users, `by` as it is (None:
        the tool as before)."""
        with self._read() as con:
            return self._resolve(con, by)

    def _rule(self, con: sqlite3.Connection, ident: Optional[Identity], action: str, *, evaluator: Optional[str] = None,
              rows: Optional[dict] = None, **_context) -> Optional[str]:
        """Why `ident` (already resolved) may not take `action` (None: allowed). `evaluator` names whose scores
        (SCORE, SUBMIT; default: the person's own); other context (bidder, lot...) does not change a rule today."""
        if ident is None:
            return None
        rows = rows if rows is not None else self._panel_rows(con)
        role, me = ident.role, ident.user
        if action == SCORE and evaluator == MODERATED:
            action = MODERATE
        if action in (MODERATE, REOPEN, LOAD_FILES, MANAGE_PANEL, SERVER_PATHS):
            return None if role == LEAD else f"only the procurement lead may {action} ({me} is {ROLE_WORDS.get(role, role).lower()})"
        if action == SEE_ALL_SCORES:
            if role in (LEAD, OBSERVER) or me in rows["submitted"]:
                return None
            return f"{me} sees only their own scores until they submit their scoring"
        if action == SEE_BIDS:
            if role != EVALUATOR or me in rows["declarations"]:
                return None
            return f"{me} must declare any conflict of interest before seeing the bids (Procurement Act 2023 s81-83)"
        if role == OBSERVER:
            return f"{me} is an observer: an observer reads the results and changes nothing"
        if action in (SCORE, SUBMIT):
            whose = evaluator if evaluator is not None else me
            if whose != me:
                return (f"only {whose} may change {whose}'s scores (signed in as {me})" if action == SCORE
                        else f"only {whose} may submit {whose}'s scoring (signed in as {me})")
            declared = rows["declarations"].get(me)
            if declared is None:
                return f"{me} must declare any conflict of interest before scoring (Procurement Act 2023 s81-83)"
            if declared["conflict"] and not declared["mitigation"]:
                return (f"{me} declared a conflict of interest: no scoring until the procurement lead records how it "
                        "is mitigated")
            if action == SCORE and me in rows["submitted"]:
                return f"{me} has submitted their scoring: ask the procurement lead to reopen it to change a score"
            if action == SUBMIT and me not in rows["submitted"]:
                missing = self._gaps(con, me)
                if missing:
                    b, c, lot = missing[0]
                    return (f"{me} cannot submit yet: {len(missing)} score(s) with a rationale missing, the first "
                            f"for bidder {b}, criterion {c}" + (f", lot {lot}" if lot else "")
                            + " (every criterion of every bid needs a score and a rationale)")
            return None
        if action == "declare":
            return None
        return None

    def _enforce(self, con: sqlite3.Connection, by: Optional[Identity], action: str, **context) -> Optional[Identity]:
        rows = self._panel_rows(con)
        ident = self._resolve(con, by, rows)
        reason = self._rule(con, ident, action, rows=rows, **context)
        if reason:
            raise NotAllowed(reason)
        return ident

    def can(self, by: Optional[Identity], action: str, **context) -> Optional[str]:
        """None when `by` may take `action` (a constant of evaluator.panel; `evaluator=` names whose scores), else
        the reason in one line."""
        try:
            with self._read() as con:
                self._enforce(con, by, action, **context)
        except NotAllowed as exc:
            return exc.line()
        return None

    def guard(self, by: Optional[Identity], action: str, **context) -> Optional[Identity]:
        """As :meth:`can`, raising NotAllowed; returns the resolved identity."""
        with self._read() as con:
            return self._enforce(con, by, action, **context)

    @property
    def has_users(self) -> bool:
        with self._read() as con:
            return _has_panel(con) and con.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def users(self) -> pd.DataFrame:
        """The panel's accounts: user, role, email, added_at (never a hash)."""
        with self._read() as con:
            rows = con.execute("SELECT user, role, email, added_at FROM users ORDER BY rowid").fetchall() \
                if _has_panel(con) else []
        return pd.DataFrame(rows, columns=USER_COLUMNS)

    def add_user(self, user: str, role: str, password: Optional[str] = None, *, email: str = "",
                 actor: str = COMMAND_LINE) -> dict:
        """A new account (the first must be a lead): a password (hashed; at least MIN_PASSWORD_LENGTH characters)
        or, with an email, none (OpenID Connect only)."""
        from .passwords import hash_password
        user, email = _user_name(user, self.path), _email(email, self.path)
        if role not in ROLES:
            raise InputError(f"is not a role ({', '.join(ROLES)})" + suggest(str(role), list(ROLES)), file=self.path,
                             field="role", value=role)
        if password is None and not email:
            raise InputError("give a password, or an email for OpenID Connect sign-in", file=self.path, field="password")
        stored = hash_password(password) if password is not None else None
        with self._write() as t:
            t.ensure_panel(actor)
            users = {r[0]: r[1] for r in t.con.execute("SELECT user, email FROM users")}
            if user in users:
                raise InputError("is already a user of this workspace (`workspace user reset` changes a password)",
                                 file=self.path, field="user", value=user)
            if not users and role != LEAD:
                raise InputError("the first user of a workspace must be its procurement lead (--role lead)",
                                 file=self.path, field="role", value=role)
            if email and email.lower() in {e.lower() for e in users.values() if e}:
                raise InputError("is already another user's email", file=self.path, field="email", value=email)
            at = _now()
            t.con.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?)", (user, role, email, stored, at))
            t.append(actor, "add_user", "user", [user], None, _user_value(role, email, stored, at))
        return {"user": user, "role": role, "email": email, "added_at": at}

    def remove_user(self, user: str, *, actor: str = COMMAND_LINE) -> None:
        """Take an account away (their scores and declaration stay in the record); the last lead stays."""
        with self._write() as t:
            t.ensure_panel(actor)
            row = t.con.execute("SELECT role, email, hash, added_at FROM users WHERE user = ?", (user,)).fetchone()
            if row is None:
                raise InputError("is not a user of this workspace", file=self.path, field="user", value=user)
            leads = t.con.execute("SELECT COUNT(*) FROM users WHERE role = ?", (LEAD,)).fetchone()[0]
            others = t.con.execute("SELECT COUNT(*) FROM users WHERE user != ?", (user,)).fetchone()[0]
            if row[0] == LEAD and leads == 1 and others:
                raise InputError("is the workspace's only procurement lead: add another lead first", file=self.path,
                                 field="user", value=user)
            t.con.execute("DELETE FROM users WHERE user = ?", (user,))
            t.append(actor, "remove_user", "user", [user], _user_value(*row), None)

    def reset_password(self, user: str, password: Optional[str], *, actor: str = COMMAND_LINE) -> None:
        """A new password (None: none, for an account with an email that signs in with OpenID Connect only);
        the wrong-password count starts again."""
        from .passwords import hash_password
        stored = hash_password(password) if password is not None else None
        with self._write() as t:
            t.ensure_panel(actor)
            row = t.con.execute("SELECT role, email, hash, added_at FROM users WHERE user = ?", (user,)).fetchone()
            if row is None:
                raise InputError("is not a user of this workspace", file=self.path, field="user", value=user)
            if stored is None and not row[1]:
                raise InputError("has no email to sign in with instead: give a password", file=self.path,
                                 field="user", value=user)
            t.con.execute("UPDATE users SET hash = ? WHERE user = ?", (stored, user))
            t.append(actor, "reset_password", "user", [user], _user_value(*row), _user_value(row[0], row[1], stored, row[3]))
            t.put_failures(user, None, actor=actor, action="sign_in_reset")

    def sign_in(self, user: str, password: str) -> Identity:
        """The identity of a user whose password matches, or SignInRefused: the same words for an unknown name
        as for a wrong password (and as long to come), and after FREE_ATTEMPTS wrong tries in a row a wait that
        doubles from 5 s (capped at MAX_WAIT_SECONDS), counted in the workspace for any name typed."""
        from .passwords import verify_password
        name = str(user or "").strip()[:200]
        with self._read() as con:
            panel = _has_panel(con)
            row = con.execute("SELECT role, hash FROM users WHERE user = ?", (name,)).fetchone() if panel else None
            fail = con.execute("SELECT failures, wait_until FROM signin_failures WHERE user = ?",
                               (name,)).fetchone() if panel else None
        if not panel:
            verify_password(None, password)
            raise SignInRefused(WRONG_PASSWORD)
        wait = _seconds_until(fail[1]) if fail else 0
        if wait > 0:
            with self._write() as t:
                t.put_failures(name, None, actor=name or "(no name)", action="sign_in_refused", keep=True)
            raise SignInRefused(_too_many(wait), wait_seconds=wait)
        ok = verify_password(row[1] if row else None, password) and row is not None
        with self._write() as t:
            current = t.con.execute("SELECT failures FROM signin_failures WHERE user = ?", (name,)).fetchone()
            if ok:
                ident = Identity(user=name, role=row[0], via=PASSWORD)
                t.put_failures(name, None, actor=ident.actor, action="sign_in")
                return ident
            failures = (current[0] if current else 0) + 1
            t.put_failures(name, failures, actor=name or "(no name)", action="sign_in_refused")
        raise SignInRefused(WRONG_PASSWORD)

    def identity_for_openid(self, email: str, subject: str) -> Identity:
        """The workspace user whose email the identity provider vouched for (any case), or NotAllowed naming it."""
        email = str(email or "").strip()
        with self._read() as con:
            rows = con.execute("SELECT user, role, email FROM users").fetchall() if _has_panel(con) else []
        match = [r for r in rows if email and r[2] and r[2].lower() == email.lower()]
        if not match:
            raise NotAllowed(f"{email or 'an empty email'} is not the email of a user of this workspace: ask the "
                             "procurement lead to add it (`workspace user add --email`)")
        ident = Identity(user=match[0][0], role=match[0][1], via=OPENID, subject=str(subject or ""), email=email)
        with self._write() as t:
            t.put_failures(ident.user, None, actor=ident.actor, action="sign_in")
        return ident

    def declare(self, by: Optional[Identity], conflict: bool, details: str = "") -> dict:
        """`by` declares whether they have a conflict of interest (Procurement Act 2023 s81-83), with details
        when they do; a new declaration replaces the old one (and its mitigation)."""
        details = str(details or "").strip()
        if conflict and not details:
            raise InputError("say what the conflict of interest is", file=self.path, field="details", value=details)
        with self._write() as t:
            rows = self._panel_rows(t.con)
            ident = self._resolve(t.con, by, rows)
            if ident is None:
                raise NotAllowed("name who is declaring (sign in first)")
            if ident.role == OBSERVER:
                raise NotAllowed(f"{ident.user} is an observer: an observer reads the results and changes nothing")
            t.ensure_panel(ident.actor)
            old = rows["declarations"].get(ident.user)
            at = _now()
            new = _declaration_value(bool(conflict), details, at, None, None, None)
            t.con.execute("INSERT OR REPLACE INTO declarations VALUES (?, ?, ?, ?, ?, ?, ?)",
                          (ident.user, int(bool(conflict)), details, at, None, None, None))
            t.append(ident.actor, "declare", "declaration", [ident.user],
                     None if old is None else _declaration_value(*[old[k] for k in DECLARATION_COLUMNS[1:]]), new)
        return {"user": ident.user, **new}

    def mitigate(self, by: Optional[Identity], user: str, how: str) -> dict:
        """The lead records how `user`'s declared conflict is mitigated; they may then score."""
        how = str(how or "").strip()
        with self._write() as t:
            ident = self._enforce(t.con, by, MANAGE_PANEL)
            if not how:
                raise InputError("say how the conflict is mitigated", file=self.path, field="how", value=how)
            row = self._panel_rows(t.con)["declarations"].get(user)
            if row is None or not row["conflict"]:
                raise InputError("has not declared a conflict of interest: nothing to mitigate", file=self.path,
                                 field="user", value=user)
            who = ident.user if ident else "command line"
            at = _now()
            old = _declaration_value(*[row[k] for k in DECLARATION_COLUMNS[1:]])
            new = {**old, "mitigation": how, "mitigated_by": who, "mitigated_at": at}
            t.con.execute("UPDATE declarations SET mitigation = ?, mitigated_by = ?, mitigated_at = ? WHERE user = ?",
                          (how, who, at, user))
            t.append(ident.actor if ident else who, "mitigate", "declaration", [user], old, new)
        return {"user": user, **new}

    def declaration(self, user: str) -> Optional[dict]:
        """{user, conflict, details, declared_at, mitigation, mitigated_by, mitigated_at}, or None."""
        with self._read() as con:
            row = self._panel_rows(con)["declarations"].get(user)
        return None if row is None else {**row, "conflict": bool(row["conflict"])}

    def declarations(self) -> pd.DataFrame:
        with self._read() as con:
            rows = list(self._panel_rows(con)["declarations"].values())
        df = pd.DataFrame(rows, columns=DECLARATION_COLUMNS)
        df["conflict"] = df["conflict"].astype(bool)
        return df

    def panel_status(self) -> pd.DataFrame:
        """One row per panel member (the users, then anyone else who declared or scored): user, role, declared,
        conflict, mitigation, submitted, submitted_at, scores (their saved scores): who has submitted and who not."""
        with self._read() as con:
            rows = self._panel_rows(con)
            counts = dict(con.execute("SELECT evaluator, COUNT(*) FROM scores WHERE evaluator != ? GROUP BY evaluator",
                                      (MODERATED,)).fetchall())
            named = list(rows["users"]) + [n for n in list(rows["declarations"]) + sorted(counts) + sorted(
                r[0] for r in con.execute("SELECT evaluator FROM evaluators")) if n not in rows["users"]]
        out = []
        for name in dict.fromkeys(named):
            d = rows["declarations"].get(name)
            out.append({"user": name, "role": rows["users"].get(name, ("", ""))[0], "declared": d is not None,
                        "conflict": bool(d["conflict"]) if d else False, "mitigation": (d or {}).get("mitigation") or "",
                        "submitted": name in rows["submitted"], "submitted_at": rows["submitted"].get(name),
                        "scores": int(counts.get(name, 0))})
        return pd.DataFrame(out, columns=PANEL_STATUS_COLUMNS)

    # ------------------------------------------------------------------------------ loading or replacing files
    def change_files(self, by: Optional[Identity], *, rubric: Optional[tuple] = None, proxies: Optional[tuple] = None,
                     bids=(), confirm: bool = False) -> "FileChange":
        """The lead replaces the rubric or proxy table, or adds or replaces bids (each `(name, bytes)`). With
        `confirm` False nothing is written: the FileChange's summary says what would change and how many saved
        scores concern a replaced bid. Saved scores are never deleted: a rubric must keep every criterion id
        (and every saved score on its scale), and no bidder may disappear."""
        from .bids import load_bids
        from .rubric import load_rubric
        self.guard(by, LOAD_FILES)
        uploads = [("rubric", x) for x in [rubric] if x is not None] + \
                  [("proxies", x) for x in [proxies] if x is not None] + [("bid", x) for x in bids or ()]
        if not uploads:
            raise InputError("no file given to load or replace", file=self.path)
        changes = []  # (role, rel, data, old row or None)
        stored = {r.path: r for r in self.files().itertuples(index=False)}
        for role, item in uploads:
            try:
                name, data = item
                name, data = Path(str(name)).name, bytes(data)
            except (TypeError, ValueError):
                raise InputError("is not a (file name, contents) pair", file=self.path, field=role, value=item) from None
            rel = f"{ROLE_DIRS[role]}/{name}"
            problem = stored_name_problem(rel, role)
            if problem:
                raise InputError("this file name cannot be kept in a workspace (it must be a plain name)", file=name)
            if role in ("rubric", "proxies"):
                old = next((r for r in stored.values() if r.role == role), None)
            else:
                old = stored.get(rel)
            changes.append((role, rel, data, old))
        if len({rel for _, rel, _, _ in changes}) != len(changes):
            raise InputError("the same file is given twice", file=self.path)
        d = self.derived()
        with tempfile.TemporaryDirectory(prefix="sv_change_") as tmp:
            folder = Path(tmp)
            self._write_files(folder, None)
            (folder / "bids").mkdir(exist_ok=True)
            for role, rel, data, old in changes:
                if old is not None and old.path != rel:
                    (folder / old.path).unlink(missing_ok=True)
                target = _inside(folder, rel, self.path)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            rubric_rel = next((rel for role, rel, _, _ in changes if role == "rubric"), d["rubric_file"])
            proxies_rel = next((rel for role, rel, _, _ in changes if role == "proxies"), d["proxies_file"])
            try:
                new_rubric = load_rubric(folder / rubric_rel,
                                         proxies_path=(folder / proxies_rel) if proxies_rel else None)
            except EvaluatorError as exc:
                raise _named_plainly(exc, folder) from None
            new_meta = self._meta_rows(new_rubric, rubric_rel, proxies_rel)
            if (new_meta["format"] == LOTS_FORMAT) != self.lotted:
                raise InputError("the new rubric " + ("has lots and the workspace's tender has none" if new_meta["format"]
                                 == LOTS_FORMAT else "has no lots and the workspace's tender has") + ": start a new "
                                 "workspace", file=Path(rubric_rel).name)
            new_criteria = {c["id"]: c for c in json.loads(new_meta["criteria"])}
            missing = [c["id"] for c in d["criteria"] if c["id"] not in new_criteria]
            if missing:
                raise InputError("drops the criteria " + ", ".join(missing) + " of the rubric it replaces: a "
                                 "replacement rubric must keep every criterion id (saved scores are never discarded)",
                                 file=Path(rubric_rel).name)
            bidset = load_bids(folder / "bids", new_rubric)
            if bidset.problems:
                raise InputErrors([_named_plainly(e, folder) for e in bidset.problems] + [EvaluatorError(
                    "nothing was changed: fix the bids above first", file=self.path)])
            ignored = [rel for role, rel, _, _ in changes if role == "bid" and Path(rel).name in bidset.ignored_files]
            if ignored:
                raise InputError("is not read as a bid (not a bid file the tool knows)", file=Path(ignored[0]).name)
        lotted = self.lotted
        new_bids = [(str(b), f"bids/{Path(f).name}" if isinstance(f, str) and f else None, str(lot) if lotted else "")
                    for b, f, lot in zip(bidset.bids["bidder"], bidset.bids.get("_file", [None] * len(bidset.bids)),
                                         bidset.bids["lot"] if lotted else [""] * len(bidset.bids))]
        old_bids = {(r.bidder, r.lot): r.file for r in self.bids().itertuples(index=False)}
        now_bids = {(b, lot): f for b, f, lot in new_bids}
        gone = [k for k in old_bids if k not in now_bids]
        if gone:
            raise InputError(f"the files would no longer hold the bid of {gone[0][0]}" + (f" in lot {gone[0][1]}" if
                             gone[0][1] else "") + ": a bid cannot be taken away (its saved scores would be lost); "
                             "keep its bidder name", file=self.path)
        scale = [float(x) for x in json.loads(new_meta["scale"])]
        saved = self.scores()
        for r in saved.itertuples(index=False):
            c = new_criteria[r.criterion]
            own = [0.0, 1.0] if c.get("kind") == "pass_fail" else [float(x) for x in c.get("scale") or scale]
            if float(r.score) not in own:
                raise InputError(f"the new rubric's scale for {r.criterion} does not hold the saved score {r.score:g} "
                                 f"({r.evaluator} on {r.bidder}): saved scores are never discarded",
                                 file=Path(rubric_rel).name)
        added = [k for k in now_bids if k not in old_bids]
        replaced_bids = {rel for role, rel, _, old in changes if role == "bid" and old is not None}
        concerned = {k for k, f in now_bids.items() if f in replaced_bids and k in old_bids}
        affected = int(sum(1 for r in saved.itertuples(index=False) if (r.bidder, r.lot) in concerned))
        change = FileChange(
            added=[rel for role, rel, _, old in changes if old is None],
            replaced=[rel for role, rel, _, old in changes if old is not None],
            new_bidders=[b if not lot else f"{b} (lot {lot})" for b, lot in added], affected_scores=affected,
            renamed={rel: old.path for _, rel, _, old in changes if old is not None and old.path != rel})
        if not confirm:
            change.summary = change.describe(done=False)
            return change
        with self._write() as t:
            ident = self._enforce(t.con, by, LOAD_FILES)
            actor = ident.actor if ident else COMMAND_LINE
            for role, rel, data, old in changes:
                digest, row = sha256_bytes(data), {"role": role, "sha256": sha256_bytes(data), "size": len(data)}
                if old is not None and old.path != rel:
                    t.con.execute("DELETE FROM files WHERE path = ?", (old.path,))
                    t.append(actor, "remove_file", "file", [old.path],
                             {"role": old.role, "sha256": old.sha256, "size": int(old.size)}, None)
                    old = None
                if old is None:
                    t.con.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?)", (rel, role, digest, len(data), data))
                    t.append(actor, "add_file", "file", [rel], None, row)
                else:
                    t.con.execute("UPDATE files SET sha256 = ?, size = ?, content = ? WHERE path = ?",
                                  (digest, len(data), data, rel))
                    t.append(actor, "replace_file", "file", [rel],
                             {"role": old.role, "sha256": old.sha256, "size": int(old.size)}, row)
            for key in added:
                t.put_bidder(key[0], now_bids[key], key[1] if lotted else None, actor=actor)
            for key, f in now_bids.items():
                if key in old_bids and old_bids[key] != f:
                    where = "bidder = ?" + (" AND lot = ?" if lotted else "")
                    t.con.execute(f"UPDATE bidders SET file = ? WHERE {where}", (f, *key[:2 if lotted else 1]))
                    t.append(actor, "change_bidder", "bidder", list(key[:2 if lotted else 1]), {"file": old_bids[key]},
                             {"file": f})
            for name in ("tender_id", "tender_title", "rubric_file", "proxies_file", "scale", "criteria"):
                t.con.execute("UPDATE meta SET value = ? WHERE key = ?", (new_meta[name], name))
        self._meta = self._derived = None
        change.applied = True
        change.summary = change.describe(done=True)
        return change

    # ------------------------------------------------------------------------------ tender files
    def files(self) -> pd.DataFrame:
        with self._read() as con:
            rows = con.execute("SELECT path, role, sha256, size FROM files ORDER BY rowid").fetchall()
        return pd.DataFrame(rows, columns=["path", "role", "sha256", "size"])

    def materialise(self, folder: Path | str) -> tuple[Path, Optional[Path], Path]:
        """Write the tender's files out (rubric/, proxies/, bids/) and return (rubric, proxies, bids folder)."""
        folder = Path(folder)
        d = self.derived()
        self._write_files(folder, None)
        (folder / "bids").mkdir(parents=True, exist_ok=True)
        return (_inside(folder, d["rubric_file"], self.path),
                _inside(folder, d["proxies_file"], self.path) if d["proxies_file"] else None, folder / "bids")

    def _write_files(self, folder: Path, only: Optional[list]) -> None:
        """Write stored files into `folder`, each name checked first (plain, under rubric/, proxies/ or bids/)
        and the target checked to be inside `folder`: a tampered name is refused before anything is written."""
        with self._read() as con:
            rows = con.execute("SELECT path, role, content FROM files").fetchall()
        targets = []
        for rel, role, content in rows:
            if only is not None and rel not in only:
                continue
            problem = stored_name_problem(rel, role if role in ROLE_DIRS else None)
            if problem:
                raise WorkspaceTampered(problem, file=self.path)
            if not isinstance(content, bytes):
                raise WorkspaceTampered(f"stored file {_show(rel)} holds {type(content).__name__}, not bytes: changed "
                                        "behind the tool's back", file=self.path)
            targets.append((_inside(folder, rel, self.path), content))
        for target, content in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)

    def load_tender(self):
        """(rubric, bidset) read from the workspace's own copies of the files."""
        from .bids import load_bids
        from .rubric import load_rubric
        with tempfile.TemporaryDirectory(prefix="sv_workspace_") as tmp:
            rubric_path, proxies_path, bids_dir = self.materialise(tmp)
            rubric = load_rubric(rubric_path, proxies_path=proxies_path)
            bidset = load_bids(bids_dir, rubric).require_valid()
        return rubric, bidset

    def evaluate(self):
        """The evaluation with the workspace's files and scores (the engine's `evaluate`; for a tender with
        lots, `evaluate_tender`: one evaluation per lot and the award across them)."""
        rubric, bidset = self.load_tender()
        scores = self.scores()
        if self.lotted:
            from .lots import evaluate_tender
            return evaluate_tender(rubric, bidset, scores[SCORE_COLUMNS + [LOT, "_row"]])
        from .evaluation import evaluate
        return evaluate(rubric, bidset, scores[SCORE_COLUMNS + ["_row"]])

    # ------------------------------------------------------------------------------ audit
    def audit_log(self) -> pd.DataFrame:
        with self._read() as con:
            rows = con.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit ORDER BY seq").fetchall()
        df = pd.DataFrame(rows, columns=AUDIT_COLUMNS, dtype=object)  # None stays None (never NaN or "nan")
        df["seq"] = df["seq"].astype(int)
        return df

    def verify(self, manifest: Optional[dict] = None) -> AuditReport:
        """Check the chain entry by entry (keyed with this machine's key), then that the tables hold exactly what
        the log says they should, that the settings are what the fingerprinted rubric says, that every stored
        name is plain and every score is on the rubric's scale, that the schema is the tool's own, and that the
        file's head is not behind the one this machine recorded (or the one in an export's `manifest`)."""
        hkey = server_key(create=False)
        with self._read() as con:
            foreign, removed = _schema_problems(con)
            log = con.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit ORDER BY seq").fetchall()
            meta = {k: v for k, v in con.execute("SELECT key, value FROM meta").fetchall()}
            lot = ", lot" if meta.get("format") == LOTS_FORMAT else ""  # a tender with lots: keyed by lot too
            raw = {
                "score": con.execute("SELECT bidder, criterion, evaluator, score, rationale, updated_at, seq"
                                     f"{lot} FROM scores").fetchall(),
                "evaluator": con.execute("SELECT evaluator, complete, updated_at, seq FROM evaluators").fetchall(),
                "bidder": con.execute(f"SELECT bidder, file{lot} FROM bidders").fetchall(),
                "file": con.execute("SELECT path, role, sha256, size, content FROM files").fetchall(),
            }
            raw["panel"] = _has_panel(con)
            names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            raw["user"] = con.execute("SELECT user, role, email, hash, added_at FROM users").fetchall() \
                if "users" in names else []
            raw["declaration"] = con.execute("SELECT user, conflict, details, declared_at, mitigation, mitigated_by, "
                                             "mitigated_at FROM declarations").fetchall() \
                if "declarations" in names else []
            raw["signin"] = con.execute("SELECT user, failures, last_at, wait_until FROM signin_failures").fetchall() \
                if "signin_failures" in names else []
        self._derived = None
        derived, derived_problem = None, None
        try:
            derived = self.derived()
        except WorkspaceTampered as exc:
            derived_problem = exc.problem
        report = _verify(log, meta, raw, hkey, foreign, removed, derived, derived_problem)
        if report.problems or report.unchecked:
            return report
        record = head_record(report.workspace_id)
        if record is not None:
            report.compared.append(f"this machine's record ({record['where']})")
            p = _compare_head("this machine's head record", record["entry"], record["hash"], log,
                              f" (saved {record['at']})" if record["at"] else "")
            if p:
                report.problems.append(p)
        if manifest is not None:
            try:
                m_id = manifest.get("workspace_id")
                m_entry, m_hash = int(manifest["audit_log"]["entries"]), str(manifest["audit_log"]["head_hash"])
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise InputError(f"is not a workspace export's manifest ({exc})", field="--manifest") from None
            if m_id and report.workspace_id and m_id != report.workspace_id:
                raise InputError(f"is the manifest of another workspace ({m_id[:12]}…; this file is "
                                 f"{report.workspace_id[:12]}…)", field="--manifest")
            report.compared.append("the export's manifest")
            p = _compare_head("the export's manifest", m_entry, m_hash, log,
                              f" (exported {manifest.get('exported_at')})" if manifest.get("exported_at") else "")
            if p:
                report.problems.append(p)
        return report

    def check(self) -> AuditReport:
        """verify(), raising WorkspaceTampered naming the first broken thing: what `evaluate --db` and
        `report --db` run before they use a workspace."""
        report = self.verify()
        if report.problems:
            raise WorkspaceTampered(report.first.line(), file=self.path)
        return report

    def rekey(self) -> bool:
        """Key a workspace made before keyed chains (appends a keyed `rekey` entry); False if it already is."""
        with self._write() as t:
            return t.upgraded

    # ------------------------------------------------------------------------------ export / import
    def export(self, out: Path | str) -> dict:
        """The tender files, scores.csv (DESIGN.md 4.4), the audit log as CSV and a manifest of SHA-256
        fingerprints and the head (entry number and hash), in a folder that `import_export` turns back into
        the same evaluation. Text a spreadsheet would run as a formula is quoted (see `csv_safe`)."""
        out = Path(out)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise InputError("already exists and is not an empty folder: an export never overwrites files",
                             file=out, field="--out")
        report = self.verify()
        with self._read() as con:
            stored = con.execute("SELECT path, role, sha256, size, content FROM files ORDER BY rowid").fetchall()
        targets = []
        for rel, role, digest, size, content in stored:
            problem = stored_name_problem(rel, role if role in ROLE_DIRS else None)
            if problem:
                raise WorkspaceTampered(problem, file=self.path)
            targets.append((rel, role, _inside(out / "files", rel, self.path), bytes(content)))
        lotted = self.lotted
        scores = self.scores().sort_values(([LOT] if lotted else []) + ["bidder", "criterion", "evaluator"],
                                           kind="stable")
        out.mkdir(parents=True, exist_ok=True)
        files = []
        for rel, role, target, content in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            files.append({"path": f"files/{rel}", "role": role, "sha256": sha256_bytes(content), "size": len(content)})
        buf = io.StringIO()
        w = _csv_writer(buf)
        w(SCORE_COLUMNS + ([LOT] if lotted else []))  # with lots, scores.csv's lot column (DESIGN.md 9.3)
        for r in scores.itertuples(index=False):
            w([csv_safe(r.bidder), csv_safe(r.criterion), csv_safe(r.evaluator), f"{r.score:g}", csv_safe(r.rationale)]
              + ([csv_safe(r.lot)] if lotted else []))
        scores_bytes = buf.getvalue().encode("utf-8")
        (out / "scores.csv").write_bytes(scores_bytes)
        log = self.audit_log()
        buf = io.StringIO()
        w = _csv_writer(buf)
        w(AUDIT_COLUMNS)
        for row in log.itertuples(index=False):
            w(["" if v is None else csv_safe(v) for v in row])
        log_bytes = buf.getvalue().encode("utf-8")
        (out / "audit_log.csv").write_bytes(log_bytes)
        panel = self._export_panel(out)
        keyed = report.chain.startswith("keyed")
        manifest = {
            "workspace_format": self.meta["format"] if lotted else FORMAT, "tender": self.tender_id, "title": self.meta["tender_title"],
            "exported_at": _now(), "files": files,
            "scores": {"path": "scores.csv", "sha256": sha256_bytes(scores_bytes), "rows": len(scores)},
            "audit_log": {"path": "audit_log.csv", "sha256": sha256_bytes(log_bytes), "entries": report.entries,
                          "head_hash": report.head_hash, "intact": report.intact,
                          "first_problem": report.first.line() if report.first else None},
            "evaluators": self.evaluators()[["evaluator", "complete"]].to_dict(orient="records"),
            "workspace_id": report.workspace_id,
            "head": {"entry": report.entries, "hash": report.head_hash, "short": report.head},
            "chain": {"kind": report.chain, "key_id": key_id(server_key()) if keyed else None},
            **panel,
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return manifest

    def _export_panel(self, out: Path) -> dict:
        """With a panel: users.csv (user, role, email, added_at: never a hash) and, apart, credentials.json (the
        password hashes, mode 0600, for `import_export` only); the manifest's entries for both."""
        with self._read() as con:
            if not _has_panel(con):
                return {}
            rows = con.execute("SELECT user, role, email, hash, added_at FROM users ORDER BY rowid").fetchall()
        buf = io.StringIO()
        w = _csv_writer(buf)
        w(USER_COLUMNS)
        for user, role, email, _, added_at in rows:
            w([csv_safe(user), role, csv_safe(email), added_at])
        users_bytes = buf.getvalue().encode("utf-8")
        (out / USERS_CSV).write_bytes(users_bytes)
        creds = json.dumps({"about": "password hashes (Argon2id) of the workspace's users, for `workspace import`; "
                                     "keep this file as safe as the workspace itself",
                            "users": {user: stored for user, _, _, stored, _ in rows}}, indent=1,
                           ensure_ascii=False).encode("utf-8") + b"\n"
        fd = os.open(out / CREDENTIALS_JSON, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(creds)
        return {"users": {"path": USERS_CSV, "sha256": sha256_bytes(users_bytes), "rows": len(rows)},
                "credentials": {"path": CREDENTIALS_JSON, "sha256": sha256_bytes(creds)}}

    @classmethod
    def import_export(cls, path: Path | str, folder: Path | str) -> "Workspace":
        """A new workspace from an export folder: every name checked to be plain, every fingerprint checked
        against the manifest, the audit log's chain checked (every hash where this machine can: an export made
        here or before keyed chains; otherwise its links and the manifest's head), then re-keyed with this
        machine's key, an `import` entry appended naming the export's head, the tables rebuilt from the log and
        compared with scores.csv."""
        from .rubric import load_rubric

        path, folder = Path(path), Path(folder)
        if path.exists() and path.stat().st_size > 0:
            raise InputError("already exists: import makes a new workspace file; choose another name",
                             file=path, field="--db")
        manifest_path = folder / "manifest.json"
        if not manifest_path.is_file():
            raise InputError("no manifest.json here: not a folder made by `workspace export`", file=folder)
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"), object_pairs_hook=no_duplicate_keys)
            listed = [(f["path"], f["role"], f["sha256"]) for f in manifest["files"]]
            parts = [(manifest["scores"]["path"], manifest["scores"]["sha256"]),
                     (manifest["audit_log"]["path"], manifest["audit_log"]["sha256"])]
            m_entries, m_head = int(manifest["audit_log"]["entries"]), str(manifest["audit_log"]["head_hash"])
            m_chain = manifest.get("chain") or {}
            exporter_key = m_chain.get("key_id") if isinstance(m_chain, dict) else None
        except DuplicateKey as exc:
            raise InputError(f"holds the key '{exc.key}' twice in one object; a key given twice is refused, "
                             "not read with the last value silently kept", file=manifest_path) from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"is not a workspace manifest ({exc})", file=manifest_path) from None
        for rel, role, _ in listed:
            problem = (stored_name_problem(rel[len("files/"):], role) if isinstance(rel, str) and rel.startswith("files/")
                       else f"file name {_show(rel)} is not a plain name under files/rubric/, files/proxies/ or files/bids/")
            if problem:
                raise InputError(problem.replace("; refused as tampered", ""), file=manifest_path)
        for rel, _ in parts:
            if not isinstance(rel, str) or not _plain(rel):
                raise InputError(f"file name {_show(rel)} is not a plain name in the export folder", file=manifest_path)
        problems = []
        blobs = {}
        for rel, digest in [(p, d) for p, _, d in listed] + parts:
            f = folder / rel
            if not f.is_file():
                problems.append(InputError("listed in the manifest but missing", file=f))
                continue
            data = f.read_bytes()
            blobs[rel] = data
            if sha256_bytes(data) != digest:
                problems.append(InputError(f"SHA-256 {sha256_bytes(data)[:16]}… does not match the manifest's "
                                           f"{str(digest)[:16]}…: the file changed after export", file=f))
        if problems:
            raise InputErrors(problems)
        log_where = folder / parts[1][0]
        panel_files = _read_panel_export(folder, manifest, manifest_path)
        log = _read_audit_csv(blobs[parts[1][0]], log_where)
        exported_scores = _read_scores_csv(blobs[parts[0][0]], folder / parts[0][0])

        # the exported chain: its links and its head always; every hash where this machine can check it
        hkey = server_key(create=True)
        ours = key_id(hkey)
        prev = GENESIS
        for n, row in enumerate(log, start=1):
            if row[0] != n or row[8] != prev:
                raise InputError(f"the exported audit log does not verify: entry {row[0]} does not follow entry {n - 1}",
                                 file=log_where)
            if entry_hash(*row[:9]) != row[9] and entry_hash(*row[:9], hkey=hkey) != row[9] and exporter_key in (None, ours):
                raise InputError(f"the exported audit log does not verify: entry {n}: its contents do not match its "
                                 "hash (edited after it was written)", file=log_where)
            prev = row[9]
        if len(log) != m_entries or prev != m_head or not log:
            raise InputError(f"the exported audit log ends at entry {len(log)} ({prev[:12]}…) but the manifest records "
                             f"entry {m_entries} ({m_head[:12]}…) as its head", file=log_where)
        checked = "every hash" if exporter_key in (None, ours) else "its links, its head and every fingerprint"
        rekeyed, prev = [], GENESIS
        for row in log:
            h = entry_hash(*row[:8], prev, hkey=hkey)
            rekeyed.append((*row[:8], prev, h))
            prev = h

        with tempfile.TemporaryDirectory(prefix="sv_import_") as tmp:
            rubric_rel = next((p for p, role, _ in listed if role == "rubric"), None)
            proxies_rel = next((p for p, role, _ in listed if role == "proxies"), None)
            if rubric_rel is None:
                raise InputError("the manifest lists no rubric file", file=manifest_path)
            for rel in (rubric_rel, proxies_rel):
                if rel:
                    (Path(tmp) / Path(rel).name).write_bytes(blobs[rel])
            rubric = load_rubric(Path(tmp) / Path(rubric_rel).name,
                                 proxies_path=(Path(tmp) / Path(proxies_rel).name) if proxies_rel else None)
        strip = lambda rel: rel[len("files/"):] if rel.startswith("files/") else rel  # noqa: E731
        meta = cls._meta_rows(rubric, strip(rubric_rel), strip(proxies_rel) if proxies_rel else None)
        lotted = meta["format"] == LOTS_FORMAT
        state = _replay(rekeyed)

        with _building(cls, path, "importing", lotted) as ws:
            with ws._write() as t:
                t.con.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
                t.con.executemany(f"INSERT INTO audit ({', '.join(AUDIT_COLUMNS)}) VALUES ({', '.join('?' * 10)})",
                                  rekeyed)
                t.seq, t.prev, t.workspace_id = len(rekeyed), prev, meta["workspace_id"]
                for rel, role, digest in listed:
                    data = blobs[rel]
                    t.con.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?)", (strip(rel), role, digest, len(data), data))
                for key, (val, seq, at) in state.get("bidder", {}).items():  # key: (bidder,) or (bidder, lot)
                    t.con.execute(f"INSERT INTO bidders VALUES ({', '.join('?' * (len(key) + 1))})",
                                  (key[0], val.get("file"), *key[1:]))
                for key, (val, seq, at) in state.get("score", {}).items():  # (bidder, criterion, evaluator[, lot])
                    t.con.execute(f"INSERT INTO scores VALUES ({', '.join('?' * (len(key) + 4))})",
                                  (*key[:3], float(val["score"]), val["rationale"], at, seq, *key[3:]))
                for key, (val, seq, at) in state.get("evaluator", {}).items():
                    t.con.execute("INSERT INTO evaluators VALUES (?, ?, ?, ?)", (key[0], int(bool(val["complete"])), at, seq))
                _import_panel(t.con, state, panel_files, folder)
                t.append("workspace import", "import", "workspace", ["import"], None,
                         {"chain": KEYED, "key_id": ours, "workspace_id": meta["workspace_id"],
                          "from": {"workspace_id": manifest.get("workspace_id"), "entry": m_entries, "hash": m_head,
                                   "key_id": exporter_key, "exported_at": manifest.get("exported_at"),
                                   "checked": checked}})
            head = (t.seq, t.prev)
            report = ws.verify()
            if not report.intact:
                raise InputError(f"the exported audit log does not verify: {report.first.line()}", file=log_where)
            got = {(r.bidder, r.criterion, r.evaluator, *([r.lot] if lotted else [])): (float(r.score), r.rationale)
                   for r in ws.scores().itertuples(index=False)}
            if got != exported_scores:
                diff = sorted(set(got.items()) ^ set(exported_scores.items()))[:1]
                raise InputError("scores.csv does not match the scores the audit log records"
                                 + (f" (first difference: {diff[0][0]})" if diff else ""), file=folder / parts[0][0])
        _record_head(meta["workspace_id"], head[0], head[1], path)
        return cls.open(path)


USERS_CSV, CREDENTIALS_JSON = "users.csv", "credentials.json"


def _read_panel_export(folder: Path, manifest: dict, manifest_path: Path) -> Optional[tuple]:
    """(users.csv rows, {user: hash}) of an export with a panel, fingerprints checked; None without one."""
    if "users" not in manifest and "credentials" not in manifest:
        return None
    try:
        users_part, creds_part = manifest["users"], manifest["credentials"]
        listed = [(users_part["path"], users_part["sha256"]), (creds_part["path"], creds_part["sha256"])]
    except (KeyError, TypeError) as exc:
        raise InputError(f"is not a workspace manifest (its panel files: {exc})", file=manifest_path) from None
    data = []
    for rel, digest in listed:
        if not isinstance(rel, str) or not _plain(rel):
            raise InputError(f"file name {_show(rel)} is not a plain name in the export folder", file=manifest_path)
        f = folder / rel
        if not f.is_file():
            raise InputError("listed in the manifest but missing", file=f)
        blob = f.read_bytes()
        if sha256_bytes(blob) != digest:
            raise InputError(f"SHA-256 {sha256_bytes(blob)[:16]}… does not match the manifest's {str(digest)[:16]}…: "
                             "the file changed after export", file=f)
        data.append(blob)
    try:
        rows = [{k: csv_unquote(v) for k, v in r.items()} for r in csv.DictReader(io.StringIO(data[0].decode("utf-8")))]
        creds = json.loads(data[1].decode("utf-8"), object_pairs_hook=no_duplicate_keys)["users"]
        if not isinstance(creds, dict) or not all(v is None or isinstance(v, str) for v in creds.values()):
            raise ValueError("users is not a mapping of names to hashes")
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, DuplicateKey, csv.Error) as exc:
        raise InputError(f"is not a users.csv / credentials.json pair made by `workspace export` ({exc})",
                         file=folder / listed[1][0]) from None
    return rows, creds


def _import_panel(con: sqlite3.Connection, state: dict, panel_files: Optional[tuple], folder: Path) -> None:
    """Rebuild the panel's tables from the audit log, the hashes from credentials.json checked against the log's
    fingerprints and users.csv against the log."""
    from .passwords import fingerprint
    if ("panel",) not in state.get("workspace", {}):
        if panel_files and (panel_files[0] or panel_files[1]):
            raise InputError("lists users but the audit log never added any", file=folder / USERS_CSV)
        return
    if panel_files is None:
        raise InputError("the audit log records a panel (user accounts) but the export has no users.csv and "
                         "credentials.json", file=folder)
    rows, creds = panel_files
    for statement in _PANEL_SCHEMA.split(";"):
        if statement.strip():
            con.execute(statement)
    users = state.get("user", {})
    listed = {r.get("user"): r for r in rows}
    for (user,), (val, seq, at) in users.items():
        stored = creds.get(user)
        if fingerprint(stored) != val.get("password"):
            raise InputError(f"the password hash of {_show(user)} does not match the fingerprint the audit log "
                             "records (entry {seq}): changed after export".replace("{seq}", str(seq)),
                             file=folder / CREDENTIALS_JSON)
        r = listed.get(user)
        if r is None or [r.get(c) for c in USER_COLUMNS[1:]] != [val.get("role"), val.get("email"), val.get("added_at")]:
            raise InputError(f"does not match the audit log for user {_show(user)}", file=folder / USERS_CSV)
        con.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?)", (user, val["role"], val["email"], stored, val["added_at"]))
    extra = set(listed) - {k[0] for k in users}
    if extra:
        raise InputError(f"lists {_show(sorted(extra)[0])}, whom the audit log does not record as a user",
                         file=folder / USERS_CSV)
    for (user,), (val, seq, at) in state.get("declaration", {}).items():
        con.execute("INSERT INTO declarations VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (user, int(bool(val["conflict"])), val["details"], val["declared_at"], val["mitigation"],
                     val["mitigated_by"], val["mitigated_at"]))
    for (user,), (val, seq, at) in state.get("signin", {}).items():
        con.execute("INSERT INTO signin_failures VALUES (?, ?, ?, ?)",
                    (user, val["failures"], val["last_at"], val["wait_until"]))


def _csv_writer(buf):
    """Rows as CSV with '\\n' line ends; a row holding a carriage return is written with every field quoted, so
    no spreadsheet can take the text after it for a new row (a lone CR is not quoted by the minimal writer)."""
    minimal = csv.writer(buf, lineterminator="\n")
    quoted = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def write(row):
        (quoted if any(isinstance(v, str) and "\r" in v for v in row) else minimal).writerow(row)
    return write


def csv_safe(value):
    """`spreadsheet.formula_safe` made exactly reversible for CSVs the tool reads back: text that a spreadsheet would
    run as a formula, after any leading quotes, gets one more leading quote (`=x` -> `'=x`, `'=x` -> `''=x`)."""
    if isinstance(value, str) and formula_like(value.lstrip("'")):
        return "'" + value
    return value


def csv_unquote(value):
    """The exact inverse of :func:`csv_safe`."""
    if isinstance(value, str) and value.startswith("'") and formula_like(value.lstrip("'")):
        return value[1:]
    return value


class _Txn:
    """Inside one write transaction: table changes plus their chained (keyed) audit entries."""

    def __init__(self, con: sqlite3.Connection, hkey: bytes, ws: "Workspace"):
        self.con, self.hkey, self.ws = con, hkey, ws
        self.appended = self.upgraded = False
        self.last_at = _now()
        wid = con.execute("SELECT value FROM meta WHERE key = 'workspace_id'").fetchone()
        self.workspace_id = wid[0] if wid else None
        last = con.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        if last is None:
            if not ws._building:
                raise WorkspaceTampered("the audit log is empty (a workspace always starts with its init entry): "
                                        "emptied behind the tool's back; nothing was saved", file=ws.path)
            self.seq, self.prev = 0, GENESIS
            return
        self.seq, self.prev = int(last[0]), last[9]
        if entry_hash(*last[:9], hkey=hkey) == last[9] or ws._building:
            return
        if entry_hash(*last[:9]) != last[9]:
            raise InputError(f"its audit chain's last entry ({last[0]}) does not match this machine's key: the "
                             "workspace was keyed on another machine, or the entry was changed; nothing was saved "
                             "(`audit` says which; to carry a workspace to this machine, `workspace export` it "
                             "there and `workspace import` the export here)", file=ws.path)
        # made before keyed chains: check it unkeyed, then key it from here on
        report = ws.verify()
        if report.problems:
            raise WorkspaceTampered(report.first.line() + "; nothing was saved", file=ws.path)
        self.workspace_id = uuid.uuid4().hex
        self.append("the tool (first save since keyed chains)", "rekey", "workspace", ["chain"], {"chain": "sha256"},
                    {"chain": KEYED, "key_id": key_id(hkey), "workspace_id": self.workspace_id,
                     "from": {"entry": self.seq, "hash": self.prev}})
        con.execute("INSERT OR REPLACE INTO meta VALUES ('workspace_id', ?)", (self.workspace_id,))
        con.execute("UPDATE meta SET value = ? WHERE key = 'format'", (FORMAT,))
        self.upgraded = True

    def append(self, actor: str, action: str, entity: str, key: list, old, new) -> int:
        self.seq += 1
        self.last_at = at = _now()
        key_s, old_s, new_s = _canon(key), _canon(old), _canon(new)
        h = entry_hash(self.seq, at, actor, action, entity, key_s, old_s, new_s, self.prev, hkey=self.hkey)
        self.appended = True
        self.con.execute(f"INSERT INTO audit ({', '.join(AUDIT_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (self.seq, at, actor, action, entity, key_s, old_s, new_s, self.prev, h))
        self.con.execute("UPDATE meta SET value=? WHERE key='head_seq'", (str(self.seq),))
        self.con.execute("UPDATE meta SET value=? WHERE key='head_hash'", (h,))
        self.prev = h
        return self.seq

    def put_score(self, bidder: str, criterion: str, evaluator: str, score: float, rationale: str, *,
                  actor: str, lot: Optional[str] = None) -> Optional[int]:
        """One score and its audit entry. `lot` None: a workspace without lots (keyed bidder, criterion,
        evaluator, as always); a lot id: a workspace with lots (the lot is the key's fourth part)."""
        where, args, key = "bidder=? AND criterion=? AND evaluator=?", [bidder, criterion, evaluator], \
            [bidder, criterion, evaluator]
        if lot is not None:
            where, args, key = where + " AND lot=?", args + [lot], key + [lot]
        old = self.con.execute(f"SELECT score, rationale FROM scores WHERE {where}", args).fetchone()
        old_state = None if old is None else {"score": float(old[0]), "rationale": old[1]}
        new_state = {"score": float(score), "rationale": rationale}
        if old_state == new_state:
            return None
        action = "consensus" if evaluator == MODERATED else "score"
        seq = self.append(actor, action, "score", key, old_state, new_state)
        if lot is None:
            self.con.execute("INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(bidder, criterion, evaluator) "
                             "DO UPDATE SET score=excluded.score, rationale=excluded.rationale, "
                             "updated_at=excluded.updated_at, seq=excluded.seq",
                             (bidder, criterion, evaluator, float(score), rationale, self.last_at, seq))
        else:
            self.con.execute("INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                             "ON CONFLICT(bidder, criterion, evaluator, lot) "
                             "DO UPDATE SET score=excluded.score, rationale=excluded.rationale, "
                             "updated_at=excluded.updated_at, seq=excluded.seq",
                             (bidder, criterion, evaluator, float(score), rationale, self.last_at, seq, lot))
        return seq

    def ensure_panel(self, actor: str) -> None:
        """Give a workspace made before the panel its tables (users, declarations, sign-in failures), audited."""
        if _has_panel(self.con):
            return
        for statement in _PANEL_SCHEMA.split(";"):
            if statement.strip():
                self.con.execute(statement)
        self.append(actor, "add_panel_tables", "workspace", ["panel"], None, {"tables": list(PANEL_TABLES)})

    def put_failures(self, user: str, failures: Optional[int], *, actor: str, action: str, keep: bool = False) -> None:
        """A name's wrong-password count: `failures` None clears it (a good sign-in, a reset); `keep` records a
        try refused while it waits without counting it."""
        self.ensure_panel(actor)
        row = self.con.execute("SELECT failures, last_at, wait_until FROM signin_failures WHERE user = ?",
                               (user,)).fetchone()
        old = None if row is None else {"failures": row[0], "last_at": row[1], "wait_until": row[2]}
        if keep:
            self.append(actor, action, "signin", [user], old, old)
            return
        if failures is None:
            if row is None and action != "sign_in":
                return
            self.con.execute("DELETE FROM signin_failures WHERE user = ?", (user,))
            self.append(actor, action, "signin", [user], old, None)
            return
        now = _instant()
        wait = wait_after(failures)
        new = {"failures": int(failures), "last_at": now.isoformat(timespec="microseconds"),
               "wait_until": (now + timedelta(seconds=wait)).isoformat(timespec="microseconds") if wait else None}
        self.con.execute("INSERT OR REPLACE INTO signin_failures VALUES (?, ?, ?, ?)",
                         (user, new["failures"], new["last_at"], new["wait_until"]))
        self.append(actor, action, "signin", [user], old, new)

    def put_bidder(self, bidder: str, file: Optional[str], lot: Optional[str], *, actor: str) -> None:
        """One bid and its audit entry (`lot` None: a workspace without lots, keyed by bidder alone)."""
        if lot is None:
            self.con.execute("INSERT INTO bidders VALUES (?, ?)", (bidder, file))
            self.append(actor, "add_bidder", "bidder", [bidder], None, {"file": file})
        else:
            self.con.execute("INSERT INTO bidders VALUES (?, ?, ?)", (bidder, file, lot))
            self.append(actor, "add_bidder", "bidder", [bidder, lot], None, {"file": file})


def _replay(log: list) -> dict:
    """The state the log describes: for each entity and key, its last `new` value (None = deleted)."""
    state: dict = {}
    for seq, at, actor, action, entity, key, old, new, prev, h in log:
        try:
            k = tuple(json.loads(key))
            hash(k)
            v = None if new is None else json.loads(new)
        except (TypeError, ValueError):
            continue  # a malformed entry fails its hash check; verify reports it there
        if not isinstance(entity, str):
            continue
        bucket = state.setdefault(entity, {})
        if v is None:
            bucket.pop(k, None)
        else:
            bucket[k] = (v, int(seq), at)
    return state


def _inside(folder: Path, rel, where) -> Path:
    """`folder / rel` for a stored name, only once the name is plain and the result is inside `folder`."""
    problem = stored_name_problem(rel)
    if problem:
        raise WorkspaceTampered(problem, file=where)
    target = folder / rel
    if not target.resolve().is_relative_to(folder.resolve()):
        raise WorkspaceTampered(f"stored file name {_show(rel)} is not a plain name: it leads outside the tool's "
                                "folder; refused as tampered", file=where)
    return target


def _json_obj(text) -> dict:
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _compare_head(label: str, entry: int, digest: str, log: list, when: str) -> Optional[AuditProblem]:
    """A rollback (the file ends before the recorded head) or a rewrite (the recorded entry is not the file's)."""
    last = log[-1][0] if log else 0
    if entry > last:
        return AuditProblem(entry, f"rolled back: {label} has entry {entry} (hash {digest[:12]}…){when} as saved, but "
                                   f"the file ends at entry {last}: it is an earlier copy, or later entries were "
                                   "removed")
    if entry >= 1:
        row = log[entry - 1]
        if row[9] != digest:
            return AuditProblem(entry, f"{label} has entry {entry} with hash {digest[:12]}…{when}, but the file's "
                                       f"entry {entry} hashes to {str(row[9])[:12]}…: the log was rewritten (or this is "
                                       "a copy that went its own way)")
    return None


def _verify(log: list, meta: dict, raw: dict, hkey: Optional[bytes], foreign: list, removed: list,
            derived: Optional[dict], derived_problem: Optional[str]) -> AuditReport:
    problems: list[AuditProblem] = [AuditProblem(None, f) for f in foreign]
    prev, expected_seq = GENESIS, 1
    mode, keyed_from, unchecked, wid = None, None, None, None
    kid = key_id(hkey)
    if not log:
        problems.append(AuditProblem(None, "the audit log is empty: every workspace starts with its init entry, so the "
                                           "log (and what it explains) was emptied behind the tool's back"))
        return AuditReport(0, GENESIS, problems, chain="none")
    for row in log:
        seq, at, actor, action, entity, key, old, new, prev_hash, h = row
        info = dict(at=str(at), actor=str(actor), action=str(action), subject=_subject_text(entity, key))
        if seq != expected_seq:
            problems.append(AuditProblem(seq, f"entries {expected_seq}-{seq - 1} are missing: deleted from the log"
                                         if seq > expected_seq else f"entry number out of order (expected {expected_seq})",
                                         **info))
            break
        if seq == 1 and action != "init":
            problems.append(AuditProblem(seq, "the log does not start with the workspace's init entry: entries were "
                                              "removed or replaced", **info))
            break
        if prev_hash != prev:
            problems.append(AuditProblem(seq, "does not chain to the entry before it (its previous-hash is "
                                         f"{str(prev_hash)[:12]}…, the entry before hashes to {prev[:12]}…): an entry "
                                         "was removed or replaced", **info))
            break
        declared = _json_obj(new) if action in ("init", "rekey", "import") else {}
        plain_ok = entry_hash(*row[:9]) == h
        keyed_ok = hkey is not None and entry_hash(*row[:9], hkey=hkey) == h
        foreign_key = declared.get("chain") == KEYED and declared.get("key_id") != kid and not plain_ok
        broken = None
        if mode is None:
            if keyed_ok:
                mode, keyed_from = "keyed", 1
            elif plain_ok and declared.get("chain") != KEYED:
                mode = "unkeyed"
            elif foreign_key:
                mode = "foreign"
            elif plain_ok:
                broken = ("declares a keyed chain but is hashed without the key: the chain was recomputed by "
                          "someone without the key")
            else:
                broken = "its contents do not match its hash: the entry was edited after it was written"
        elif mode == "keyed":
            if not keyed_ok:
                broken = ("its contents do not match its keyed hash: the entry was edited after it was written "
                          "(or the chain recomputed without the key)")
        elif mode == "unkeyed":
            if action == "rekey" and keyed_ok:
                mode, keyed_from = "keyed", seq
            elif action == "rekey" and foreign_key:
                mode = "foreign"
            elif not plain_ok or action == "rekey":
                broken = "its contents do not match its hash: the entry was edited after it was written"
        if broken:
            problems.append(AuditProblem(seq, broken, **info))
            break
        if mode == "foreign" and unchecked is None:
            unchecked = (f"its audit chain is keyed (from entry {seq}) with key {_show(declared.get('key_id'))}, which "
                         f"this machine does not hold (this machine's key is {kid or 'not made yet'}): check it where "
                         "it was made, or `workspace export` it there and `workspace import` the export here")
        if isinstance(declared.get("workspace_id"), str):
            wid = declared["workspace_id"]
        prev, expected_seq = h, expected_seq + 1
    chain = {"keyed": "keyed" if keyed_from == 1 else f"keyed from entry {keyed_from}", "unkeyed": "unkeyed",
             "foreign": "not checked"}.get(mode or "", "broken")
    if problems and (len(problems) > len(foreign) or not log):
        return AuditReport(len(log), prev, problems, chain=chain, unchecked=unchecked, workspace_id=wid)
    last_seq = log[-1][0]
    if str(last_seq) != str(meta.get("head_seq")) or prev != meta.get("head_hash"):
        problems.append(AuditProblem(last_seq + 1, f"the log ends at entry {last_seq} but the workspace recorded entry "
                                                   f"{_show(meta.get('head_seq'))} as the last: later entries were deleted"))
        return AuditReport(len(log), prev, problems, chain=chain, unchecked=unchecked, workspace_id=wid)

    state = _replay(log)
    found: list[AuditProblem] = []
    by_seq = {row[0]: row for row in log}

    def entry_info(seq):
        row = by_seq.get(seq)
        if not row:
            return {}
        return dict(at=str(row[1]), actor=str(row[2]), action=str(row[3]), subject=_subject_text(row[4], row[5]))

    def num(v):
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    tables = {  # a tender with lots: score and bidder rows carry the lot last, the last part of their key
        "score": {(r[0], r[1], r[2], *r[7:]): ({"score": num(r[3]), "rationale": r[4]}, (r[6], r[5]))
                  for r in raw["score"]},
        "evaluator": {(r[0],): ({"complete": bool(r[1]) if r[1] in (0, 1) else r[1]}, (r[3], r[2]))
                      for r in raw["evaluator"]},
        "bidder": {(r[0], *r[2:]): ({"file": r[1]}, None) for r in raw["bidder"]},
        "file": {(r[0],): ({"role": r[1], "sha256": r[2], "size": r[3]}, None) for r in raw["file"]},
        # the panel: what a users row holds is checked against the log's fingerprint of its hash (never the hash)
        "user": {(r[0],): (_user_value(r[1], r[2], r[3], r[4]), None) for r in raw.get("user", [])},
        "declaration": {(r[0],): (_declaration_value(*r[1:]), None) for r in raw.get("declaration", [])},
        "signin": {(r[0],): ({"failures": r[1], "last_at": r[2], "wait_until": r[3]}, None)
                   for r in raw.get("signin", [])},
    }
    names = {"score": "scores", "evaluator": "evaluators", "bidder": "bidders", "file": "files", "user": "users",
             "declaration": "declarations", "signin": "signin_failures"}
    if ("panel",) in state.get("workspace", {}) and not raw.get("panel"):
        seq = state["workspace"][("panel",)][1]
        found.append(AuditProblem(seq, "this entry added the panel's tables (users, declarations, sign-in failures), "
                                       "which are gone: removed behind the tool's back", **entry_info(seq)))
    for entity, rows in tables.items():
        expected = state.get(entity, {})
        for key, (value, stamp) in rows.items():
            want = expected.get(key)
            label = f"{names[entity]} row {' / '.join(map(str, key))}"
            if want is None:
                found.append(AuditProblem(None, f"{label} is not in the audit log: added behind the tool's back",
                                          subject=_subject_text(entity, list(key))))
            elif want[0] != value:
                found.append(AuditProblem(want[1], f"{label} holds {_show(_canon(value), 120)} but this entry (the last "
                                          f"change the log records for it) says {_show(_canon(want[0]), 120)}: the "
                                          "table was edited behind the tool's back", **entry_info(want[1])))
            elif stamp is not None and stamp != (want[1], want[2]):
                found.append(AuditProblem(want[1], f"{label} says it was saved by entry {_show(stamp[0])} at "
                                          f"{_show(stamp[1])}, but this entry saved it at {want[2]}: the table was "
                                          "edited behind the tool's back", **entry_info(want[1])))
        for key, (value, seq, at) in expected.items():
            if key not in rows:
                found.append(AuditProblem(seq, f"{names[entity]} row {' / '.join(map(str, key))} recorded by this "
                                          "entry is missing from the table: deleted behind the tool's back",
                                          **entry_info(seq)))
    bid_files = set()
    bad_names: list[AuditProblem] = []  # first: a name that could write outside the tool's folder
    for rel, role, digest, size, content in raw["file"]:
        seq = state.get("file", {}).get((rel,), (None, None))[1]
        problem = stored_name_problem(rel, role if role in ROLE_DIRS else None)
        if problem:
            bad_names.append(AuditProblem(None, problem))
        elif not isinstance(content, bytes) or sha256_bytes(content) != digest or len(content) != size:
            found.append(AuditProblem(seq, f"the stored file {rel} no longer matches its SHA-256 fingerprint: "
                                      "its content was changed", **entry_info(seq)))
        if role == "bid":
            bid_files.add(rel)
    for bidder, f, *_ in raw["bidder"]:
        if f is not None and f not in bid_files:
            problem = stored_name_problem(f, "bid")
            (bad_names if problem else found).append(AuditProblem(None, f"bidders row {_show(bidder)}: " + (
                problem or f"names the bid file {_show(f)}, which the workspace does not hold")))
    found.sort(key=lambda p: (p.seq is None, p.seq or 0))

    # the settings and every score against the fingerprinted rubric (what decides a result is never taken on trust)
    settings: list[AuditProblem] = []
    if meta.get("format") not in FORMATS:
        settings.append(AuditProblem(None, f"workspace setting 'format' holds {_show(meta.get('format'))}"))
    if wid is not None and meta.get("workspace_id") != wid:
        settings.append(AuditProblem(None, f"workspace setting 'workspace_id' holds {_show(meta.get('workspace_id'))} "
                                           f"but the audit log names {wid}: changed behind the tool's back"))
    if derived_problem:
        settings.append(AuditProblem(None, derived_problem))
    elif derived is not None:
        for name in ("tender_id", "tender_title", "rubric_file", "proxies_file", "scale", "criteria"):
            have = meta.get(name)
            if name in ("scale", "criteria"):
                try:
                    have = json.loads(have) if isinstance(have, str) else have
                except ValueError:
                    pass
            if name == "proxies_file":
                have = have or None
            if have != derived[name]:
                settings.append(AuditProblem(None, f"workspace setting {_show(name)} holds {_show(_canon(have), 90)} "
                                                   f"but the stored rubric says {_show(_canon(derived[name]), 90)}: "
                                                   "the setting was edited behind the tool's back"))
        if (meta.get("format") == LOTS_FORMAT) != (derived.get("format") == LOTS_FORMAT):
            settings.append(AuditProblem(None, f"workspace setting 'format' holds {_show(meta.get('format'))} but the "
                                               "stored rubric " + ("has" if derived.get("format") == LOTS_FORMAT else
                                                                   "has no") + " lots: changed behind the tool's back"))
        scale = [float(x) for x in derived["scale"]]
        scales = {c["id"]: [0.0, 1.0] if c.get("kind") == "pass_fail" else [float(x) for x in c.get("scale") or scale]
                  for c in derived["criteria"]}
        ids = set(scales)
        bidders = {(r[0], *r[2:]) for r in raw["bidder"]}  # (bidder,) or, with lots, (bidder, lot)
        for r in raw["score"]:
            b, c, e, score = r[:4]
            key = [b, c, e, *r[7:]]
            label = f"scores row {' / '.join(map(str, key))}"
            own = scales.get(c, scale)
            if not isinstance(score, (int, float)) or isinstance(score, bool) or not math.isfinite(score):
                settings.append(AuditProblem(None, f"{label} holds {_show(score)}, not a number on the scale",
                                             subject=_subject_text("score", key)))
            elif float(score) not in own:
                whose = "rubric's" if own == scale else "criterion's"
                settings.append(AuditProblem(None, f"{label} holds {float(score):g}, which is not on the {whose} scale "
                                                   f"({', '.join(f'{x:g}' for x in own)})",
                                             subject=_subject_text("score", key)))
            elif c not in ids or (b, *r[7:]) not in bidders:
                settings.append(AuditProblem(None, f"{label} names a {'criterion' if c not in ids else 'bidder'} the "
                                                   "rubric and bids do not have", subject=_subject_text("score", key)))
    guards = [AuditProblem(None, r + (": changed behind the tool's back" if any(f"'{t}'" in r for t in PANEL_TABLES)
                                      else " (the log's append-only guard): changed behind the tool's back"))
              for r in removed]
    problems += bad_names + found + settings + guards
    return AuditReport(len(log), prev, problems, chain=chain, unchecked=unchecked, workspace_id=wid)


def _named_plainly(exc: EvaluatorError, folder: Path) -> EvaluatorError:
    """A problem found in a temporary copy, naming the file as the user gave it (not the temporary path)."""
    for e in getattr(exc, "errors", None) or [exc]:
        if e.file and str(e.file).startswith(str(folder)):
            e.file = Path(e.file).name
    if isinstance(exc, InputErrors):
        return InputErrors(exc.errors)
    exc.args = (exc.line(),)
    return exc


def _user_value(role, email, stored_hash, added_at) -> dict:
    """A users row as the audit log records it: the hash only as its fingerprint."""
    from .passwords import fingerprint
    return {"role": role, "email": email, "password": fingerprint(stored_hash) if isinstance(stored_hash, str)
            else stored_hash, "added_at": added_at}


def _declaration_value(conflict, details, declared_at, mitigation, mitigated_by, mitigated_at) -> dict:
    return {"conflict": bool(conflict) if conflict in (0, 1) else conflict, "details": details,
            "declared_at": declared_at, "mitigation": mitigation, "mitigated_by": mitigated_by,
            "mitigated_at": mitigated_at}


def _subject_text(entity, key) -> str:
    try:
        k = json.loads(key) if isinstance(key, str) else key
    except ValueError:
        k = key
    if isinstance(k, (list, tuple)):
        return f"{entity} " + " / ".join(str(x) for x in k)
    return f"{entity} {k}"


def _read_audit_csv(data: bytes, where: Path) -> list:
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"is not an audit log export ({exc})", file=where) from None
    if not rows or rows[0] != AUDIT_COLUMNS:
        raise InputError("is not an audit log export (header " + ",".join(AUDIT_COLUMNS) + ")", file=where)
    out = []
    for n, r in enumerate(rows[1:], start=2):
        if len(r) != len(AUDIT_COLUMNS):
            raise InputError(f"has {len(r)} cells, expected {len(AUDIT_COLUMNS)}", file=where, where=f"row {n}")
        try:
            seq = int(r[0])
        except ValueError:
            raise InputError("not an entry number", file=where, where=f"row {n}", field="seq", value=r[0]) from None
        r = [csv_unquote(x) for x in r]
        out.append((seq, r[1], r[2], r[3], r[4], r[5], r[6] or None, r[7] or None, r[8], r[9]))
    return out


def _read_scores_csv(data: bytes, where: Path) -> dict:
    try:
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        return {(csv_unquote(r["bidder"]), csv_unquote(r["criterion"]), csv_unquote(r["evaluator"]),
                 *([csv_unquote(r[LOT])] if LOT in r else [])): (float(r["score"]), csv_unquote(r["rationale"]))
                for r in rows}
    except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"is not a scores.csv made by `workspace export` ({exc})", file=where) from None



@contextlib.contextmanager
def _building(cls, path: Path, what: str, lotted: bool = False):
    """A new, empty workspace under a private name beside `path`; only when the block finishes without error
    is the WAL folded into the file (so it stands alone) and the file given its real name. On any error
    nothing is left behind, so a half-made workspace can never be opened."""
    tmp = _private_name(path, what)
    leftovers = (tmp, Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm"))
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    ws = cls(tmp)
    ws._building = True
    try:
        con = ws._connect()
        try:
            con.executescript(_SCHEMA_LOTS if lotted else _SCHEMA)
        finally:
            con.close()
        yield ws
        con = ws._connect()
        try:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            con.close()
        _publish(tmp, path)
    finally:
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)

def _private_name(path: Path, what: str) -> Path:
    """A file name no other process is using, beside the final one (same folder, so the rename is atomic)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.{what}")


def _publish(tmp: Path, path: Path) -> None:
    """Give the finished file its real name, never replacing a workspace someone else made meanwhile."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise InputError("already exists (made by another process just now): a workspace is never overwritten",
                         file=path) from None
    except OSError:  # a file system without hard links: a checked rename
        if path.exists():
            raise InputError("already exists: a workspace is never overwritten", file=path) from None
        os.replace(tmp, path)


def default_workspace_path(tender_id: str) -> Path:
    """Where the app keeps a tender's workspace when nobody chose one: $SOCIAL_VALUE_HOME (or
    ~/.social_value)/<tender>.sqlite, never inside the repository."""
    home = Path(os.environ.get("SOCIAL_VALUE_HOME") or Path.home() / ".social_value")
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in tender_id)
    return home / f"{safe}.sqlite"
