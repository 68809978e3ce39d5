"""The evaluation workspace: nothing reported saved is ever lost, and nothing changed behind the tool's
back goes unnoticed. Real processes are killed with SIGKILL and run concurrently; tampering is done
with sqlite3 directly, as someone editing the file would."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from evaluator import evaluate, load_bids, load_rubric, load_scores
from evaluator.exceptions import EvaluatorError, InputError, InputErrors
from evaluator.workspace import Workspace

from .conftest import ROOT, tender_paths

PY = sys.executable
RUBRIC, BIDS, SCORES = tender_paths("home_care_north")
APEX, NORTHTOWN = "Apex Care Group Ltd", "Northtown Community Care CIC"


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "evaluator", *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace.create(tmp_path / "hc.sqlite", RUBRIC, BIDS, scores_path=SCORES)


def test_create_holds_files_fingerprints_scores_and_verifies(ws):
    files = ws.files()
    assert files["role"].tolist().count("rubric") == 1 and files["role"].tolist().count("proxies") == 1
    assert (files["role"] == "bid").sum() == 6
    assert "bids/scores.csv" not in files["path"].tolist()  # the scores are records, not tender files
    import hashlib
    rubric_sha = files.loc[files["role"] == "rubric", "sha256"].iat[0]
    assert rubric_sha == hashlib.sha256(RUBRIC.read_bytes()).hexdigest()
    assert len(ws.scores()) == len(pd.read_csv(SCORES))
    report = ws.verify()
    assert report.intact and report.entries == 1 + len(files) + 6 + len(ws.scores())


def test_wal_and_full_sync_on_every_connection(ws):
    con = ws._connect()
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert con.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    finally:
        con.close()


def test_evaluate_from_workspace_equals_evaluate_from_files(ws):
    r = load_rubric(RUBRIC)
    b = load_bids(BIDS, r).require_valid()
    direct = evaluate(r, b, load_scores(SCORES, r, b.bidders)).results
    from_ws = ws.evaluate().results
    pd.testing.assert_series_equal(direct["total"], from_ws["total"])
    assert direct["rank"].tolist() == from_ws["rank"].tolist()


def test_score_change_is_audited_with_old_and_new_value(ws):
    saved = ws.set_score(APEX, "Q1", "Helen Marsh", 60, "On reflection the continuity gap is serious")
    assert saved["changed"] and saved["score"] == 60
    log = ws.audit_log()
    last = log.iloc[-1]
    assert last["actor"] == "Helen Marsh" and last["action"] == "score"
    assert json.loads(last["key"]) == [APEX, "Q1", "Helen Marsh"]
    assert json.loads(last["old"])["score"] == 80 and json.loads(last["new"])["score"] == 60
    assert json.loads(last["new"])["rationale"].startswith("On reflection")
    # saving the same thing again changes nothing and adds no entry
    again = ws.set_score(APEX, "Q1", "Helen Marsh", 60, "On reflection the continuity gap is serious")
    assert not again["changed"] and len(ws.audit_log()) == len(log)
    assert ws.verify().intact


def test_consensus_keeps_the_original_scores(ws):
    before = ws.scores(evaluator="Helen Marsh")
    ws.set_score("Easton Homecare Partnership", "SVQ", "MODERATED", 60, "Panel agreed Satisfactory", actor="Lead")
    assert ws.audit_log().iloc[-1]["action"] == "consensus"
    assert ws.audit_log().iloc[-1]["actor"] == "Lead"
    pd.testing.assert_frame_equal(before.reset_index(drop=True), ws.scores(evaluator="Helen Marsh").reset_index(drop=True))


@pytest.mark.parametrize("kwargs, field", [
    (dict(score=70), "score"), (dict(score="eighty"), "score"), (dict(rationale="  "), "rationale"),
    (dict(bidder="Apex Care Group"), "bidder"), (dict(criterion="Q9"), "criterion"), (dict(evaluator=""), "evaluator"),
])
def test_bad_scores_are_refused_naming_the_field_and_nothing_is_written(ws, kwargs, field):
    args = dict(bidder=APEX, criterion="Q1", evaluator="Helen Marsh", score=60, rationale="ok")
    args.update(kwargs)
    n = len(ws.audit_log())
    with pytest.raises(EvaluatorError) as exc:
        ws.set_score(**args)
    errors = exc.value.errors if isinstance(exc.value, InputErrors) else [exc.value]
    assert [e.field for e in errors] == [field]
    assert len(ws.audit_log()) == n


def test_unknown_bidder_suggests_the_right_name(ws):
    with pytest.raises(InputError, match="did you mean 'Apex Care Group Ltd'"):
        ws.set_score("Apex Care Group", "Q1", "Helen Marsh", 60, "x")


def test_create_refuses_to_overwrite_and_bad_bids(tmp_path, ws):
    with pytest.raises(InputError, match="never overwritten"):
        Workspace.create(ws.path, RUBRIC, BIDS)
    bad = tmp_path / "bids"
    bad.mkdir()
    (bad / "x.yaml").write_text("bidder: X\nprice: -5\n")
    with pytest.raises(EvaluatorError):
        Workspace.create(tmp_path / "new.sqlite", RUBRIC, bad)
    assert not (tmp_path / "new.sqlite").exists()


def test_not_a_workspace_is_a_message(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_text("hello, not a database")
    with pytest.raises(InputError, match="not a workspace"):
        Workspace.open(junk)
    with pytest.raises(InputError, match="not found"):
        Workspace.open(tmp_path / "missing.sqlite")


def test_complete_flag_is_audited_and_survives_reopen(ws):
    ws.set_complete("Helen Marsh")
    again = Workspace.open(ws.path)
    status = again.evaluators().set_index("evaluator")["complete"]
    assert status["Helen Marsh"] and not status["David Okafor"]
    assert again.audit_log().iloc[-1]["action"] == "complete"
    again.set_complete("Helen Marsh", False)
    assert not Workspace.open(ws.path).evaluators().set_index("evaluator")["complete"]["Helen Marsh"]
    assert again.verify().intact


# ------------------------------------------------------------------------------------- tampering
def _sql(path: Path, *statements: str) -> None:
    con = sqlite3.connect(path)
    try:
        for s in statements:
            con.execute(s)
        con.commit()
    finally:
        con.close()


def test_audit_log_is_append_only_for_casual_edits(ws):
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        _sql(ws.path, "UPDATE audit SET actor = 'someone else' WHERE seq = 3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        _sql(ws.path, "DELETE FROM audit WHERE seq = 3")


def test_edited_score_row_is_detected_naming_the_entry(ws):
    seq = ws.set_score(APEX, "Q1", "David Okafor", 40, "Generic national model")["seq"]
    assert cli("audit", "--db", ws.path).returncode == 0
    _sql(ws.path, f"UPDATE scores SET score = 100 WHERE bidder = '{APEX}' AND criterion = 'Q1' AND evaluator = 'David Okafor'")
    report = ws.verify()
    assert not report.intact and report.first.seq == seq
    out = cli("audit", "--db", ws.path)
    assert out.returncode == 1
    assert f"entry {seq}" in out.stdout and "edited behind the tool's back" in out.stdout
    assert "David Okafor" in out.stdout


def test_edited_audit_entry_is_detected_even_with_the_guard_dropped(ws):
    _sql(ws.path, "DROP TRIGGER audit_append_only_update",
         """UPDATE audit SET new = '{"rationale":"x","score":100.0}' WHERE seq = 20""")
    out = cli("audit", "--db", ws.path, "--json")
    assert out.returncode == 1
    doc = json.loads(out.stdout)
    assert doc["intact"] is False and doc["first_broken"]["seq"] == 20
    assert "edited after it was written" in doc["first_broken"]["message"]


def test_deleted_audit_entry_is_detected(ws):
    _sql(ws.path, "DROP TRIGGER audit_append_only_delete", "DELETE FROM audit WHERE seq = 12")
    report = ws.verify()
    assert report.first.seq == 13 and "missing" in report.first.message


def test_deleting_the_last_entry_and_its_row_is_detected(ws):
    seq = ws.set_score(APEX, "SVQ", "Helen Marsh", 40, "Mostly corporate activity")["seq"]
    _sql(ws.path, "DROP TRIGGER audit_append_only_delete", f"DELETE FROM audit WHERE seq = {seq}",
         f"UPDATE scores SET score = 60, rationale = 'Covers most Council priorities and promises six-monthly "
         f"dashboards. The £2.93 million headline rests on the group calculator rather than the Council''s "
         f"outcomes and targets.' WHERE bidder = '{APEX}' AND criterion = 'SVQ' AND evaluator = 'Helen Marsh'")
    report = ws.verify()
    assert not report.intact and "later entries were deleted" in report.first.message


def test_changed_tender_file_is_detected(ws):
    _sql(ws.path, "UPDATE files SET content = CAST('bidder: Someone else' AS BLOB) WHERE path LIKE 'bids/apex%'")
    report = ws.verify()
    assert not report.intact and "fingerprint" in report.first.message


# ------------------------------------------------------------------------------------- durability
BURST = r"""
import sys
from evaluator.workspace import Workspace, WorkspaceBusy
ws = Workspace.open(sys.argv[1])
tag, n = sys.argv[2], int(sys.argv[3])
bidders = ws.bidders()
i = 0
while i < n:
    b = bidders[i % len(bidders)]
    c = "Q1" if i % 2 else "SVQ"
    e = f"{tag} {i:05d}"
    s = [0, 20, 40, 60, 80, 100][i % 6]
    try:
        ws.set_score(b, c, e, s, f"burst {tag} {i}")
    except WorkspaceBusy:
        print("retry", flush=True)
        continue
    print(f"saved\t{b}\t{c}\t{e}\t{s}", flush=True)   # only after the commit returned
    i += 1
