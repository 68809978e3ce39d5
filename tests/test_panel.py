"""The panel's rules (DESIGN.md section 10), enforced by the workspace itself, with no app: who may score,
see, submit, reopen, moderate and load files; conflict-of-interest declarations; passwords (hashed, never
stored or logged in clear, wrong tries slowed down per name); workspaces made before the panel keep every
score; export and import keep the users."""
from __future__ import annotations

import json
import logging
import sqlite3
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from argon2 import PasswordHasher

import evaluator.passwords as passwords
import evaluator.workspace as workspace_module
from evaluator.exceptions import InputError
from evaluator.panel import (COMMAND_LINE, DEMONSTRATION, EVALUATOR, LEAD, LOAD_FILES, MODERATE, OBSERVER, OPENID,
                             PASSWORD, REOPEN, SCORE, SEE_ALL_SCORES, SEE_BIDS, SUBMIT, Identity, NotAllowed,
                             SignInRefused, demonstration)
from evaluator.scores import MODERATED
from evaluator.workspace import PANEL_TABLES, Workspace

from .conftest import tender_paths

RUBRIC, BIDS, SCORES = tender_paths("home_care_north")
APEX, CAREWELL = "Apex Care Group Ltd", "Carewell Services Ltd"
PASSWORDS = {"lee": "lead's long passphrase", "eve": "evaluator eve passphrase", "Helen Marsh": "helen's passphrase 7",
             "obs": "observer's passphrase"}


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch):
    """Argon2 at its lowest cost, so the tests run quickly (one test checks the real parameters)."""
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@pytest.fixture
def clock(monkeypatch):
    """The workspace's clock, moved by hand instead of waiting."""
    class Clock:
        offset = timedelta(0)

        def advance(self, seconds):
            self.offset += timedelta(seconds=seconds)
    c = Clock()
    real = workspace_module._instant
    monkeypatch.setattr(workspace_module, "_instant", lambda: real() + c.offset)
    return c


def panel(ws: Workspace) -> dict:
    """Lead lee, evaluators eve (no scores yet) and Helen Marsh (the sample's 12 scores), observer obs."""
    ws.add_user("lee", LEAD, PASSWORDS["lee"])
    ws.add_user("eve", EVALUATOR, PASSWORDS["eve"], email="Eve@Council.example")
    ws.add_user("Helen Marsh", EVALUATOR, PASSWORDS["Helen Marsh"])
    ws.add_user("obs", OBSERVER, PASSWORDS["obs"])
    return {name: ws.sign_in(name, pw) for name, pw in PASSWORDS.items()}


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace.create(tmp_path / "hc.sqlite", RUBRIC, BIDS, scores_path=SCORES)


@pytest.fixture
def who(ws) -> dict:
    return panel(ws)


def refused(fn, *args, **kw) -> str:
    with pytest.raises(NotAllowed) as exc:
        fn(*args, **kw)
    return exc.value.line()


def fill(ws: Workspace, ident: Identity, skip: int = 0) -> None:
    """Score every criterion of every bid as `ident` (leaving the last `skip` cells unscored)."""
    cells = [(b, c["id"]) for b in ws.bidders() for c in ws.criteria]
    for b, c in cells[:len(cells) - skip]:
        ws.set_score(b, c, ident.user, ws.criterion_scale(c)[-1], f"evidence for {c}", by=ident)


def tables(path: Path) -> set:
    con = sqlite3.connect(path)
    try:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        con.close()


# ------------------------------------------------------------------------------ old workspaces
def test_a_workspace_made_before_the_panel_keeps_every_score_and_gains_the_tables_on_its_first_panel_change(ws):
    before = ws.scores()[["bidder", "criterion", "evaluator", "score", "rationale"]]
    assert not set(PANEL_TABLES) & tables(ws.path) and not ws.has_users and ws.users().empty
    assert ws.verify().intact
    ws.add_user("lee", LEAD, PASSWORDS["lee"])
    assert set(PANEL_TABLES) <= tables(ws.path) and ws.has_users
    log = Workspace.open(ws.path).audit_log()
    assert log["action"].tolist()[-2:] == ["add_panel_tables", "add_user"]
    pd.testing.assert_frame_equal(Workspace.open(ws.path).scores()[before.columns], before)
    assert Workspace.open(ws.path).verify().intact
    assert len(Workspace.open(ws.path).evaluate().results) == 6


