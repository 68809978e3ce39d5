"""A workspace handed over is not trusted: stored names cannot write outside the tool's temporary folder,
every change made with plain SQL (no key) is named by `audit` and refused by `evaluate --db`, a rollback to
an earlier copy is caught against the head this machine recorded or an export's manifest, a tampered file
is a one-line report (never "unexpected problem"), an archived read-only file still opens, and exported
CSVs hold no live formulas. Tampering is done the way someone with the file and the sqlite3 shell would."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluator.exceptions import EvaluatorError
from evaluator.workspace import Workspace

from .conftest import ROOT, tender_paths

PY = sys.executable
RUBRIC, BIDS, SCORES = tender_paths("home_care_north")
APEX = "Apex Care Group Ltd"
OUTCOMES = ("intact", "tampered: ")


def cli(*args, env: dict | None = None, user: int | None = None) -> subprocess.CompletedProcess:
    cmd = [PY, "-m", "evaluator", *map(str, args)]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def _rechain_unkeyed(con: sqlite3.Connection, edit) -> None:
    """What someone holding the file but not the key can do: edit entries (`edit` changes a row list in
    place) and hash the whole chain again unkeyed, head included. Drops the append-only trigger to do it."""
    con.execute("DROP TRIGGER audit_append_only_update")
    rows = con.execute("SELECT seq, at, actor, action, entity, key, old, new, prev_hash FROM audit ORDER BY seq").fetchall()
    prev = "0" * 64
    for r in map(list, rows):
        edit(r)
        r[8] = prev
        h = _plain_hash(r)
        con.execute("UPDATE audit SET new = ?, prev_hash = ?, hash = ? WHERE seq = ?", (r[7], prev, h, r[0]))
        prev = h
    con.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (prev,))


def make_before_keyed_chains(path: Path) -> None:
    """Turn a workspace into one made before keyed chains: every audit entry hashed without a key (its init
    entry without the later fields), no workspace id, format 1, and the old append-only trigger."""
    con = sqlite3.connect(path)

    def edit(r):
        if r[3] == "init":
            r[7] = json.dumps({k: v for k, v in json.loads(r[7]).items() if k in ("tender", "title", "format")},
                              sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    _rechain_unkeyed(con, edit)
    con.execute("DELETE FROM meta WHERE key IN ('workspace_id')")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'format'")
    con.execute("CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit\n"
                "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
    con.commit()
    con.close()


def _sql(path: Path, *statements: str, args: tuple = ()) -> None:
    con = sqlite3.connect(path)
    try:
        for s in statements:
            con.execute(s, args) if args and "?" in s else con.execute(s)
        con.commit()
    finally:
        con.close()


def _plain_hash(row) -> str:
    """What someone with the file but without the key can compute: the unkeyed hash of the old format."""
    seq, at, actor, action, entity, key, old, new, prev = row
    payload = json.dumps([int(seq), at, actor, action, entity, key, old, new, prev], ensure_ascii=False,
                         separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _say(out: subprocess.CompletedProcess) -> str:
    return out.stdout + out.stderr


def _is_tamper_report(out: subprocess.CompletedProcess, *words: str) -> None:
    text = _say(out)
    assert out.returncode == 1, text
    assert "tampered: " in text and "unexpected problem" not in text and "Traceback" not in text, text
    for w in words:
        assert w in text, (w, text)


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace.create(tmp_path / "hc.sqlite", RUBRIC, BIDS, scores_path=SCORES)


# ------------------------------------------------------------------------------ hole 1: stored names
@pytest.mark.parametrize("bad", ["../../escaped.yaml", "ABSOLUTE", "bids/../../escaped.yaml", "bids/sub/x.yaml"])
def test_a_stored_name_that_is_not_plain_is_refused_and_nothing_is_written_outside(tmp_path, ws, bad):
    deep = tmp_path / "deep"
    tmpdir = deep / "a" / "b"
    tmpdir.mkdir(parents=True)
    target = tmp_path / "absolute_target.yaml"
    name = str(target) if bad == "ABSOLUTE" else bad
    _sql(ws.path, "UPDATE files SET path = ? WHERE path LIKE 'bids/apex%'", args=(name,))
    before = sorted(p for p in tmp_path.rglob("*"))
    env = {"TMPDIR": str(tmpdir)}
    ev = cli("evaluate", "--db", ws.path, env=env)
    au = cli("audit", "--db", ws.path, env=env)
    after = sorted(p for p in tmp_path.rglob("*") if not p.name.startswith(("hc.sqlite", ".hc.sqlite")))
    assert not target.exists() and not (deep / "escaped.yaml").exists() and not (tmp_path / "escaped.yaml").exists()
    assert [p for p in after if p not in before] == []
    _is_tamper_report(ev, "not a plain name")
    _is_tamper_report(au, "not a plain name")


def test_materialise_refuses_a_name_that_leaves_the_folder(tmp_path, ws):
    _sql(ws.path, "UPDATE files SET path = '../outside.yaml' WHERE path LIKE 'bids/apex%'")
    folder = tmp_path / "m" / "n"
    folder.mkdir(parents=True)
    with pytest.raises(EvaluatorError, match="not a plain name"):
        Workspace.open(ws.path).materialise(folder)
    assert not (tmp_path / "m" / "outside.yaml").exists()


def test_import_refuses_a_manifest_naming_a_file_outside_the_export(tmp_path, ws):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the workspace")
    out = tmp_path / "export"
    ws.export(out)
    m = json.loads((out / "manifest.json").read_text())
    m["files"][-1]["path"] = "../secret.txt"
    m["files"][-1]["sha256"] = hashlib.sha256(secret.read_bytes()).hexdigest()
    (out / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(EvaluatorError, match="not a plain name"):
        Workspace.import_export(tmp_path / "copy.sqlite", out)
    assert not (tmp_path / "copy.sqlite").exists()


# ------------------------------------------------------------------------------ hole 3: the record
def test_widened_meta_scale_is_named_and_no_score_off_the_rubric_is_saved(ws):
    _sql(ws.path, "UPDATE meta SET value = '[0, 20, 40, 60, 80, 100, 1000]' WHERE key = 'scale'")
    saved = cli("workspace", "score", "--db", ws.path, "--bidder", APEX, "--criterion", "Q1", "--evaluator",
                "Helen Marsh", "--score", "1000", "--rationale", "wide")
    assert saved.returncode in (1, 2) and "saved" not in saved.stdout
    con = sqlite3.connect(ws.path)
    assert con.execute("SELECT COUNT(*) FROM scores WHERE score = 1000").fetchone()[0] == 0
    con.close()
    _is_tamper_report(cli("audit", "--db", ws.path), "scale")
    _is_tamper_report(cli("evaluate", "--db", ws.path), "scale")


def test_scores_are_rechecked_against_the_rubric_on_read(ws):
    # an unkeyed rewrite of the whole chain (all one can do without the key) putting a score of 1000 in
    con = sqlite3.connect(ws.path)

    def edit(r):
        if r[3] == "score" and json.loads(r[5]) == [APEX, "Q1", "Helen Marsh"]:
            r[7] = json.dumps({"rationale": json.loads(r[7])["rationale"], "score": 1000.0}, sort_keys=True,
                              separators=(",", ":"))
            con.execute("UPDATE scores SET score = 1000 WHERE bidder = ? AND criterion = 'Q1' AND evaluator = "
                        "'Helen Marsh'", (APEX,))

    _rechain_unkeyed(con, edit)
    con.commit()
    con.close()
    ev = cli("evaluate", "--db", ws.path)
    _is_tamper_report(ev)
    assert "342" not in ev.stdout
    _is_tamper_report(cli("audit", "--db", ws.path))


def test_deleting_the_last_entry_repointing_the_head_and_restoring_the_score_is_caught(ws):
    key = json.dumps([APEX, "SVQ", "Helen Marsh"], separators=(",", ":"), ensure_ascii=False)
    seq = ws.set_score(APEX, "SVQ", "Helen Marsh", 40, "Mostly corporate activity")["seq"]
    con = sqlite3.connect(ws.path)
    prev_hash = con.execute("SELECT hash FROM audit WHERE seq = ?", (seq - 1,)).fetchone()[0]
    was_seq, was_at, was_new = con.execute("SELECT seq, at, new FROM audit WHERE key = ? AND seq < ? ORDER BY seq "
                                           "DESC LIMIT 1", (key, seq)).fetchone()
    con.close()
    was = json.loads(was_new)
    _sql(ws.path, "DROP TRIGGER audit_append_only_delete", f"DELETE FROM audit WHERE seq = {seq}",
         f"UPDATE meta SET value = '{seq - 1}' WHERE key = 'head_seq'",
         f"UPDATE meta SET value = '{prev_hash}' WHERE key = 'head_hash'",
         "CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit\n"
         "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
    con = sqlite3.connect(ws.path)
    con.execute("UPDATE scores SET score = ?, rationale = ?, updated_at = ?, seq = ? WHERE bidder = ? AND "
                "criterion = 'SVQ' AND evaluator = 'Helen Marsh'", (was["score"], was["rationale"], was_at, was_seq,
                                                                    APEX))
    con.commit()
    con.close()
    _is_tamper_report(cli("audit", "--db", ws.path), "rolled back", f"entry {seq}")


def test_rewriting_the_last_entry_without_the_key_is_caught(ws):
    seq = ws.set_score(APEX, "SVQ", "Helen Marsh", 40, "Mostly corporate activity")["seq"]
    con = sqlite3.connect(ws.path)
    con.execute("DROP TRIGGER audit_append_only_update")
    r = list(con.execute("SELECT seq, at, actor, action, entity, key, old, new, prev_hash FROM audit WHERE seq = ?",
                         (seq,)).fetchone())
    r[7] = json.dumps({"rationale": "Mostly corporate activity", "score": 100.0}, sort_keys=True, separators=(",", ":"))
    h = _plain_hash(r)
    con.execute("UPDATE audit SET new = ?, hash = ? WHERE seq = ?", (r[7], h, seq))
    con.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (h,))
    con.execute("UPDATE scores SET score = 100 WHERE bidder = ? AND criterion = 'SVQ' AND evaluator = 'Helen Marsh'",
                (APEX,))
    con.commit()
    con.close()
    _is_tamper_report(cli("audit", "--db", ws.path), f"entry {seq}")
    _is_tamper_report(cli("evaluate", "--db", ws.path))


def test_emptying_the_log_and_every_table_is_caught(ws):
    _sql(ws.path, "DROP TRIGGER audit_append_only_delete", "DELETE FROM audit", "DELETE FROM scores",
         "DELETE FROM bidders", "DELETE FROM files", "DELETE FROM evaluators",
         "UPDATE meta SET value = '0' WHERE key = 'head_seq'",
         f"UPDATE meta SET value = '{'0' * 64}' WHERE key = 'head_hash'")
    _is_tamper_report(cli("audit", "--db", ws.path))
    _is_tamper_report(cli("evaluate", "--db", ws.path))


def test_changed_score_timestamps_are_caught(ws):
    _sql(ws.path, "UPDATE scores SET updated_at = '2020-01-01T00:00:00.000000+00:00' WHERE evaluator = 'Helen Marsh'")
    _is_tamper_report(cli("audit", "--db", ws.path), "Helen Marsh")


def test_a_planted_trigger_is_refused_and_no_false_save_is_printed(ws):
    _sql(ws.path, "CREATE TRIGGER quiet AFTER UPDATE ON scores BEGIN "
                  "UPDATE scores SET score = 100 WHERE rowid = NEW.rowid AND NEW.score != 100; END")
    out = cli("workspace", "score", "--db", ws.path, "--bidder", APEX, "--criterion", "Q1", "--evaluator",
              "Helen Marsh", "--score", "40", "--rationale", "Generic")
    assert "saved" not in out.stdout
    _is_tamper_report(out, "quiet")
    _is_tamper_report(cli("audit", "--db", ws.path), "trigger", "quiet")
    _sql(ws.path, "DROP TRIGGER quiet", "CREATE VIEW v AS SELECT * FROM scores")
    _is_tamper_report(cli("audit", "--db", ws.path), "view")


def test_rollback_to_an_earlier_copy_is_caught_by_the_head_record_and_by_the_manifest(tmp_path, ws):
    earlier = tmp_path / "earlier.sqlite"
    shutil.copy(ws.path, earlier)
    seq = ws.set_score(APEX, "SVQ", "Helen Marsh", 40, "Mostly corporate activity")["seq"]
    manifest = tmp_path / "export" / "manifest.json"
    ws.export(tmp_path / "export")
    assert cli("audit", "--db", ws.path).returncode == 0
    assert cli("audit", "--db", ws.path, "--manifest", manifest).returncode == 0
    for suffix in ("-wal", "-shm"):
        Path(str(ws.path) + suffix).unlink(missing_ok=True)
    shutil.copy(earlier, ws.path)
    _is_tamper_report(cli("audit", "--db", ws.path), "rolled back", f"entry {seq}")
    # without this machine's record, the export's manifest still tells
    home = Path(os.environ["SOCIAL_VALUE_HOME"])
    shutil.rmtree(home / "heads")
    assert "rolled back" not in _say(cli("audit", "--db", ws.path))
    _is_tamper_report(cli("audit", "--db", ws.path, "--manifest", manifest), "rolled back", f"entry {seq}")


def test_the_chain_is_keyed_by_a_key_outside_the_workspace_file(ws):
    home = Path(os.environ["SOCIAL_VALUE_HOME"])
    key = home / "secret.key"
    assert key.is_file() and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_bytes().strip() not in ws.path.read_bytes()
    other = tempfile.mkdtemp()
    out = cli("audit", "--db", ws.path, env={"SOCIAL_VALUE_HOME": other})
    assert out.returncode == 2 and "key" in out.stderr and "intact" not in out.stdout, _say(out)


@pytest.mark.parametrize("how", ["next save", "rekey"])
def test_a_workspace_made_before_keyed_chains_audits_unkeyed_and_the_next_save_upgrades_it(ws, tmp_path, how):
    make_before_keyed_chains(ws.path)  # the old format: every entry hashed without a key, as the tool did before
    out = cli("audit", "--db", ws.path)
    assert out.returncode == 0 and "made before keyed chains" in out.stdout, _say(out)
    # its export (no key id in the manifest) imports with every hash checked, and is keyed here
    ws.export(tmp_path / "legacy_export")
    copy = Workspace.import_export(tmp_path / "copy.sqlite", tmp_path / "legacy_export")
    assert copy.verify().chain == "keyed"
    assert json.loads(copy.audit_log().iloc[-1]["new"])["from"]["checked"] == "every hash"
    n = len(Workspace.open(ws.path).audit_log())
    if how == "rekey":
        out = cli("workspace", "rekey", "--db", ws.path)
        assert out.returncode == 0 and "keyed from now on" in out.stdout, _say(out)
        assert "already keyed" in cli("workspace", "rekey", "--db", ws.path).stdout
        log = Workspace.open(ws.path).audit_log()
        assert len(log) == n + 1 and log.iloc[-1]["action"] == "rekey"
    else:
        ws = Workspace.open(ws.path)
        seq = ws.set_score(APEX, "SVQ", "Helen Marsh", 40, "Mostly corporate activity")["seq"]
        log = ws.audit_log()
        assert log.iloc[-2]["action"] == "rekey" and log.iloc[-1]["seq"] == seq == n + 2
    out = cli("audit", "--db", ws.path)
    assert out.returncode == 0 and f"keyed from entry {n + 1}" in out.stdout, _say(out)
    # a rewrite of an entry before the rekey, recomputed unkeyed, still breaks the keyed entry after it
    con = sqlite3.connect(ws.path)
    con.execute("DROP TRIGGER audit_append_only_update")
    r = list(con.execute("SELECT seq, at, actor, action, entity, key, old, new, prev_hash FROM audit WHERE seq = ?",
                         (n,)).fetchone())
    con.execute("UPDATE audit SET actor = 'someone else', hash = ? WHERE seq = ?",
                (_plain_hash([*r[:2], "someone else", *r[3:]]), n))
    con.commit()
    con.close()
    _is_tamper_report(cli("audit", "--db", ws.path), f"entry {n + 1}")


# ------------------------------------------------------------------------------ hole 4: named, not crashed
@pytest.mark.parametrize("statement, named", [
    ("UPDATE meta SET value = 'not json [' WHERE key = 'scale'", "scale"),
    ("DELETE FROM meta WHERE key = 'tender_id'", "tender_id"),
    (f"UPDATE scores SET score = 'abc' WHERE bidder = '{APEX}' AND criterion = 'Q1' AND evaluator = 'Helen Marsh'",
     "abc"),
])
def test_tampered_settings_and_values_are_named_not_crashed(ws, statement, named):
    _sql(ws.path, statement)
    for verb in ("audit", "evaluate"):
        _is_tamper_report(cli(verb, "--db", ws.path), named)


def _read_only_copy(ws: Workspace) -> tuple[Path, Path]:
    """The workspace in a folder nobody but root may write, file mode 0444 (an archived record), and a home
    holding this machine's key and head records readable by the user who opens it."""
    base = Path(tempfile.mkdtemp(prefix="sv-ro-"))
    os.chmod(base, 0o755)
    archive = base / "archive"
    archive.mkdir()
    target = archive / "hc.sqlite"
    shutil.copy(ws.path, target)
    home = base / "home"
    shutil.copytree(os.environ["SOCIAL_VALUE_HOME"], home)
    os.chmod(target, 0o444)
    os.chmod(archive, 0o555)
    if os.geteuid() == 0:
        for p in [home, *home.rglob("*")]:
            os.chown(p, 65534, 65534)
    return target, home


