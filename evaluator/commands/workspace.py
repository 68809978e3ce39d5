"""`workspace` and `audit`: an evaluation kept in one SQLite file (init, score, export, import, complete,
status, rekey) and the check of its keyed audit chain."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..exceptions import EvaluatorError, Tampered
from ..terminal import shown
from .output import EXIT_AUDIT_BROKEN, EXIT_OK, EXIT_RETRY, print_json, text_table


def add_parsers(sub) -> None:
    w = sub.add_parser("workspace", help="an evaluation kept in one SQLite file: the tender's files, every score "
                                         "and rationale, and a hash-chained audit log")
    # the actions are parsed by the same class as the verbs: a mistake is one line and exit 2
    wsub = w.add_subparsers(dest="action", required=True, parser_class=type(w))
    i = wsub.add_parser("init", help="make a workspace from a rubric and a bids folder")
    i.add_argument("--db", required=True, type=Path, help="the workspace file to create (never overwritten)")
    i.add_argument("--rubric", required=True, type=Path, help="the tender's rubric (YAML)")
    i.add_argument("--bids", required=True, type=Path, help="folder of bids")
    i.add_argument("--proxies", type=Path, help="a proxy table (CSV) to use instead of the rubric's own")
    i.add_argument("--scores", type=Path, help="scores recorded so far (CSV); each goes into the audit log")
    i.add_argument("--by", default="workspace init", help="who is setting it up (for the audit log)")
    i.add_argument("--json", action="store_true", help="machine-readable output")
    s = wsub.add_parser("score", help="save one evaluator's score with its rationale (evaluator MODERATED for "
                                      "the panel's consensus)")
    s.add_argument("--db", required=True, type=Path)
    s.add_argument("--bidder", required=True)
    s.add_argument("--criterion", required=True, help="a scale or pass/fail criterion id of the rubric")
    s.add_argument("--evaluator", required=True, help="the evaluator's name, or MODERATED for the consensus")
    s.add_argument("--score", required=True, help="a value on the criterion's scale (pass or fail for a pass/fail "
                                                  "question)")
    s.add_argument("--lot", default="", help="the lot the bid is in (required when the tender has lots)")
    s.add_argument("--rationale", required=True, help="why: reg 31 needs an explanation for every score")
    s.add_argument("--by", help="who records it, if not the evaluator (e.g. the lead recording a consensus; a "
                                "workspace with users records the signed-in --user)")
    _sign_in_args(s)
    s.add_argument("--json", action="store_true")
    x = wsub.add_parser("export", help="write the tender files, scores.csv, the audit log (CSV) and a manifest "
                                       "of SHA-256 fingerprints into a new folder")
    x.add_argument("--db", required=True, type=Path)
    x.add_argument("--out", required=True, type=Path, help="a folder that does not exist yet (or is empty)")
    x.add_argument("--json", action="store_true")
    m = wsub.add_parser("import", help="make a new workspace from an export folder (fingerprints and audit "
                                       "chain verified)")
    m.add_argument("--db", required=True, type=Path, help="the workspace file to create")
    m.add_argument("--from", dest="source", required=True, type=Path, help="a folder made by `workspace export`")
    m.add_argument("--json", action="store_true")
    c = wsub.add_parser("complete", help="an evaluator marks their scoring complete (or --reopen): until then "
                                         "the app shows them only their own scores")
    c.add_argument("--db", required=True, type=Path)
    c.add_argument("--evaluator", required=True)
    c.add_argument("--reopen", action="store_true", help="take the mark back to change scores (the lead's, on a "
                                                          "workspace with users)")
    _sign_in_args(c)
    c.add_argument("--json", action="store_true")
    st_ = wsub.add_parser("status", help="moderation at a glance: who has finished, scores side by side with "
                                         "SV205, cells still needing a consensus, Kendall's W per question")
    st_.add_argument("--db", required=True, type=Path)
    st_.add_argument("--json", action="store_true")

    _user_parsers(wsub, type(w))
    dc = wsub.add_parser("declare", help="declare whether you have a conflict of interest (Procurement Act 2023 "
                                         "s81-83): an evaluator must, before scoring")
    dc.add_argument("--db", required=True, type=Path)
    what = dc.add_mutually_exclusive_group(required=True)
    what.add_argument("--no-conflict", action="store_true", help="you have no conflict of interest")
    what.add_argument("--conflict", help="what the conflict is (no scoring until the lead records a mitigation)")
    _sign_in_args(dc)
    dc.add_argument("--json", action="store_true")
    mi = wsub.add_parser("mitigate", help="the lead records how an evaluator's declared conflict is mitigated")
    mi.add_argument("--db", required=True, type=Path)
    mi.add_argument("--evaluator", required=True, help="whose conflict")
    mi.add_argument("--how", required=True, help="how it is mitigated (e.g. does not score that bid)")
    _sign_in_args(mi)
    mi.add_argument("--json", action="store_true")

    k = wsub.add_parser("rekey", help="key a workspace made before keyed chains (its chain checked unkeyed "
                                      "first); the next save does the same")
    k.add_argument("--db", required=True, type=Path)
    k.add_argument("--json", action="store_true")

    a = sub.add_parser("audit", help="verify a workspace's keyed audit chain, tables and settings, and its head "
                                     "against this machine's record: exit 0 intact, 1 tampered (the first broken "
                                     "thing is named)")
    a.add_argument("--db", required=True, type=Path)
    a.add_argument("--manifest", type=Path, help="an export's manifest.json: the file must not be behind its head")
    a.add_argument("--json", action="store_true")


def _sign_in_args(p) -> None:
    p.add_argument("--user", help="on a workspace with users: who you are (your password is asked for, or read "
                                  "from standard input with --password-stdin)")
    p.add_argument("--password-stdin", action="store_true", help="read the password as one line of standard input")


def _user_parsers(wsub, parser_class) -> None:
    u = wsub.add_parser("user", help="the panel's accounts: add, list, remove, reset (passwords are hashed with "
                                     "Argon2; the first user must be the procurement lead)")
    usub = u.add_subparsers(dest="user_action", required=True, parser_class=parser_class)
    a = usub.add_parser("add", help="add a user (password asked for twice, or --password-stdin)")
    a.add_argument("--db", required=True, type=Path)
    a.add_argument("--user", required=True, help="their user name (also the evaluator name on their scores)")
    a.add_argument("--role", required=True, help="lead, evaluator or observer")
    a.add_argument("--email", default="", help="their email, for OpenID Connect sign-in")
    a.add_argument("--password-stdin", action="store_true", help="read the password as one line of standard input")
    a.add_argument("--no-password", action="store_true", help="no password: signs in with OpenID Connect only "
                                                              "(needs --email)")
    a.add_argument("--json", action="store_true")
    ls = usub.add_parser("list", help="the users, their roles and emails (never a password)")
    ls.add_argument("--db", required=True, type=Path)
    ls.add_argument("--json", action="store_true")
    r = usub.add_parser("remove", help="take a user's account away (their scores and declaration stay on record)")
    r.add_argument("--db", required=True, type=Path)
    r.add_argument("--user", required=True)
    r.add_argument("--json", action="store_true")
    x = usub.add_parser("reset", help="give a user a new password (asked for twice, or --password-stdin)")
    x.add_argument("--db", required=True, type=Path)
    x.add_argument("--user", required=True)
    x.add_argument("--password-stdin", action="store_true", help="read the password as one line of standard input")
    x.add_argument("--no-password", action="store_true", help="no password: OpenID Connect only (needs an email)")
    x.add_argument("--json", action="store_true")


def _new_password(args) -> str | None:
    """A new password: one line of standard input, or typed twice at a prompt (never echoed, never logged)."""
    if getattr(args, "no_password", False):
        return None
    if args.password_stdin:
        return _stdin_password()
    import getpass
    try:
        first = getpass.getpass("New password: ")
        again = getpass.getpass("The same password again: ")
    except EOFError:
        raise EvaluatorError("no password typed (use --password-stdin to give it on standard input)",
                             field="password") from None
    if first != again:
        raise EvaluatorError("the two passwords typed differ: nothing was changed", field="password")
    return first


def _stdin_password() -> str:
    line = sys.stdin.readline()
    if not line:
        raise EvaluatorError("--password-stdin: standard input is empty (give the password as one line)",
                             field="password")
    return line.rstrip("\r\n")


def _signed_in(ws, args):
    """On a workspace with users, the --user signed in with their password (an Identity, via the command line);
    without users, None (the tool as before)."""
    from dataclasses import replace

    from ..panel import COMMAND_LINE, NotAllowed
    if not ws.has_users:
        if args.user:
            raise NotAllowed("this workspace has no users yet: leave out --user (or add users with "
                             "`workspace user add`)", field="--user", value=args.user)
        return None
    if not args.user:
        raise NotAllowed("this workspace has a panel of named users: sign in with --user NAME (your password is asked "
                         "for, or read with --password-stdin)", field="--user")
    if args.password_stdin:
        password = _stdin_password()
    else:
        import getpass
        try:
            password = getpass.getpass(f"Password for {args.user}: ")
        except EOFError:
            password = ""
    return replace(ws.sign_in(args.user, password), via=COMMAND_LINE)


def _cmd_user(args) -> int:
    from ..panel import COMMAND_LINE
    from ..workspace import Workspace
    ws = Workspace.open(args.db)
    act = args.user_action
    if act == "list":
        users = ws.users()
        if args.json:
            print_json(users.to_dict(orient="records"))
        elif users.empty:
            print(f"{ws.path}: no users yet (the first, the procurement lead: `workspace user add --db F --user NAME "
                  "--role lead`)")
        else:
            print(text_table([[shown(r.user), r.role, shown(r.email) or "-", r.added_at[:19].replace("T", " ")]
                              for r in users.itertuples(index=False)], ["User", "Role", "Email", "Added (UTC)"],
                             right=set()))
        return EXIT_OK
    if act == "add":
        password = _new_password(args)
        row = ws.add_user(args.user, args.role, password, email=args.email, actor=COMMAND_LINE)
        done = f"added {shown(row['user'])} ({row['role']})" + (f", email {shown(row['email'])}" if row["email"] else "")
    elif act == "remove":
        ws.remove_user(args.user, actor=COMMAND_LINE)
        row, done = {"user": args.user}, f"removed {shown(args.user)} (their scores and declaration stay on record)"
    else:
        ws.reset_password(args.user, _new_password(args), actor=COMMAND_LINE)
        row, done = {"user": args.user}, f"new password for {shown(args.user)}"
    if args.json:
        print_json({"db": str(ws.path), "action": act, **row})
    else:
        print(f"{ws.path}: {done} (recorded in the audit log)")
    return EXIT_OK


def _cmd_declare(args) -> int:
    from ..panel import NotAllowed
    from ..workspace import Workspace
    ws = Workspace.open(args.db)
    by = _signed_in(ws, args)
    if by is None:
        raise NotAllowed("declarations belong to named users: add the panel first (`workspace user add`)",
                         field="--user")
    if args.action == "declare":
        row = ws.declare(by, bool(args.conflict), args.conflict or "")
        done = (f"{shown(row['user'])} declared a conflict of interest (no scoring until the lead records how it is "
                "mitigated)" if row["conflict"] else f"{shown(row['user'])} declared no conflict of interest")
    else:
        row = ws.mitigate(by, args.evaluator, args.how)
        done = f"mitigation of {shown(args.evaluator)}'s conflict recorded by {shown(by.user)}"
    if args.json:
        print_json({"db": str(ws.path), **row})
    else:
        print(f"{ws.path}: {done} (recorded in the audit log)")
    return EXIT_OK


def _cmd_workspace(args) -> int:
    from ..workspace import Workspace, WorkspaceBusy
    if args.action == "user":
        return _cmd_user(args)
    if args.action in ("declare", "mitigate"):
        return _cmd_declare(args)
    try:
        if args.action == "init":
            ws = Workspace.create(args.db, args.rubric, args.bids, proxies_path=args.proxies,
                                  scores_path=args.scores, actor=args.by)
            n_scores, bidders = len(ws.scores()), ws.bidders()
            if args.json:
                print_json({"db": str(ws.path), "tender": ws.tender_id, "bidders": bidders,
                            "files": ws.files().to_dict(orient="records"), "scores": n_scores})
            else:
                print(f"Workspace {ws.path} for {ws.tender_id}: {len(bidders)} bids, {len(ws.files())} files "
                      f"fingerprinted, {n_scores} scores recorded.")
            return EXIT_OK
        if args.action == "score":
            ws = Workspace.open(args.db)
            by = _signed_in(ws, args)
            saved = ws.set_score(args.bidder, args.criterion, args.evaluator, args.score, args.rationale,
                                 actor=args.by, lot=args.lot, by=by)
            # reached only after COMMIT: the score is on disk before we say so
            if args.json:
                print_json({"saved": True, **saved})
            else:
                what = "unchanged (already saved)" if not saved["changed"] else f"audit entry {saved['seq']}"
                lot = f"lot {shown(saved['lot'])}: " if saved["lot"] else ""
                print(f"saved: {lot}{shown(saved['bidder'])} / {shown(saved['criterion'])} / {shown(saved['evaluator'])} = "
                      f"{saved['score']:g} ({what})")
            return EXIT_OK
        if args.action == "export":
            manifest = Workspace.open(args.db).export(args.out)
            if args.json:
                print_json(manifest)
            else:
                log = manifest["audit_log"]
                print(f"Exported {args.db} to {args.out}: {len(manifest['files'])} tender files, "
                      f"{manifest['scores']['rows']} scores, {log['entries']} audit entries "
                      f"(head {manifest['head']['short']}; last hash {log['head_hash'][:16]}…); fingerprints and "
                      "head in manifest.json.")
                if not log["intact"]:
                    print(f"warning: the audit log does not verify: {log['first_problem']}", file=sys.stderr)
            return EXIT_OK
        if args.action in ("complete", "status"):
            return _moderation(Workspace.open(args.db), args)
        if args.action == "rekey":
            ws = Workspace.open(args.db)
            done = ws.rekey()
            report = ws.verify()
            if args.json:
                print_json({"db": str(ws.path), "rekeyed": done, "chain": report.chain, "head": report.head})
            else:
                print(f"{ws.path}: " + ("keyed from now on" if done else "already keyed") + f" (chain {report.chain}; "
                      f"head {report.head})")
            return EXIT_OK
        ws = Workspace.import_export(args.db, args.source)
        report = ws.verify()
        if args.json:
            print_json({"db": str(ws.path), "tender": ws.tender_id, "entries": report.entries,
                        "intact": report.intact, "scores": len(ws.scores())})
        else:
            print(f"Imported {args.source} into {ws.path}: {len(ws.scores())} scores, {report.entries} audit "
                  "entries, chain verified.")
        return EXIT_OK
    except WorkspaceBusy as exc:
        print(f"busy: {exc.line()}", file=sys.stderr)
        if args.json:
            print_json({"saved": False, "retry": True, "message": exc.line()})
        return EXIT_RETRY


def _moderation(ws, args) -> int:
    if args.action == "complete":
        ws.set_complete(args.evaluator, not args.reopen, by=_signed_in(ws, args))
        state = "reopened" if args.reopen else "complete"
        if args.json:
            print_json({"evaluator": args.evaluator, "complete": not args.reopen})
        else:
            print(f"{shown(args.evaluator)}: scoring {state} (recorded in the audit log)")
        return EXIT_OK
    scores = ws.scores()
    table, agree = _panel_tables(ws, scores)
    people = ws.evaluators()
    panel = ws.panel_status()
    has_panel = ws.has_users or bool(panel["declared"].any())
    if args.json:
        def records(df):
            return json.loads(df.to_json(orient="records"))
        print_json({"tender": ws.tender_id, "evaluators": records(people[["evaluator", "complete"]]),
                    "cells": records(table), "agreement": records(agree),
                    **({"panel": records(panel)} if has_panel else {})})
        return EXIT_OK
    print(f"{ws.tender_id}: {len(people)} evaluators; scoring complete: "
          + (", ".join(map(shown, people[people["complete"]]["evaluator"])) or "nobody yet"))
    if has_panel:
        print("\nThe panel: declarations of interest (Procurement Act 2023 s81-83) and submissions")
        print(text_table([[shown(r.user), r.role or "-", _declared_text(r), _submitted_text(r), str(r.scores)]
                          for r in panel.itertuples(index=False)],
                         ["User", "Role", "Declaration", "Submitted", "Scores"], right={4}))
        print()
    rows = []
    lotted = ws.lotted
    for r in table.to_dict("records"):  # evaluator names are columns: not identifiers
        marks = ", ".join(f"{shown(e)} {r[e]:g}" for e in people["evaluator"] if e in r and r[e] == r[e])
        rows.append(([shown(r["lot"])] if lotted else []) + [shown(r["bidder"]), shown(r["criterion"]), marks or "-",
                     "-" if r["moderated"] != r["moderated"] else f"{r['moderated']:g}",
                     "SV205" if r["SV205"] else "", r["status"]])
    print(text_table(rows, (["Lot"] if lotted else []) + ["Bid", "Question", "Scores", "Consensus", "Flag", "Status"],
                     right=set()))
    print("\nAgreement per question (Kendall's W, corrected for ties):")
    for a in agree.itertuples(index=False):
        w = "-" if a.W != a.W else f"{a.W:.3f}"
        print(f"  {(shown(a.lot) + ' ') if lotted else ''}{a.criterion}: W {w} over {a.bids} bids and "
              f"{a.evaluators} evaluators: {a.reading}" + (f" ({a.note})" if a.note else ""))
    return EXIT_OK


def _declared_text(r) -> str:
    if not r.declared:
        return "not yet declared"
    if not r.conflict:
        return "no conflict"
    return f"conflict, mitigated: {shown(r.mitigation)}" if r.mitigation else "conflict, NOT yet mitigated (cannot score)"


def _submitted_text(r) -> str:
    return f"submitted {str(r.submitted_at)[:16].replace('T', ' ')} UTC" if r.submitted else "not yet"


def _panel_tables(ws, scores):
    """Scores side by side and Kendall's W per question: as before for a tender without lots; with lots,
    per lot (its own bids), each row naming its lot. Each criterion is read on its own scale."""
    import pandas as pd

    from .. import moderation
    if not ws.lotted and not any(c.get("scale") or c.get("kind") == "pass_fail" for c in ws.criteria):
        return (moderation.side_by_side(scores, ws.scale, ws.bidders(), ws.criteria),
                moderation.agreement(scores, ws.criteria, ws.bidders()))
    bids = ws.bids()
    tables, agree = [], []
    for lot in (ws.lots or [""]):
        bidders = bids.loc[bids["lot"] == lot, "bidder"].tolist()
        mine = scores[scores["lot"] == lot]
        for c in ws.criteria:
            t = moderation.side_by_side(mine, ws.criterion_scale(c["id"]), bidders, [c])
            tables.append(t.assign(lot=lot)[["lot"] + list(t.columns)])
        a = moderation.agreement(mine, ws.criteria, bidders)
        agree.append(a.assign(lot=lot)[["lot"] + list(a.columns)])
    if not tables:
        return pd.DataFrame(columns=["lot", "bidder", "criterion", "moderated", "SV205", "status"]), \
            pd.concat(agree, ignore_index=True)
    table = pd.concat(tables, ignore_index=True)
    lot_at = {lot: i for i, lot in enumerate(ws.lots or [""])}
    bidder_at = {b: i for i, b in enumerate(ws.bidders())}
    place = pd.DataFrame({"l": table["lot"].map(lot_at), "b": table["bidder"].map(bidder_at)})
    table = table.loc[place.sort_values(["l", "b"], kind="stable").index].reset_index(drop=True)
    return table, pd.concat(agree, ignore_index=True)


def _cmd_audit(args) -> int:
    from ..documents import load_json
    from ..workspace import Workspace
    manifest = None
    if args.manifest is not None:
        manifest = load_json(args.manifest)
        if not isinstance(manifest, dict):
            raise EvaluatorError("is not a workspace export's manifest", file=args.manifest, field="--manifest")
    try:
        report = Workspace.open(args.db).verify(manifest)
    except Tampered as exc:  # so broken it cannot even be read as a workspace: the first broken thing, named
        if args.json:
            print_json({"db": str(args.db), "intact": False, "entries": None, "head_hash": None,
                        "first_broken": {"seq": None, "message": exc.line()}, "problems": [exc.line()]})
        else:
            print(f"tampered: {exc.line()}")
        return EXIT_AUDIT_BROKEN
    if report.unchecked and report.intact:
        raise EvaluatorError(f"{report.unchecked} (its contents, names, settings and fingerprints were checked and "
                             "are consistent)", file=args.db)
    compared = ("; head compared with " + " and ".join(report.compared)) if report.compared else ""
    chain = {"keyed": "keyed chain",
             "unkeyed": "made before keyed chains: chain checked unkeyed (anyone with the file could recompute it); "
                        "the next save, or `workspace rekey`, keys it"}.get(
        report.chain, f"{report.chain} (made before keyed chains: entries before it checked unkeyed)")
    if args.json:
        print_json({"db": str(args.db), "intact": report.intact, "entries": report.entries,
                    "head_hash": report.head_hash, "head": report.head, "chain": report.chain,
                    "workspace_id": report.workspace_id, "compared_with": report.compared,
                    "first_broken": None if report.intact else {"seq": report.first.seq, "message": report.first.line()},
                    "problems": [p.line() for p in report.problems]})
    elif report.intact:
        print(f"intact: {report.entries} audit entries verified ({chain}); every table matches the log "
              f"(head {report.head}; last hash {report.head_hash[:16]}…){compared}")
    else:
        print(f"tampered: {report.first.line()}")
        if len(report.problems) > 1:
            print(f"({len(report.problems) - 1} more problem(s) after it)")
    return EXIT_OK if report.intact else EXIT_AUDIT_BROKEN


VERBS = {"workspace": _cmd_workspace, "audit": _cmd_audit}