def test_a_workspace_made_before_keyed_chains_gains_a_panel_and_keeps_its_scores(ws):
    from .test_workspace_integrity import make_before_keyed_chains
    make_before_keyed_chains(ws.path)
    old = Workspace.open(ws.path)
    n = len(old.scores())
    old.add_user("lee", LEAD, PASSWORDS["lee"])
    again = Workspace.open(ws.path)
    assert len(again.scores()) == n and again.verify().intact and again.verify().chain.startswith("keyed")
    assert again.audit_log()["action"].tolist()[-3:] == ["rekey", "add_panel_tables", "add_user"]


def test_without_users_and_without_anyone_named_the_tool_works_as_before(ws):
    ws.set_score(APEX, "SVQ", MODERATED, 20, "consensus")  # no identity: as the command line did
    ws.set_complete("Helen Marsh", True)
    ws.set_complete("Helen Marsh", False)
    assert ws.audit_log()["action"].tolist()[-3:] == ["consensus", "complete", "reopen"]
    assert len(ws.scores(viewer=None)) == 47 and not set(PANEL_TABLES) & tables(ws.path)


def test_a_demonstration_persona_obeys_the_rules_of_its_role_on_a_workspace_without_users(ws):
    persona = demonstration("David Okafor", EVALUATOR)
    assert "consensus" in refused(ws.set_score, APEX, "SVQ", MODERATED, 60, "consensus", by=persona)
    assert "Helen Marsh" in refused(ws.set_score, APEX, "SVQ", "Helen Marsh", 60, "x", by=persona)
    assert set(ws.scores(viewer=persona)["evaluator"]) == {"David Okafor"}
    lead = demonstration("Lead", LEAD)
    ws.set_score(APEX, "SVQ", MODERATED, 60, "consensus", by=lead)
    assert ws.audit_log()["actor"].iloc[-1] == "Lead (demonstration persona)"


# ------------------------------------------------------------------------------ accounts and passwords
def test_the_first_user_must_be_a_lead_and_passwords_have_a_minimum_length(ws):
    with pytest.raises(InputError, match="first user of a workspace must be its procurement lead"):
        ws.add_user("eve", EVALUATOR, PASSWORDS["eve"])
    with pytest.raises(InputError, match="at least 12 characters"):
        ws.add_user("lee", LEAD, "short")
    with pytest.raises(InputError, match="password, or an email"):
        ws.add_user("lee", LEAD, None)
    assert not ws.has_users
    ws.add_user("lee", LEAD, PASSWORDS["lee"])
    with pytest.raises(InputError, match="already a user"):
        ws.add_user("lee", EVALUATOR, PASSWORDS["eve"])
    with pytest.raises(InputError, match="not a role"):
        ws.add_user("eve", "admin", PASSWORDS["eve"])
    ws.add_user("oidc", EVALUATOR, None, email="oidc@council.example")  # OpenID Connect only: no password
    assert ws.users()["user"].tolist() == ["lee", "oidc"]
    assert list(ws.users().columns) == ["user", "role", "email", "added_at"]
    with pytest.raises(SignInRefused, match="User name or password is wrong"):
        ws.sign_in("oidc", "")


def test_the_stored_hash_is_argon2id_at_its_maintained_defaults(ws, monkeypatch):
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher())
    ws.add_user("lee", LEAD, PASSWORDS["lee"])
    con = sqlite3.connect(ws.path)
    stored = con.execute("SELECT hash FROM users").fetchone()[0]
    con.close()
    assert stored.startswith("$argon2id$") and "m=65536,t=3" in stored
    assert ws.sign_in("lee", PASSWORDS["lee"]).role == LEAD