def test_a_read_only_workspace_opens_for_audit_evaluate_and_report(ws):
    target, home = _read_only_copy(ws)
    user = 65534 if os.geteuid() == 0 else None
    env = {"SOCIAL_VALUE_HOME": str(home)}
    au = cli("audit", "--db", target, env=env, user=user)
    assert au.returncode == 0 and au.stdout.startswith("intact"), _say(au)
    ev = cli("evaluate", "--db", target, "--json", env=env, user=user)
    assert ev.returncode == 0, _say(ev)
    assert json.loads(ev.stdout)["tender"] == "HC-2026-014"
    out = target.parent.parent / "report"
    out.mkdir()
    os.chmod(out, 0o777)
    rp = cli("report", "--db", target, "--out", out, env=env, user=user)
    assert rp.returncode == 0 and (out / "evaluation_report.pdf").is_file(), _say(rp)
    sv = cli("workspace", "score", "--db", target, "--bidder", APEX, "--criterion", "Q1", "--evaluator",
             "Helen Marsh", "--score", "40", "--rationale", "x", env=env, user=user)
    assert sv.returncode == 2 and "read-only" in sv.stderr and "Traceback" not in sv.stderr, _say(sv)


def test_the_head_is_printed_in_the_report_workbook_and_manifest(tmp_path, ws):
    head = ws.verify()
    short = f"entry {head.entries}, {head.head_hash[:12]}"
    out = tmp_path / "report"
    assert cli("report", "--db", ws.path, "--out", out).returncode == 0
    from pypdf import PdfReader
    text = " ".join(p.extract_text() for p in PdfReader(out / "evaluation_report.pdf").pages)
    assert head.head_hash[:12] in text and f"entry {head.entries}" in " ".join(text.split())
    import openpyxl
    book = openpyxl.load_workbook(out / "results.xlsx")
    cells = [str(c) for sh in book.worksheets for row in sh.iter_rows(values_only=True) for c in row if c]
    assert any(head.head_hash[:12] in c for c in cells)
    m = ws.export(tmp_path / "export")
    assert m["head"]["entry"] == head.entries and m["head"]["hash"] == head.head_hash
    assert short in m["head"]["short"]


