"""The evaluation workspace: one SQLite file that holds an evaluation and loses nothing.

A workspace keeps the tender's files (rubric, proxy table, bids) with their SHA-256 fingerprints, every
evaluator's scores and rationales, the MODERATED consensus scores, which evaluators have marked their
scoring complete, and an append-only audit log: who, when, what changed, the old and the new value.
Each audit entry carries the hash of the one before, so an edit or a deletion made behind the tool's
back (with the sqlite3 shell, say) breaks the chain or leaves a table that the log does not explain,
and `verify` names the first entry where that happens.

Durability: WAL journal, `synchronous=FULL` (a commit is on disk before it returns), a busy timeout so
two evaluators saving at once wait for each other, and every change written in one `BEGIN IMMEDIATE`
transaction together with its audit entry. A score is reported saved only after that commit, so a
process killed at any moment loses nothing it reported and leaves a file that opens and verifies.
"""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import sqlite3
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Optional

import pandas as pd

from .exceptions import EvaluatorError, InputError, InputErrors
from .scoring import MODERATED, SCORE_COLUMNS
from .util import suggest

FORMAT = "1"
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


class WorkspaceBusy(EvaluatorError):
    """Another process held the workspace for longer than the busy timeout: nothing was saved; try again."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _canon(obj) -> Optional[str]:
    """The one JSON text an audit value is stored and hashed as."""
    return None if obj is None else json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_hash(seq: int, at: str, actor: str, action: str, entity: str, key: str, old: Optional[str],
               new: Optional[str], prev_hash: str) -> str:
    """SHA-256 over an entry's stored text and the previous entry's hash: change any of them and this
    hash (and every later `prev_hash`) no longer matches."""
    payload = json.dumps([int(seq), at, actor, action, entity, key, old, new, prev_hash], ensure_ascii=False,
                         separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Optional[AuditProblem]:
        return self.problems[0] if self.problems else None


def _subject(entity: str, key: list) -> str:
    return f"{entity} " + " / ".join(str(k) for k in key)


class Workspace:
    """An evaluation held in one SQLite file. Open with :meth:`open`, make one with :meth:`create` or
    :meth:`import_export`. Every method opens its own short connection, so one object can serve many
    threads (the app) and several processes can share the file."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._meta: Optional[dict] = None

    # ------------------------------------------------------------------------------ connections
    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return con

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        try:
            con = self._connect()
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
        try:
            con = self._connect()
        except sqlite3.DatabaseError as exc:
            raise self._db_error(exc) from None
        try:
            try:
                con.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise WorkspaceBusy("another evaluator is saving to this workspace and it stayed busy for "
                                        f"{BUSY_TIMEOUT_MS // 1000} s; nothing was saved: try again",
                                        file=self.path) from None
                raise
            txn = _Txn(con)
            try:
                yield txn
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            raise self._db_error(exc) from None
        finally:
            con.close()

    def _db_error(self, exc: sqlite3.DatabaseError) -> EvaluatorError:
        if "locked" in str(exc) or "busy" in str(exc):
            return WorkspaceBusy("the workspace is busy (another evaluator is saving); nothing was saved: try "
                                 "again", file=self.path)
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
        ws.meta  # refuses anything that is not a workspace
        return ws

    @property
    def meta(self) -> dict:
        if self._meta is None:
            try:
                with self._read() as con:
                    rows = dict(con.execute("SELECT key, value FROM meta").fetchall())
            except InputError:
                raise InputError("is not a workspace (not an SQLite database made by `workspace init`)",
                                 file=self.path) from None
            if rows.get("format") != FORMAT:
                raise InputError(f"is not a workspace this version can read (format {rows.get('format')!r})",
                                 file=self.path)
            self._meta = {"tender_id": rows["tender_id"], "tender_title": rows["tender_title"],
                          "rubric_file": rows["rubric_file"], "proxies_file": rows.get("proxies_file") or None,
                          "scale": json.loads(rows["scale"]), "criteria": json.loads(rows["criteria"]),
                          "created_at": rows["created_at"]}
        return self._meta

    @property
    def tender_id(self) -> str:
        return self.meta["tender_id"]

    @property
    def scale(self) -> list[float]:
        return [float(s) for s in self.meta["scale"]]

    @property
    def criteria(self) -> list[dict]:
        """The rubric's scale criteria (the ones evaluators score): id, name, weight, threshold, social_value."""
        return self.meta["criteria"]

    def bidders(self) -> list[str]:
        with self._read() as con:
            return [r[0] for r in con.execute("SELECT bidder FROM bidders ORDER BY rowid")]

    # ------------------------------------------------------------------------------ creating
    @classmethod
    def create(cls, path: Path | str, rubric_path: Path | str, bids_dir: Path | str, *,
               proxies_path: Path | str | None = None, scores_path: Path | str | None = None,
               actor: str = "workspace init") -> "Workspace":
        """A new workspace from a rubric and a bids folder (every bid must load cleanly), optionally with
        the evaluators' scores so far. Refuses to overwrite an existing file."""
        from .bids import load_bids
        from .rubric import load_rubric
        from .scoring import load_scores

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
        scores = load_scores(scores_path, rubric, bidset.bidders) if scores_path else None

        files = [(f"rubric/{Path(rubric_path).name}", "rubric", Path(rubric_path))]
        if rubric.proxies_path is not None:
            files.append((f"proxies/{rubric.proxies_path.name}", "proxies", rubric.proxies_path))
        bids_dir = Path(bids_dir)
        for p in sorted(bids_dir.iterdir()):
            if p.is_file() and p.name not in bidset.ignored_files and not p.name.startswith((".", "~$")):
                files.append((f"bids/{p.name}", "bid", p))
        bid_files = bidset.bids["_file"].tolist() if "_file" in bidset.bids else [None] * len(bidset.bids)
        meta = cls._meta_rows(rubric, files[0][0], files[1][0] if len(files) > 1 and files[1][1] == "proxies" else None)
        with _building(cls, path, "creating") as ws:
            with ws._write() as t:
                t.con.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
                t.append(actor, "init", "tender", [rubric.tender.id], None,
                         {"tender": rubric.tender.id, "title": rubric.tender.title, "format": FORMAT})
                for rel, role, src in files:
                    data = src.read_bytes()
                    digest = sha256_bytes(data)
                    t.con.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?)", (rel, role, digest, len(data), data))
                    t.append(actor, "add_file", "file", [rel], None, {"role": role, "sha256": digest, "size": len(data)})
                for bidder, f in zip(bidset.bidders, bid_files):
                    rel = f"bids/{Path(f).name}" if isinstance(f, str) and f else None
                    t.con.execute("INSERT INTO bidders VALUES (?, ?)", (bidder, rel))
                    t.append(actor, "add_bidder", "bidder", [bidder], None, {"file": rel})
                if scores is not None:
                    for r in scores.itertuples(index=False):
                        t.put_score(r.bidder, r.criterion, r.evaluator, float(r.score), r.rationale,
                                    actor=f"{actor} (from {Path(scores_path).name})")
        return cls.open(path)

    @staticmethod
    def _meta_rows(rubric, rubric_file: str, proxies_file: Optional[str]) -> dict:
        criteria = [{"id": c.id, "name": c.name or c.id, "weight": c.weight, "threshold": c.threshold,
                     "social_value": bool(c.social_value)} for c in rubric.scale_criteria]
        return {"format": FORMAT, "tender_id": rubric.tender.id, "tender_title": rubric.tender.title,
                "rubric_file": rubric_file, "proxies_file": proxies_file or "",
                "scale": json.dumps([float(s) for s in rubric.spec.scale]), "criteria": json.dumps(criteria),
                "created_at": _now(), "head_seq": "0", "head_hash": GENESIS}

    # ------------------------------------------------------------------------------ scores
    def check_score(self, bidder: str, criterion: str, evaluator: str, score, rationale: str) -> float:
        """Refuse what the rubric does not allow, naming the field: an unknown bidder or criterion, a score
        off the scale, an empty rationale (reg 31 needs an explanation for every score)."""
        problems: list[EvaluatorError] = []
        bidders = self.bidders()
        if not str(bidder or "").strip():
            problems.append(InputError("required but empty", file=self.path, field="bidder", value=bidder))
        elif bidder not in bidders:
            problems.append(InputError("is not a bidder in this workspace" + suggest(bidder, bidders),
                                       file=self.path, field="bidder", value=bidder))
        ids = [c["id"] for c in self.criteria]
        if criterion not in ids:
            problems.append(InputError(f"is not a scale criterion of this rubric ({', '.join(ids) or 'none'})"
                                       + suggest(criterion, ids), file=self.path, field="criterion", value=criterion))
        if not str(evaluator or "").strip():
            problems.append(InputError("required but empty", file=self.path, field="evaluator", value=evaluator))
        value = float("nan")
        try:
            value = float(score)
        except (TypeError, ValueError):
            problems.append(InputError("not a number", file=self.path, field="score", value=score))
        else:
            if value not in self.scale:
                problems.append(InputError("is not on the rubric's scale (" + ", ".join(f"{s:g}" for s in self.scale)
                                           + ")", file=self.path, field="score", value=score))
        if not str(rationale or "").strip():
            problems.append(InputError("is empty: every score needs a rationale (reg 31 asks for an explanation)",
                                       file=self.path, field="rationale", value=rationale))
        if problems:
            raise problems[0] if len(problems) == 1 else InputErrors(problems)
        return value

    def set_score(self, bidder: str, criterion: str, evaluator: str, score, rationale: str, *,
                  actor: Optional[str] = None) -> dict:
        """Save one score (evaluator MODERATED for the panel's consensus) and its audit entry in one
        transaction. Returns the saved record once it is committed (durable on disk)."""
        value = self.check_score(bidder, criterion, evaluator, score, rationale)
        rationale = str(rationale).strip()
        evaluator = str(evaluator).strip()
        with self._write() as t:
            seq = t.put_score(bidder, criterion, evaluator, value, rationale, actor=actor or evaluator)
        return {"bidder": bidder, "criterion": criterion, "evaluator": evaluator, "score": value,
                "rationale": rationale, "seq": seq, "changed": seq is not None}

    def delete_score(self, bidder: str, criterion: str, evaluator: str, *, actor: Optional[str] = None) -> bool:
        with self._write() as t:
            old = t.con.execute("SELECT score, rationale FROM scores WHERE bidder=? AND criterion=? AND evaluator=?",
                                (bidder, criterion, evaluator)).fetchone()
            if old is None:
                return False
            t.con.execute("DELETE FROM scores WHERE bidder=? AND criterion=? AND evaluator=?",
                          (bidder, criterion, evaluator))
            t.append(actor or evaluator, "delete_score", "score", [bidder, criterion, evaluator],
                     {"score": float(old[0]), "rationale": old[1]}, None)
        return True

    def scores(self, evaluator: Optional[str] = None) -> pd.DataFrame:
        """Scores in the DESIGN.md 4.4 shape (plus when each was last saved), as `evaluate` takes them."""
        sql = "SELECT bidder, criterion, evaluator, score, rationale, updated_at, seq FROM scores"
        args: tuple = ()
        if evaluator is not None:
            sql += " WHERE evaluator = ?"
            args = (evaluator,)
        with self._read() as con:
            rows = con.execute(sql + " ORDER BY seq", args).fetchall()
        df = pd.DataFrame(rows, columns=SCORE_COLUMNS + ["updated_at", "seq"], dtype=object)
        df["score"] = df["score"].astype(float)
        df["seq"] = df["seq"].astype(int)
        df["_row"] = df["seq"]
        return df

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

    def set_complete(self, evaluator: str, complete: bool = True, *, actor: Optional[str] = None) -> None:
        """An evaluator marks their scoring complete (or reopens it): until then they see only their own scores."""
        evaluator = str(evaluator or "").strip()
        if not evaluator or evaluator == MODERATED:
            raise InputError("name an evaluator of the panel", file=self.path, field="evaluator", value=evaluator)
        with self._write() as t:
            old = t.con.execute("SELECT complete FROM evaluators WHERE evaluator=?", (evaluator,)).fetchone()
            old_state = None if old is None else {"complete": bool(old[0])}
            if old_state == {"complete": bool(complete)}:
                return
            seq = t.append(actor or evaluator, "complete" if complete else "reopen", "evaluator", [evaluator],
                           old_state, {"complete": bool(complete)})
            t.con.execute("INSERT INTO evaluators VALUES (?, ?, ?, ?) ON CONFLICT(evaluator) DO UPDATE SET "
                          "complete=excluded.complete, updated_at=excluded.updated_at, seq=excluded.seq",
                          (evaluator, int(bool(complete)), t.last_at, seq))

    # ------------------------------------------------------------------------------ tender files
    def files(self) -> pd.DataFrame:
        with self._read() as con:
            rows = con.execute("SELECT path, role, sha256, size FROM files ORDER BY rowid").fetchall()
        return pd.DataFrame(rows, columns=["path", "role", "sha256", "size"])

    def materialise(self, folder: Path | str) -> tuple[Path, Optional[Path], Path]:
        """Write the tender's files out (rubric/, proxies/, bids/) and return (rubric, proxies, bids folder)."""
        folder = Path(folder)
        with self._read() as con:
            rows = con.execute("SELECT path, content FROM files").fetchall()
        for rel, content in rows:
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        (folder / "bids").mkdir(parents=True, exist_ok=True)
        m = self.meta
        return (folder / m["rubric_file"], folder / m["proxies_file"] if m["proxies_file"] else None,
                folder / "bids")

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
        """The evaluation with the workspace's files and scores (the engine's `evaluate`)."""
        from .evaluation import evaluate
        rubric, bidset = self.load_tender()
        scores = self.scores()
        return evaluate(rubric, bidset, scores[SCORE_COLUMNS + ["_row"]])

    # ------------------------------------------------------------------------------ audit
    def audit_log(self) -> pd.DataFrame:
        with self._read() as con:
            rows = con.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit ORDER BY seq").fetchall()
        df = pd.DataFrame(rows, columns=AUDIT_COLUMNS, dtype=object)  # None stays None (never NaN or "nan")
        df["seq"] = df["seq"].astype(int)
        return df

    def verify(self) -> AuditReport:
        """Check the chain entry by entry, then that the tables hold exactly what the log says they should
        (an edit to a score row behind the tool's back leaves the log intact but the table unexplained)."""
        with self._read() as con:
            log = con.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit ORDER BY seq").fetchall()
            head = dict(con.execute("SELECT key, value FROM meta WHERE key IN ('head_seq', 'head_hash')").fetchall())
            tables = {
                "score": {(r[0], r[1], r[2]): ({"score": float(r[3]), "rationale": r[4]}, r[5]) for r in con.execute(
                    "SELECT bidder, criterion, evaluator, score, rationale, seq FROM scores")},
                "evaluator": {(r[0],): ({"complete": bool(r[1])}, r[2]) for r in con.execute(
                    "SELECT evaluator, complete, seq FROM evaluators")},
                "bidder": {(r[0],): ({"file": r[1]}, None) for r in con.execute("SELECT bidder, file FROM bidders")},
                "file": {(r[0],): ({"role": r[1], "sha256": r[2], "size": int(r[3])}, None) for r in con.execute(
                    "SELECT path, role, sha256, size FROM files")},
            }
            content_ok = {r[0]: sha256_bytes(r[1]) == r[2] and len(r[1]) == r[3] for r in con.execute(
                "SELECT path, content, sha256, size FROM files")}
        return _verify(log, head, tables, content_ok)

    # ------------------------------------------------------------------------------ export / import
    def export(self, out: Path | str) -> dict:
        """The tender files, scores.csv (DESIGN.md 4.4), the audit log as CSV and a manifest of SHA-256
        fingerprints, in a folder that `import_export` turns back into the same workspace."""
        out = Path(out)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise InputError("already exists and is not an empty folder: an export never overwrites files",
                             file=out, field="--out")
        report = self.verify()
        out.mkdir(parents=True, exist_ok=True)
        files = []
        with self._read() as con:
            for rel, role, digest, size, content in con.execute(
                    "SELECT path, role, sha256, size, content FROM files ORDER BY rowid"):
                target = out / "files" / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
                files.append({"path": f"files/{rel}", "role": role, "sha256": sha256_bytes(content), "size": len(content)})
        scores = self.scores().sort_values(["bidder", "criterion", "evaluator"], kind="stable")
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(SCORE_COLUMNS)
        for r in scores.itertuples(index=False):
            w.writerow([r.bidder, r.criterion, r.evaluator, f"{r.score:g}", r.rationale])
        scores_bytes = buf.getvalue().encode("utf-8")
        (out / "scores.csv").write_bytes(scores_bytes)
        log = self.audit_log()
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(AUDIT_COLUMNS)
        for row in log.itertuples(index=False):
            w.writerow(["" if v is None else v for v in row])
        log_bytes = buf.getvalue().encode("utf-8")
        (out / "audit_log.csv").write_bytes(log_bytes)
        manifest = {
            "workspace_format": FORMAT, "tender": self.tender_id, "title": self.meta["tender_title"],
            "exported_at": _now(), "files": files,
            "scores": {"path": "scores.csv", "sha256": sha256_bytes(scores_bytes), "rows": len(scores)},
            "audit_log": {"path": "audit_log.csv", "sha256": sha256_bytes(log_bytes), "entries": report.entries,
                          "head_hash": report.head_hash, "intact": report.intact,
                          "first_problem": report.first.line() if report.first else None},
            "evaluators": self.evaluators()[["evaluator", "complete"]].to_dict(orient="records"),
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return manifest

    @classmethod
    def import_export(cls, path: Path | str, folder: Path | str) -> "Workspace":
        """A new workspace from an export folder: every fingerprint checked against the manifest, the audit
        log taken verbatim and verified, the tables rebuilt from it and compared with scores.csv."""
        from .rubric import load_rubric

        path, folder = Path(path), Path(folder)
        if path.exists() and path.stat().st_size > 0:
            raise InputError("already exists: import makes a new workspace file; choose another name",
                             file=path, field="--db")
        manifest_path = folder / "manifest.json"
        if not manifest_path.is_file():
            raise InputError("no manifest.json here: not a folder made by `workspace export`", file=folder)
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            listed = [(f["path"], f["role"], f["sha256"]) for f in manifest["files"]]
            parts = [(manifest["scores"]["path"], manifest["scores"]["sha256"]),
                     (manifest["audit_log"]["path"], manifest["audit_log"]["sha256"])]
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"is not a workspace manifest ({exc})", file=manifest_path) from None
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
                                           f"{digest[:16]}…: the file changed after export", file=f))
        if problems:
            raise InputErrors(problems)
        log = _read_audit_csv(blobs[parts[1][0]], folder / parts[1][0])
        exported_scores = _read_scores_csv(blobs[parts[0][0]])

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
        if log:
            meta["head_seq"], meta["head_hash"] = str(log[-1][0]), log[-1][9]
        state = _replay(log)

        with _building(cls, path, "importing") as ws:
            with ws._write() as t:
                t.con.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
                t.con.executemany(f"INSERT INTO audit ({', '.join(AUDIT_COLUMNS)}) VALUES ({', '.join('?' * 10)})", log)
                for rel, role, digest in listed:
                    data = blobs[rel]
                    t.con.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?)", (strip(rel), role, digest, len(data), data))
                for key, (val, seq, at) in state.get("bidder", {}).items():
                    t.con.execute("INSERT INTO bidders VALUES (?, ?)", (key[0], val.get("file")))
                for key, (val, seq, at) in state.get("score", {}).items():
                    t.con.execute("INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?, ?)",
                                  (*key, float(val["score"]), val["rationale"], at, seq))
                for key, (val, seq, at) in state.get("evaluator", {}).items():
                    t.con.execute("INSERT INTO evaluators VALUES (?, ?, ?, ?)", (key[0], int(bool(val["complete"])), at, seq))
            report = ws.verify()
            if not report.intact:
                raise InputError(f"the exported audit log does not verify: {report.first.line()}",
                                 file=folder / parts[1][0])
            got = {(r.bidder, r.criterion, r.evaluator): (float(r.score), r.rationale)
                   for r in ws.scores().itertuples(index=False)}
            if got != exported_scores:
                diff = sorted(set(got.items()) ^ set(exported_scores.items()))[:1]
                raise InputError("scores.csv does not match the scores the audit log records"
                                 + (f" (first difference: {diff[0][0]})" if diff else ""), file=folder / parts[0][0])
        return cls.open(path)