def test_a_password_never_appears_in_the_file_the_audit_log_the_export_or_the_logs(ws, tmp_path, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    who = panel(ws)
    for name in PASSWORDS:
        with pytest.raises(SignInRefused):
            ws.sign_in(name, PASSWORDS[name] + "x")
    ws.reset_password("eve", "a brand new passphrase")
    ws.sign_in("eve", "a brand new passphrase")
    ws.declare(who["Helen Marsh"], False)
    ws.export(tmp_path / "out")
    secrets = [p.encode() for p in [*PASSWORDS.values(), "a brand new passphrase"]]
    blobs = [ws.path.read_bytes(), Path(str(ws.path) + "-wal").read_bytes() if Path(str(ws.path) + "-wal").exists()
             else b"", ws.audit_log().to_csv().encode(), caplog.text.encode(), "".join(capsys.readouterr()).encode()]
    blobs += [f.read_bytes() for f in (tmp_path / "out").rglob("*") if f.is_file()]
    for blob in blobs:
        for secret in secrets:
            assert secret not in blob
    # the hashes are not in the CSV export either, nor in the audit log (only a fingerprint of each)
    con = sqlite3.connect(ws.path)
    hashes = [r[0] for r in con.execute("SELECT hash FROM users")]
    con.close()
    exported_csv = b"".join(f.read_bytes() for f in (tmp_path / "out").glob("*.csv"))
    for h in hashes:
        assert h.encode() not in exported_csv and h not in ws.audit_log().to_csv()
        assert passwords.fingerprint(h) in ws.audit_log().to_csv()


def test_a_wrong_password_and_an_unknown_name_are_refused_alike(ws, who, monkeypatch):
    calls = []
    real = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda stored, pw: calls.append(stored) or real(stored, pw))
    for name, pw in (("eve", "not eve's password"), ("nobody", "whatever it is")):
        with pytest.raises(SignInRefused) as exc:
            ws.sign_in(name, pw)
        assert exc.value.line() == "User name or password is wrong" and exc.value.wait_seconds is None
    assert len(calls) == 2 and calls[1] is None  # an unknown name still costs a hash verification (timing)
    ident = ws.sign_in("eve", PASSWORDS["eve"])
    assert ident == Identity("eve", EVALUATOR, PASSWORD)
    log = ws.audit_log()
    assert log["action"].tolist()[-3:] == ["sign_in_refused", "sign_in_refused", "sign_in"]


def test_the_fifth_wrong_try_in_a_row_waits_then_the_wait_doubles_kept_in_the_workspace(ws, who, clock):
    for _ in range(4):
        with pytest.raises(SignInRefused, match="User name or password is wrong"):
            ws.sign_in("eve", "wrong password!")
    # the fifth try waits 5 s, even with the right password, and in another process's view of the file
    with pytest.raises(SignInRefused) as exc:
        Workspace.open(ws.path).sign_in("eve", PASSWORDS["eve"])
    assert exc.value.wait_seconds == 5
    assert exc.value.line() == "Too many wrong passwords for this user name: wait 5 s and try again"
    clock.advance(6)
    with pytest.raises(SignInRefused, match="User name or password is wrong"):
        ws.sign_in("eve", "wrong password!")
    with pytest.raises(SignInRefused) as exc:
        ws.sign_in("eve", "wrong password!")
    assert exc.value.wait_seconds == 10
    clock.advance(11)
    assert ws.sign_in("eve", PASSWORDS["eve"]).user == "eve"  # a good password starts the count again
    with pytest.raises(SignInRefused, match="User name or password is wrong"):
        ws.sign_in("eve", "wrong password!")
    # unknown names are counted too, with the same words
    for _ in range(4):
        with pytest.raises(SignInRefused, match="User name or password is wrong"):
            ws.sign_in("mallory", "guess guess guess")
    with pytest.raises(SignInRefused, match="Too many wrong passwords"):
        ws.sign_in("mallory", "guess guess guess")
    # the wait is capped
    for _ in range(12):
        clock.advance(400)
        with pytest.raises(SignInRefused):
            ws.sign_in("mallory", "guess guess guess")
    with pytest.raises(SignInRefused) as exc:
        ws.sign_in("mallory", "guess guess guess")
    assert exc.value.wait_seconds == 300
    assert ws.verify().intact