# ------------------------------------------------------------------------------ hole 6: formulas in CSV
def test_exported_csvs_hold_no_live_formulas_and_import_undoes_the_quoting(tmp_path):
    bids = tmp_path / "bids"
    shutil.copytree(BIDS, bids)
    (bids / "scores.csv").unlink()
    apex = next(p for p in bids.iterdir() if p.name.startswith("apex"))
    evil = "=cmd|' /C calc'!A0"
    apex.write_text(apex.read_text(encoding="utf-8").replace(APEX, evil, 1), encoding="utf-8")
    ws = Workspace.create(tmp_path / "w.sqlite", RUBRIC, bids, actor="=HYPERLINK(\"http://x\",\"y\")")
    ws.set_score(evil, "Q1", "@Helen", 60, '=HYPERLINK("http://evil","click")')
    ws.set_score(evil, "SVQ", "-Dave", 40, "'=already quoted")
    ws.set_score(evil, "Q1", "Helen Marsh", 60, "fine\r=1+1 after a carriage return")
    out = tmp_path / "export"
    ws.export(out)
    for name in ("scores.csv", "audit_log.csv"):
        raw = (out / name).read_bytes().decode("utf-8")
        for row in csv.reader(io.StringIO(raw, newline="")):
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)
        # a carriage return is only ever inside a quoted field: no reader can start a row after it
        for at in [i for i, ch in enumerate(raw) if ch == "\r"]:
            assert raw[:at].count('"') % 2 == 1, (name, raw[max(0, at - 40):at + 20])
    assert "\r=1+1" in (out / "scores.csv").read_bytes().decode("utf-8")
    copy = Workspace.import_export(tmp_path / "copy.sqlite", out)
    assert copy.verify().intact
    got = {(r.bidder, r.evaluator): r.rationale for r in copy.scores().itertuples()}
    assert got[(evil, "@Helen")] == '=HYPERLINK("http://evil","click")'
    assert got[(evil, "-Dave")] == "'=already quoted"
    assert got[(evil, "Helen Marsh")] == "fine\r=1+1 after a carriage return"
    assert copy.audit_log().iloc[0]["actor"] == "=HYPERLINK(\"http://x\",\"y\")"