"""


def _saved_lines(text: str) -> list[tuple]:
    out = []
    for line in text.splitlines():
        parts = line.split("\t")
        if parts[0] == "saved" and len(parts) == 5:
            out.append((parts[1], parts[2], parts[3], float(parts[4])))
    return out


@pytest.mark.parametrize("kill_after", [5, 60])
def test_kill_9_mid_burst_loses_nothing_reported_saved(ws, tmp_path, kill_after):
    script = tmp_path / "burst.py"
    script.write_text(BURST)
    proc = subprocess.Popen([PY, str(script), str(ws.path), "killed", "100000"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    seen = 0
    lines = []
    deadline = time.time() + 60
    while seen < kill_after and time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        seen += line.startswith("saved")
    os.kill(proc.pid, signal.SIGKILL)  # mid-burst: it is writing the next score right now
    rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    reported = _saved_lines("".join(lines) + rest)
    assert len(reported) >= kill_after

    again = Workspace.open(ws.path)
    out = cli("audit", "--db", ws.path)
    assert out.returncode == 0, out.stdout + out.stderr
    have = {(r.bidder, r.criterion, r.evaluator): r.score for r in again.scores().itertuples(index=False)}
    for b, c, e, s in reported:
        assert have.get((b, c, e)) == s
    # at most the one score in flight when it died can be there without having been reported
    extra = [k for k in have if k[2].startswith("killed") and (k[0], k[1], k[2], have[k]) not in set(reported)]
    assert len(extra) <= 1


def test_two_writers_at_once_both_succeed_and_nothing_is_lost(ws, tmp_path):
    script = tmp_path / "burst.py"
    script.write_text(BURST)
    n = 40
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([PY, str(script), str(ws.path), tag, str(n)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for tag in ("writer-a", "writer-b")]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    reported = [x for o in outs for x in _saved_lines(o[0])]
    assert len(reported) == 2 * n
    have = {(r.bidder, r.criterion, r.evaluator): r.score for r in Workspace.open(ws.path).scores().itertuples(index=False)}
    assert all(have.get((b, c, e)) == s for b, c, e, s in reported)
    report = ws.verify()
    assert report.intact
    assert report.entries == 1 + 8 + 6 + len(pd.read_csv(SCORES)) + 2 * n


# ------------------------------------------------------------------------------------- export / import
def test_export_then_import_round_trip_is_equal(ws, tmp_path):
    ws.set_score(APEX, "Q1", "Helen Marsh", 60, "Changed after the site visit, with a \"quoted\" word, and a comma")
    ws.set_complete("Helen Marsh")
    first = tmp_path / "export1"
    manifest = ws.export(first)
    assert manifest["audit_log"]["intact"]
    assert {f["role"] for f in manifest["files"]} == {"rubric", "proxies", "bid"}
    assert (first / "files" / "rubric" / RUBRIC.name).read_bytes() == RUBRIC.read_bytes()
    copy = Workspace.import_export(tmp_path / "copy.sqlite", first)
    assert copy.verify().intact
    second = tmp_path / "export2"
    manifest2 = copy.export(second)
    assert (first / "scores.csv").read_bytes() == (second / "scores.csv").read_bytes()
    # the log comes back entry for entry (re-keyed with this machine's key: the same hashes here), then one
    # `import` entry naming the export's head; the copy is a new workspace with its own id
    log1 = (first / "audit_log.csv").read_bytes()
    log2 = (second / "audit_log.csv").read_bytes()
    assert log2.startswith(log1) and log2[len(log1):].count(b"\n") == 1
    imported = copy.audit_log().iloc[-1]
    assert imported["action"] == "import"
    assert json.loads(imported["new"])["from"]["hash"] == manifest["head"]["hash"]
    for a, b in zip(sorted((first / "files").rglob("*")), sorted((second / "files").rglob("*"))):
        assert a.relative_to(first) == b.relative_to(second)
        assert a.is_dir() or a.read_bytes() == b.read_bytes()
    assert manifest2["head"]["entry"] == manifest["head"]["entry"] + 1
    assert manifest2["workspace_id"] != manifest["workspace_id"]
    for m in (manifest, manifest2):
        for k in ("exported_at", "audit_log", "head", "workspace_id"):
            m.pop(k)
    assert manifest == manifest2
    pd.testing.assert_frame_equal(ws.audit_log(), copy.audit_log().iloc[:-1])
    assert copy.evaluators().set_index("evaluator")["complete"]["Helen Marsh"]
    # the exported scores.csv is an ordinary scores file the engine reads
    r = load_rubric(first / "files" / "rubric" / RUBRIC.name, proxies_path=first / "files" / "proxies" / "public_2025.csv")
    b = load_bids(first / "files" / "bids", r).require_valid()
    assert evaluate(r, b, load_scores(first / "scores.csv", r, b.bidders)).results["total"].tolist() == \
        copy.evaluate().results["total"].tolist()


def test_import_refuses_a_changed_export(ws, tmp_path):
    out = tmp_path / "export"
    ws.export(out)
    text = (out / "scores.csv").read_text().replace(",80,", ",100,", 1)
    (out / "scores.csv").write_text(text)
    with pytest.raises(EvaluatorError, match="does not match the manifest"):
        Workspace.import_export(tmp_path / "copy.sqlite", out)
    # even with the manifest's fingerprint brought into line, the audit log does not explain the change
    import hashlib
    m = json.loads((out / "manifest.json").read_text())
    m["scores"]["sha256"] = hashlib.sha256((out / "scores.csv").read_bytes()).hexdigest()
    (out / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(EvaluatorError, match="does not match the scores the audit log records"):
        Workspace.import_export(tmp_path / "copy.sqlite", out)
    assert not (tmp_path / "copy.sqlite").exists()


def test_export_never_overwrites(ws, tmp_path):
    out = tmp_path / "export"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="never overwrites"):
        ws.export(out)


# ------------------------------------------------------------------------------------- CLI
def test_cli_init_score_export_import_audit_evaluate(tmp_path):
    db = tmp_path / "w.sqlite"
    r = cli("workspace", "init", "--db", db, "--rubric", RUBRIC, "--bids", BIDS, "--scores", SCORES)
    assert r.returncode == 0, r.stderr
    assert "6 bids" in r.stdout
    r = cli("workspace", "score", "--db", db, "--bidder", APEX, "--criterion", "Q1", "--evaluator", "Helen Marsh",
            "--score", "60", "--rationale", "Generic to the group", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["saved"] is True
    assert Workspace.open(db).scores().set_index(["bidder", "criterion", "evaluator"]).loc[
        (APEX, "Q1", "Helen Marsh"), "score"] == 60
    for args, field in [(["--score", "70"], "score"), (["--rationale", ""], "rationale"),
                        (["--bidder", "Nobody Ltd"], "bidder"), (["--criterion", "PRICE"], "criterion")]:
        base = {"--bidder": APEX, "--criterion": "Q1", "--evaluator": "Helen Marsh", "--score": "60",
                "--rationale": "fine"}
        base[args[0]] = args[1]
        r = cli("workspace", "score", "--db", db, *[x for kv in base.items() for x in kv])
        assert r.returncode == 2 and f"field '{field}'" in r.stderr and "Traceback" not in r.stderr
    r = cli("evaluate", "--db", db, "--json")
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    assert {b["bidder"] for b in doc["bids"]} >= {APEX, NORTHTOWN}
    assert cli("audit", "--db", db).returncode == 0
    r = cli("workspace", "export", "--db", db, "--out", tmp_path / "exp")
    assert r.returncode == 0 and (tmp_path / "exp" / "manifest.json").is_file()
    r = cli("workspace", "import", "--db", tmp_path / "w2.sqlite", "--from", tmp_path / "exp")
    assert r.returncode == 0, r.stderr
    assert cli("audit", "--db", tmp_path / "w2.sqlite").returncode == 0
    assert cli("workspace", "init", "--db", db, "--rubric", RUBRIC, "--bids", BIDS).returncode == 2
    assert cli("audit", "--db", tmp_path / "missing.sqlite").returncode == 2
    assert cli("evaluate").returncode == 2


def test_a_writer_kept_waiting_is_told_to_retry_and_nothing_is_half_saved(ws, monkeypatch, capsys):
    import evaluator.workspace as wmod
    from evaluator.cli import main
    from evaluator.workspace import WorkspaceBusy
    monkeypatch.setattr(wmod, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(ws.path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another evaluator's save, still in progress
        n = len(pd.read_sql("SELECT seq FROM audit", holder))
        with pytest.raises(WorkspaceBusy, match="try again"):
            ws.set_score(APEX, "Q1", "Helen Marsh", 60, "waiting")
        code = main(["workspace", "score", "--db", str(ws.path), "--bidder", APEX, "--criterion", "Q1",
                     "--evaluator", "Helen Marsh", "--score", "60", "--rationale", "waiting"])
        assert code == 75 and "busy" in capsys.readouterr().err
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(ws.audit_log()) == n
    assert ws.set_score(APEX, "Q1", "Helen Marsh", 60, "after the other save")["changed"]  # then it goes through
    assert ws.verify().intact