def test_a_reset_password_works_and_starts_the_count_again(ws, who, clock):
    for _ in range(5):
        with pytest.raises(SignInRefused):
            ws.sign_in("eve", "wrong password!")
    ws.reset_password("eve", "a brand new passphrase")
    assert ws.sign_in("eve", "a brand new passphrase").user == "eve"
    with pytest.raises(SignInRefused):
        ws.sign_in("eve", PASSWORDS["eve"])


def test_removing_a_user_keeps_their_scores_and_the_last_lead(ws, who):
    with pytest.raises(InputError, match="only procurement lead"):
        ws.remove_user("lee")
    ws.remove_user("Helen Marsh")
    assert "Helen Marsh" not in ws.users()["user"].tolist()
    assert (ws.scores()["evaluator"] == "Helen Marsh").sum() == 12
    assert "no longer" in refused(ws.set_score, APEX, "SVQ", "Helen Marsh", 60, "x", by=who["Helen Marsh"])


def test_openid_connect_maps_the_providers_email_to_a_user(ws, who):
    ident = ws.identity_for_openid("eve@council.EXAMPLE", "sub-123")
    assert (ident.user, ident.role, ident.via) == ("eve", EVALUATOR, OPENID)
    ws.declare(ident, False)
    ws.set_score(APEX, "SVQ", "eve", 60, "some evidence", by=ident)
    assert ws.audit_log()["actor"].iloc[-1] == "eve (OpenID Connect subject sub-123, eve@council.EXAMPLE)"
    assert "stranger@elsewhere.example" in refused(ws.identity_for_openid, "stranger@elsewhere.example", "sub-9")


# ------------------------------------------------------------------------------ who is acting
def test_a_workspace_with_users_needs_someone_signed_in_and_takes_the_role_from_its_table(ws, who):
    assert "sign in first" in refused(ws.set_score, APEX, "SVQ", "Helen Marsh", 60, "x")
    assert "sign in first" in refused(ws.identity, None)
    assert "demonstration persona" in refused(ws.identity, demonstration("lee", LEAD))
    forged = Identity("eve", LEAD, PASSWORD)  # claims to be a lead: the users table says evaluator
    assert ws.identity(forged).role == EVALUATOR
    assert "procurement lead" in refused(ws.set_score, APEX, "SVQ", MODERATED, 60, "x", by=forged)
    assert ws.can(who["lee"], MODERATE) is None and ws.can(forged, MODERATE)
    assert "procurement lead" in refused(ws.guard, forged, LOAD_FILES)
    assert ws.guard(who["lee"], LOAD_FILES).role == LEAD


def test_every_action_is_audited_under_the_identity_that_took_it(ws, who):
    cli = Identity("eve", EVALUATOR, COMMAND_LINE)
    ws.declare(cli, False)
    ws.set_score(APEX, "SVQ", "eve", 60, "evidence", by=cli)
    ws.delete_score(APEX, "SVQ", "eve", by=who["eve"])
    ws.set_score(APEX, "SVQ", MODERATED, 60, "consensus", by=who["lee"])
    ws.declare(who["Helen Marsh"], False)
    ws.set_complete("Helen Marsh", True, by=who["Helen Marsh"])
    ws.set_complete("Helen Marsh", False, by=who["lee"])
    assert ws.audit_log()[["actor", "action"]].tail(7).values.tolist() == [
        ["eve (command line)", "declare"], ["eve (command line)", "score"], ["eve", "delete_score"],
        ["lee", "consensus"], ["Helen Marsh", "declare"], ["Helen Marsh", "complete"], ["lee", "reopen"]]