# ------------------------------------------------------------------------------ property: any stored names
_NAMES = st.one_of(
    st.sampled_from(["../../x", "ABS", "..", ".", "bids/../x", "bids/a/b", "bids/", "rubric/..", "bids/x\\..\\y",
                     "bids/\x00", "C:\\x", "bids/ok.yaml", "proxies/../../../x", "bids/.."]),
    # kept inside the test's own folder even by today's code (at most three levels up, never absolute)
    st.text(max_size=30).filter(lambda s: s.count("..") <= 3 and not s.startswith(("/", "\\"))),
)
_SETTINGS = st.sampled_from(["scale", "criteria", "tender_id", "tender_title", "rubric_file", "proxies_file",
                             "format", "head_seq", "head_hash", "workspace_id", "created_at"])
_VALUES = st.one_of(st.text(max_size=20), st.sampled_from(["[]", "[0, 1000]", "{}", "null", "[\"a\"]",
                                                           "../../x", "-1", "99999"]))


@pytest.fixture(scope="module")
def template_ws(tmp_path_factory):
    home = tmp_path_factory.mktemp("prop_home")
    old = os.environ.get("SOCIAL_VALUE_HOME")
    os.environ["SOCIAL_VALUE_HOME"] = str(home)
    try:
        path = tmp_path_factory.mktemp("prop") / "t.sqlite"
        Workspace.create(path, RUBRIC, BIDS, scores_path=SCORES)
    finally:
        if old is None:
            os.environ.pop("SOCIAL_VALUE_HOME", None)
        else:
            os.environ["SOCIAL_VALUE_HOME"] = old
    return path, home


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(_NAMES, min_size=1, max_size=3), setting=st.one_of(st.none(), st.tuples(_SETTINGS, _VALUES)),
       score=st.one_of(st.none(), st.sampled_from(["abc", "1000", "-5", "NaN", "", "1e308"])),
       bidder_file=st.one_of(st.none(), _NAMES))