class _Txn:
    """Inside one write transaction: table changes plus their chained audit entries."""

    def __init__(self, con: sqlite3.Connection):
        self.con = con
        head = dict(con.execute("SELECT key, value FROM meta WHERE key IN ('head_seq', 'head_hash')").fetchall())
        last = con.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        # the log's own last entry is the truth for chaining; meta only records it for truncation checks
        self.seq, self.prev = (int(last[0]), last[1]) if last else (int(head.get("head_seq", 0)), head.get("head_hash", GENESIS))
        self.last_at = _now()

    def append(self, actor: str, action: str, entity: str, key: list, old, new) -> int:
        self.seq += 1
        self.last_at = at = _now()
        key_s, old_s, new_s = _canon(key), _canon(old), _canon(new)
        h = entry_hash(self.seq, at, actor, action, entity, key_s, old_s, new_s, self.prev)
        self.con.execute(f"INSERT INTO audit ({', '.join(AUDIT_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (self.seq, at, actor, action, entity, key_s, old_s, new_s, self.prev, h))
        self.con.execute("UPDATE meta SET value=? WHERE key='head_seq'", (str(self.seq),))
        self.con.execute("UPDATE meta SET value=? WHERE key='head_hash'", (h,))
        self.prev = h
        return self.seq

    def put_score(self, bidder: str, criterion: str, evaluator: str, score: float, rationale: str, *,
                  actor: str) -> Optional[int]:
        old = self.con.execute("SELECT score, rationale FROM scores WHERE bidder=? AND criterion=? AND evaluator=?",
                               (bidder, criterion, evaluator)).fetchone()
        old_state = None if old is None else {"score": float(old[0]), "rationale": old[1]}
        new_state = {"score": float(score), "rationale": rationale}
        if old_state == new_state:
            return None
        action = "consensus" if evaluator == MODERATED else "score"
        seq = self.append(actor, action, "score", [bidder, criterion, evaluator], old_state, new_state)
        self.con.execute("INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(bidder, criterion, evaluator) "
                         "DO UPDATE SET score=excluded.score, rationale=excluded.rationale, "
                         "updated_at=excluded.updated_at, seq=excluded.seq",
                         (bidder, criterion, evaluator, float(score), rationale, self.last_at, seq))
        return seq


def _replay(log: list) -> dict:
    """The state the log describes: for each entity and key, its last `new` value (None = deleted)."""
    state: dict = {}
    for seq, at, actor, action, entity, key, old, new, prev, h in log:
        try:
            k = tuple(json.loads(key))
            v = None if new is None else json.loads(new)
        except (TypeError, ValueError):
            continue  # a malformed entry fails its hash check; verify reports it there
        bucket = state.setdefault(entity, {})
        if v is None:
            bucket.pop(k, None)
        else:
            bucket[k] = (v, int(seq), at)
    return state


def _verify(log: list, head: dict, tables: dict, content_ok: dict) -> AuditReport:
    problems: list[AuditProblem] = []
    prev, expected_seq = GENESIS, 1
    for row in log:
        seq, at, actor, action, entity, key, old, new, prev_hash, h = row
        try:
            subject = _subject(entity, json.loads(key))
        except (TypeError, ValueError):
            subject = f"{entity} {key}"
        info = dict(at=at, actor=actor, action=action, subject=subject)
        if seq != expected_seq:
            problems.append(AuditProblem(seq, f"entries {expected_seq}-{seq - 1} are missing: deleted from the log"
                                         if seq > expected_seq else f"entry number out of order (expected {expected_seq})",
                                         **info))
            break
        if prev_hash != prev:
            problems.append(AuditProblem(seq, "does not chain to the entry before it (its previous-hash is "
                                         f"{str(prev_hash)[:12]}…, the entry before hashes to {prev[:12]}…): an entry "
                                         "was removed or replaced", **info))
            break
        if entry_hash(seq, at, actor, action, entity, key, old, new, prev_hash) != h:
            problems.append(AuditProblem(seq, "its contents do not match its hash: the entry was edited after it "
                                         "was written", **info))
            break
        prev, expected_seq = h, expected_seq + 1
    if problems:
        return AuditReport(len(log), prev, problems)
    last_seq = log[-1][0] if log else 0
    if str(last_seq) != str(head.get("head_seq")) or prev != head.get("head_hash"):
        problems.append(AuditProblem(last_seq + 1 if log else None,
                                     f"the log ends at entry {last_seq} but the workspace recorded entry "
                                     f"{head.get('head_seq')} as the last: later entries were deleted"))
        return AuditReport(len(log), prev, problems)

    state = _replay(log)
    found: list[AuditProblem] = []
    by_seq = {row[0]: row for row in log}

    def entry_info(seq):
        row = by_seq.get(seq)
        if not row:
            return {}
        return dict(at=row[1], actor=row[2], action=row[3], subject=_subject(row[4], json.loads(row[5])))

    names = {"score": "scores", "evaluator": "evaluators", "bidder": "bidders", "file": "files"}
    for entity, rows in tables.items():
        expected = state.get(entity, {})
        for key, (value, _row_seq) in rows.items():
            want = expected.get(key)
            label = f"{names[entity]} row {' / '.join(map(str, key))}"
            if want is None:
                found.append(AuditProblem(None, f"{label} is not in the audit log: added behind the tool's back",
                                          subject=_subject(entity, list(key))))
            elif want[0] != value:
                found.append(AuditProblem(want[1], f"{label} holds {_canon(value)} but this entry (the last change "
                                          f"the log records for it) says {_canon(want[0])}: the table was edited "
                                          "behind the tool's back", **entry_info(want[1])))
        for key, (value, seq, at) in expected.items():
            if key not in rows:
                found.append(AuditProblem(seq, f"{names[entity]} row {' / '.join(map(str, key))} recorded by this "
                                          "entry is missing from the table: deleted behind the tool's back",
                                          **entry_info(seq)))
    for rel, ok in content_ok.items():
        if not ok:
            seq = state.get("file", {}).get((rel,), (None, None))[1]
            found.append(AuditProblem(seq, f"the stored file {rel} no longer matches its SHA-256 fingerprint: "
                                      "its content was changed", **entry_info(seq)))
    found.sort(key=lambda p: (p.seq is None, p.seq or 0))
    return AuditReport(len(log), prev, found)


def _read_audit_csv(data: bytes, where: Path) -> list:
    text = data.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
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
        out.append((seq, r[1], r[2], r[3], r[4], r[5], r[6] or None, r[7] or None, r[8], r[9]))
    return out


def _read_scores_csv(data: bytes) -> dict:
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    return {(r["bidder"], r["criterion"], r["evaluator"]): (float(r["score"]), r["rationale"]) for r in rows}



@contextlib.contextmanager
def _building(cls, path: Path, what: str):
    """A new, empty workspace under a private name beside `path`; only when the block finishes without error
    is the WAL folded into the file (so it stands alone) and the file given its real name. On any error
    nothing is left behind, so a half-made workspace can never be opened."""
    tmp = _private_name(path, what)
    leftovers = (tmp, Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm"))
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    ws = cls(tmp)
    try:
        con = ws._connect()
        try:
            con.executescript(_SCHEMA)
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