# ------------------------------------------------------------------------------ the rules
def test_an_evaluator_cannot_record_a_consensus_and_the_lead_can(ws, who):
    line = refused(ws.set_score, APEX, "SVQ", MODERATED, 60, "consensus", by=who["eve"])
    assert line == "only the procurement lead may record a consensus score (eve is evaluator)"
    assert refused(ws.delete_score, APEX, "SVQ", MODERATED, by=who["Helen Marsh"])
    assert refused(ws.set_score, APEX, "SVQ", MODERATED, 60, "consensus", by=who["obs"])
    ws.set_score(APEX, "SVQ", MODERATED, 60, "consensus", by=who["lee"])  # no declaration needed for a consensus
    assert ws.scores(evaluator=MODERATED).query("bidder == @APEX and criterion == 'SVQ'")["score"].tolist() == [60.0]


def test_an_evaluator_cannot_touch_another_evaluators_rows(ws, who):
    ws.declare(who["eve"], False)
    line = refused(ws.set_score, APEX, "SVQ", "Helen Marsh", 0, "overwritten", by=who["eve"])
    assert "only Helen Marsh may change Helen Marsh's scores" in line
    assert refused(ws.delete_score, APEX, "SVQ", "Helen Marsh", by=who["eve"])
    assert refused(ws.set_score, APEX, "SVQ", "Helen Marsh", 0, "overwritten", by=who["lee"])  # nor the lead
    assert refused(ws.set_complete, "Helen Marsh", True, by=who["eve"])
    assert (ws.scores(evaluator="Helen Marsh")["rationale"] != "overwritten").all()


def test_an_evaluator_declares_before_seeing_bids_or_scoring_and_a_conflict_stops_them_until_mitigated(ws, who):
    eve = who["eve"]
    assert "declare any conflict of interest" in ws.can(eve, SEE_BIDS)
    assert "declare any conflict of interest before scoring" in refused(ws.set_score, APEX, "SVQ", "eve", 60, "x",
                                                                        by=eve)
    ws.declare(eve, True, "My sister works for Apex Care Group")
    assert ws.can(eve, SEE_BIDS) is None
    assert "no scoring until the procurement lead records how it is mitigated" in refused(
        ws.set_score, APEX, "SVQ", "eve", 60, "x", by=eve)
    with pytest.raises(InputError, match="say what the conflict"):
        ws.declare(eve, True, "  ")
    assert "procurement lead" in refused(ws.mitigate, eve, "eve", "I promise")
    assert "procurement lead" in refused(ws.mitigate, who["obs"], "eve", "I promise")
    with pytest.raises(InputError, match="has not declared a conflict"):
        ws.mitigate(who["lee"], "Helen Marsh", "nothing to do")
    ws.mitigate(who["lee"], "eve", "Does not score Apex; reviewed by the lead")
    ws.set_score(CAREWELL, "SVQ", "eve", 60, "some evidence", by=eve)
    d = ws.declaration("eve")
    assert d["conflict"] is True and d["mitigated_by"] == "lee" and d["mitigation"].startswith("Does not score")
    assert list(ws.declarations().columns) == ["user", "conflict", "details", "declared_at", "mitigation",
                                               "mitigated_by", "mitigated_at"]
    # a new declaration replaces the old one and its mitigation
    ws.declare(eve, True, "Now also a shareholder in Carewell")
    assert ws.declaration("eve")["mitigation"] is None and ws.can(eve, SCORE)
    assert ws.declaration("nobody") is None
    assert "observer" in refused(ws.declare, who["obs"], False)
    assert ws.verify().intact


def test_an_evaluator_sees_only_their_own_scores_until_they_submit(ws, who):
    eve = who["eve"]
    ws.declare(eve, False)
    ws.set_score(APEX, "SVQ", MODERATED, 60, "consensus", by=who["lee"])
    ws.set_score(APEX, "SVQ", "eve", 40, "mine", by=eve)
    mine = ws.scores(viewer=eve)
    assert mine["evaluator"].tolist() == ["eve"]  # nobody else's, and no consensus
    assert ws.scores(viewer=eve, evaluator="Helen Marsh").empty
    assert len(ws.scores(viewer=who["lee"])) == len(ws.scores(viewer=who["obs"])) == len(ws.scores()) == 48
    assert "until they submit" in ws.can(eve, SEE_ALL_SCORES)
    fill(ws, eve)
    ws.set_complete("eve", True, by=eve)
    assert len(ws.scores(viewer=eve)) == len(ws.scores()) and ws.can(eve, SEE_ALL_SCORES) is None