def test_any_stored_names_and_settings_write_nowhere_and_end_in_a_named_outcome(template_ws, names, setting, score,
                                                                              bidder_file):
    from evaluator.cli import main
    src, home = template_ws
    with tempfile.TemporaryDirectory() as box:
        box = Path(box)
        (box / "tmp" / "a" / "b").mkdir(parents=True)
        db = box / "tmp" / "a" / "b" / "w.sqlite"
        shutil.copy(src, db)
        con = sqlite3.connect(db)
        paths = [r[0] for r in con.execute("SELECT path FROM files ORDER BY rowid")]
        names = [str(box / "abs_target") if n == "ABS" else n for n in names]
        if bidder_file == "ABS":
            bidder_file = str(box / "abs_target")
        taken = set(paths)
        for old, new in zip(reversed(paths), names):
            if new not in taken:
                taken.add(new)
                con.execute("UPDATE files SET path = ? WHERE path = ?", (new, old))
        if setting:
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", setting)
        if score is not None:
            con.execute("UPDATE scores SET score = ? WHERE rowid = 1", (score,))
        if bidder_file is not None:
            con.execute("UPDATE bidders SET file = ? WHERE rowid = 1", (bidder_file,))
        con.commit()
        con.close()
        before = {p for p in box.rglob("*")}
        old_tmp, old_home = tempfile.tempdir, os.environ.get("SOCIAL_VALUE_HOME")
        tempfile.tempdir = str(box / "tmp" / "a" / "b")
        os.environ["SOCIAL_VALUE_HOME"] = str(home)
        try:
            for verb in ("audit", "evaluate"):
                import contextlib
                buf_out, buf_err = io.StringIO(), io.StringIO()
                with contextlib.redirect_stdout(buf_out), contextlib.redirect_stderr(buf_err):
                    code = main([verb, "--db", str(db)])
                text = buf_out.getvalue() + buf_err.getvalue()
                assert "unexpected problem" not in text and "Traceback" not in text, text
                if code == 0:
                    assert verb == "evaluate" or text.startswith("intact"), text
                elif code == 1:
                    assert "tampered: " in text, text
                else:
                    lines = text.strip().splitlines()
                    assert code == 2 and lines and all(x.startswith("error: ") for x in lines), text
        finally:
            tempfile.tempdir = old_tmp
            if old_home is None:
                os.environ.pop("SOCIAL_VALUE_HOME", None)
            else:
                os.environ["SOCIAL_VALUE_HOME"] = old_home
        new = {p for p in box.rglob("*")} - before
        assert all(p.name.startswith("w.sqlite") or str(p).startswith(str(box / "tmp" / "a" / "b" / "sv_"))
                   for p in new), new
        assert not [p for p in new if not str(p).startswith(str(box / "tmp" / "a" / "b"))], new


# ------------------------------------------------------------------------------ the app: named, not a traceback
@pytest.mark.parametrize("statement, named", [
    ("UPDATE meta SET value = 'not json [' WHERE key = 'scale'", "scale"),
    ("DELETE FROM meta WHERE key = 'tender_id'", "tender_id"),
    ("UPDATE scores SET score = 'abc' WHERE rowid = 1", "abc"),
    ("UPDATE files SET path = '../../escaped.yaml' WHERE path LIKE 'bids/%' AND rowid = 3", "not a plain name"),
])
def test_the_tender_page_names_a_tampered_workspace_in_one_line(statement, named):
    pytest.importorskip("streamlit.testing.v1")
    from tests.apptest import click, ok, unescape
    from tests.test_app_workspace import fresh, tender_text
    home = Path(os.environ["SOCIAL_VALUE_HOME"])
    db = home / "tampered.sqlite"  # listed among the saved workspaces too
    Workspace.create(db, RUBRIC, BIDS, scores_path=SCORES)
    _sql(db, statement)
    at = fresh()
    before = tender_text(at)
    at.text_input(key="ws_path").set_value(str(db))
    click(at, "Open the workspace file").run()
    ok(at)
    errors = [unescape(e.value) for e in at.error]
    assert len(errors) == 1 and "\n" not in errors[0] and named in errors[0], errors
    assert errors[0].endswith("nothing was changed") and tender_text(at) == before
    assert not (home.parent / "escaped.yaml").exists()