def test_submitting_needs_every_score_and_rationale_and_names_the_first_gap(ws, who):
    eve = who["eve"]
    ws.declare(eve, False)
    line = refused(ws.set_complete, "eve", True, by=eve)
    assert line == ("eve cannot submit yet: 12 score(s) with a rationale missing, the first for bidder Apex Care "
                    "Group Ltd, criterion Q1 (every criterion of every bid needs a score and a rationale)")
    fill(ws, eve, skip=1)
    line = refused(ws.set_complete, "eve", True, by=eve)
    assert "1 score(s) with a rationale missing, the first for bidder Riverside Care Co-operative, criterion SVQ" in line
    assert ws.gaps("eve") == [("Riverside Care Co-operative", "SVQ", "")]
    fill(ws, eve)
    ws.set_complete("eve", True, by=eve)
    row = ws.panel_status().set_index("user").loc["eve"]
    assert row["submitted"] and row["scores"] == 12 and row["declared"] and not row["conflict"]


def test_after_submitting_an_evaluator_cannot_score_and_only_the_lead_reopens(ws, who):
    eve = who["eve"]
    ws.declare(eve, False)
    fill(ws, eve)
    ws.set_complete("eve", True, by=eve)
    assert "has submitted their scoring" in refused(ws.set_score, APEX, "SVQ", "eve", 0, "changed my mind", by=eve)
    assert refused(ws.delete_score, APEX, "SVQ", "eve", by=eve)
    assert "only the procurement lead may reopen a submission" in refused(ws.set_complete, "eve", False, by=eve)
    assert refused(ws.set_complete, "eve", False, by=who["obs"])
    assert ws.can(who["lee"], REOPEN) is None
    ws.set_complete("eve", False, by=who["lee"])
    ws.set_score(APEX, "SVQ", "eve", 0, "changed my mind", by=eve)
    assert ws.audit_log()[["actor", "action"]].tail(2).values.tolist() == [["lee", "reopen"], ["eve", "score"]]


def test_an_observer_changes_nothing(ws, who, tmp_path):
    obs = who["obs"]
    head = ws.head_stamp()
    for call in (lambda: ws.set_score(APEX, "SVQ", "obs", 60, "x", by=obs),
                 lambda: ws.set_score(APEX, "SVQ", MODERATED, 60, "x", by=obs),
                 lambda: ws.delete_score(APEX, "SVQ", "Helen Marsh", by=obs),
                 lambda: ws.set_complete("obs", True, by=obs),
                 lambda: ws.set_complete("Helen Marsh", False, by=obs),
                 lambda: ws.declare(obs, False),
                 lambda: ws.mitigate(obs, "eve", "x"),
                 lambda: ws.change_files(obs, bids=[("x.json", b"{}")], confirm=True)):
        refused(call)
    assert ws.head_stamp() == head
    assert ws.can(obs, SEE_ALL_SCORES) is None and ws.can(obs, SUBMIT)


def test_panel_status_lists_the_panel_with_declarations_and_submissions(ws, who):
    ws.declare(who["eve"], True, "conflict")
    ws.mitigate(who["lee"], "eve", "handled")
    status = ws.panel_status()
    assert list(status.columns) == ["user", "role", "declared", "conflict", "mitigation", "submitted",
                                    "submitted_at", "scores"]
    assert status["user"].tolist()[:4] == ["lee", "eve", "Helen Marsh", "obs"]
    eve = status.set_index("user").loc["eve"]
    assert eve["declared"] and eve["conflict"] and eve["mitigation"] == "handled" and not eve["submitted"]
    # evaluators of the record without an account are listed after the users
    assert set(status["user"]) >= {"David Okafor", "Priya Raman"}