def test_an_export_imports_on_another_machine_and_is_re_keyed_there(tmp_path, ws, monkeypatch):
    ws.set_score(APEX, "Q1", "Helen Marsh", 60, "=HYPERLINK(\"x\") after the site visit")
    manifest = ws.export(tmp_path / "export")
    other = tmp_path / "other_machine"
    other.mkdir()
    monkeypatch.setenv("SOCIAL_VALUE_HOME", str(other))
    # the file itself, copied over, cannot be checked here: said in one line, never "intact"
    out = cli("audit", "--db", ws.path, env={"SOCIAL_VALUE_HOME": str(other)})
    assert out.returncode == 2 and "does not hold" in out.stderr, _say(out)
    copy = Workspace.import_export(tmp_path / "copy.sqlite", tmp_path / "export")
    assert (other / "secret.key").is_file()
    report = copy.verify()
    assert report.intact and report.chain == "keyed" and report.entries == manifest["head"]["entry"] + 1
    last = json.loads(copy.audit_log().iloc[-1]["new"])
    assert last["from"]["hash"] == manifest["head"]["hash"] and last["from"]["key_id"] != last["key_id"]
    assert "links" in last["from"]["checked"]
    assert cli("audit", "--db", copy.path, env={"SOCIAL_VALUE_HOME": str(other)}).returncode == 0
    assert copy.set_score(APEX, "Q1", "Helen Marsh", 80, "back to Good")["changed"]
    assert copy.verify().intact
    # an export whose log was edited (and its fingerprint brought into line) is refused even here
    text = (tmp_path / "export" / "audit_log.csv").read_text(encoding="utf-8").replace("after the site visit",
                                                                                       "after the visit")
    (tmp_path / "export" / "audit_log.csv").write_text(text, encoding="utf-8")
    m = json.loads((tmp_path / "export" / "manifest.json").read_text())
    m["audit_log"]["sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    (tmp_path / "export" / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(EvaluatorError):
        Workspace.import_export(tmp_path / "copy2.sqlite", tmp_path / "export")
    assert not (tmp_path / "copy2.sqlite").exists()


def test_the_app_opens_a_read_only_workspace_read_only_and_says_so(tmp_path, monkeypatch):
    """The read-only storage is simulated where SQLite reports it (tests run as root, whom chmod does not stop)."""
    pytest.importorskip("streamlit.testing.v1")
    import evaluator.workspace as wmod
    from tests.apptest import click, ok, unescape
    from tests.test_app_workspace import fresh, tender_text
    db = tmp_path / "archive.sqlite"
    Workspace.create(db, RUBRIC, BIDS, scores_path=SCORES)
    real = wmod.Workspace._connect

    def connect(self):
        if Path(self.path).name == db.name:
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return real(self)
    monkeypatch.setattr(wmod.Workspace, "_connect", connect)
    at = fresh()
    at.text_input(key="ws_path").set_value(str(db))
    click(at, "Open the workspace file").run()
    ok(at)
    assert not at.error, [e.value for e in at.error]
    assert "HC-2026-014" in tender_text(at)
    assert any("read-only" in unescape(w.value) for w in at.warning), [w.value for w in at.warning]
    with pytest.raises(EvaluatorError, match="read-only"):
        Workspace.open(db).set_score(APEX, "Q1", "Helen Marsh", 40, "archived")