def test_a_lotted_workspace_names_the_lot_of_the_first_gap(tmp_path):
    from .test_workspace_lots import lotted_tender
    rubric, bids, scores = lotted_tender(tmp_path / "t")
    ws = Workspace.create(tmp_path / "lots.sqlite", rubric, bids)
    ws.add_user("lee", LEAD, PASSWORDS["lee"])
    ws.add_user("eve", EVALUATOR, PASSWORDS["eve"])
    eve = ws.sign_in("eve", PASSWORDS["eve"])
    ws.declare(eve, False)
    line = refused(ws.set_complete, "eve", True, by=eve)
    bids_in = ws.bids()
    n = len(bids_in) * len(ws.criteria)
    first = bids_in.iloc[0]
    assert f"{n} score(s)" in line and f"bidder {first['bidder']}" in line and f"lot {first['lot']}" in line


# ------------------------------------------------------------------------------ loading or replacing the tender's files
def test_only_the_lead_loads_files_and_confirmation_is_asked_first(ws, who):
    bid = BIDS / "carewell_services.json"
    changed = bid.read_bytes().replace(b"}", b"}\n", 1)
    assert "procurement lead" in refused(ws.change_files, who["eve"], bids=[(bid.name, changed)], confirm=True)
    head = ws.head_stamp()
    preview = ws.change_files(who["lee"], bids=[(bid.name, changed)])
    assert ws.head_stamp() == head and not preview.applied
    assert preview.summary == ("Would replace carewell_services.json; 8 saved score(s) concern a replaced bid and "
                               "would be kept: check them against the new bid.")
    done = ws.change_files(who["lee"], bids=[(bid.name, changed)], confirm=True)
    assert done.applied and done.affected_scores == 8 and len(ws.scores()) == 47
    assert ws.audit_log()[["actor", "action"]].iloc[-1].tolist() == ["lee", "replace_file"]
    assert ws.verify().intact


def test_adding_a_bid_adds_a_bidder_and_a_rubric_must_keep_its_criterion_ids(ws, who):
    doc = json.loads((BIDS / "carewell_services.json").read_text())
    doc["bidder"] = "Newco Care Ltd"
    change = ws.change_files(who["lee"], bids=[("newco.json", json.dumps(doc).encode())], confirm=True)
    assert change.new_bidders == ["Newco Care Ltd"] and "Newco Care Ltd" in ws.bidders()
    assert change.summary == "Added newco.json (new bidder: Newco Care Ltd); no saved score is affected."
    text = RUBRIC.read_text()
    with pytest.raises(InputError, match="drops the criteria SVQ of the rubric it replaces"):
        ws.change_files(who["lee"], rubric=(RUBRIC.name, text.replace("id: SVQ", "id: SVX").encode()), confirm=True)
    renamed = text.replace("name: Social value delivery plan", "name: Social value plan")
    ws.change_files(who["lee"], rubric=(RUBRIC.name, renamed.encode()), confirm=True)
    assert [c["name"] for c in ws.criteria if c["id"] == "SVQ"] == ["Social value plan"]
    assert len(ws.scores()) == 47 and Workspace.open(ws.path).verify().intact
    with pytest.raises(InputError, match="would no longer hold the bid of Carewell"):
        ws.change_files(who["lee"], bids=[("carewell_services.json",
                                           (BIDS / "carewell_services.json").read_bytes().replace(b"Carewell", b"Other"))])


# ------------------------------------------------------------------------------ tampering
@pytest.mark.parametrize("statement, words", [
    ("UPDATE users SET role = 'lead' WHERE user = 'eve'", "users row eve holds"),
    ("UPDATE users SET hash = (SELECT hash FROM users WHERE user = 'lee') WHERE user = 'eve'", "users row eve holds"),
    ("INSERT INTO users VALUES ('mallory', 'lead', '', NULL, '2026-01-01')", "users row mallory is not in the audit log"),
    ("UPDATE declarations SET mitigation = 'self-approved' WHERE user = 'eve'", "declarations row eve holds"),
    ("DELETE FROM signin_failures", "signin_failures row eve recorded by this entry is missing"),
    ("DROP TABLE declarations", "the table 'declarations' the tool made was removed"),
])
def test_a_panel_table_edited_behind_the_tools_back_is_named(ws, who, statement, words):
    ws.declare(who["eve"], True, "conflict")
    with pytest.raises(SignInRefused):
        ws.sign_in("eve", "wrong password!")
    assert ws.verify().intact
    con = sqlite3.connect(ws.path)
    con.execute(statement)
    con.commit()
    con.close()
    report = Workspace.open(ws.path).verify()
    assert not report.intact and any(words in p.line() for p in report.problems), [p.line() for p in report.problems]


def test_all_panel_tables_dropped_is_named(ws, who):
    con = sqlite3.connect(ws.path)
    for t in PANEL_TABLES:
        con.execute(f"DROP TABLE {t}")
    con.commit()
    con.close()
    report = Workspace.open(ws.path).verify()
    assert "added the panel's tables (users, declarations, sign-in failures), which are gone" in report.first.line()


# ------------------------------------------------------------------------------ export and import
def test_export_and_import_keep_the_users_declarations_and_passwords(ws, who, tmp_path):
    ws.declare(who["eve"], True, "conflict")
    ws.mitigate(who["lee"], "eve", "handled")
    manifest = ws.export(tmp_path / "out")
    users_csv = (tmp_path / "out" / "users.csv").read_text()
    assert users_csv.splitlines()[0] == "user,role,email,added_at" and "$argon2" not in users_csv
    assert manifest["users"]["rows"] == 4 and manifest["credentials"]["path"] == "credentials.json"
    assert oct((tmp_path / "out" / "credentials.json").stat().st_mode & 0o777) == "0o600"
    copy = Workspace.import_export(tmp_path / "copy.sqlite", tmp_path / "out")
    pd.testing.assert_frame_equal(copy.users(), ws.users())
    pd.testing.assert_frame_equal(copy.declarations(), ws.declarations())
    assert copy.sign_in("eve", PASSWORDS["eve"]).role == EVALUATOR and copy.verify().intact
    with pytest.raises(SignInRefused):
        copy.sign_in("eve", PASSWORDS["lee"])


def test_an_import_refuses_credentials_changed_after_export(ws, who, tmp_path):
    ws.export(tmp_path / "out")
    creds_path = tmp_path / "out" / "credentials.json"
    creds = json.loads(creds_path.read_text())
    creds["users"]["eve"] = creds["users"]["lee"]  # eve would sign in with lee's password
    creds_path.write_text(json.dumps(creds))
    manifest_path = tmp_path / "out" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    import hashlib
    manifest["credentials"]["sha256"] = hashlib.sha256(creds_path.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(InputError, match="password hash of 'eve' does not match the fingerprint"):
        Workspace.import_export(tmp_path / "copy.sqlite", tmp_path / "out")
    assert not (tmp_path / "copy.sqlite").exists()


def test_an_export_without_a_panel_is_as_before(ws, tmp_path):
    manifest = ws.export(tmp_path / "out")
    assert "users" not in manifest and not (tmp_path / "out" / "users.csv").exists()


def test_a_new_proxy_table_replaces_the_old_one_and_the_evaluation_uses_it(ws, who):
    stored = [p for p in ws.files()["path"] if p.startswith("proxies/")][0]
    table = (RUBRIC.parent / "proxies" / Path(stored).name).read_bytes()
    change = ws.change_files(who["lee"], proxies=("my_values.csv", table), confirm=True)
    assert change.summary == "Replaced public_2025.csv with my_values.csv; no saved score is affected."
    assert ws.derived()["proxies_file"] == "proxies/my_values.csv"
    assert [p for p in ws.files()["path"] if p.startswith("proxies/")] == ["proxies/my_values.csv"]
    again = Workspace.open(ws.path)
    assert again.verify().intact and len(again.evaluate().results) == 6
