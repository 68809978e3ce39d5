"""`python -m evaluator <verb>`: the command line a commissioner, evaluator or supplier uses (DESIGN.md 7).

Exit 0 on success, 2 on bad input (one line per problem, naming file, row or key, field and value),
never a traceback. Every verb takes --json for scripts.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional, Sequence

import pandas as pd

from .exceptions import EvaluatorError, InputErrors, Tampered
from .terminal import UNSAFE, SafeStream, shown
from .formatting import gbp
from .tuning import widen_pipe

EXIT_OK, EXIT_BUG, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line and exit 2, as for any bad input
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m evaluator",
                description="Evaluate social-value bids two ways: the figures they claim, and what they "
                            "credibly contribute to the outcomes the buyer designed.")
    sub = p.add_subparsers(dest="verb", required=True, parser_class=_Parser)

    def common(sp: argparse.ArgumentParser, rubric_required: bool = True) -> None:
        sp.add_argument("--rubric", required=rubric_required, type=Path, help="the tender's rubric (YAML)")
        sp.add_argument("--proxies", type=Path, help="a proxy table (CSV) to use instead of the rubric's own")
        sp.add_argument("--json", action="store_true", help="machine-readable output")

    e = sub.add_parser("evaluate", help="score and rank every bid under both lenses")
    common(e, rubric_required=False)
    e.add_argument("--bids", type=Path, help="folder of bids (one file per bid, or bulk CSVs)")
    e.add_argument("--db", type=Path, help="a workspace (from `workspace init`): its files and scores are used")
    e.add_argument("--scores", type=Path, help="evaluator scores CSV (bidder,criterion,evaluator,score,rationale)")
    e.add_argument("--skip-invalid", action="store_true",
                   help="rank the good bids even if some bid files have problems (they are listed as skipped)")

    x = sub.add_parser("explain", help="the working behind every number for one bid")
    common(x)
    x.add_argument("--bids", required=True, type=Path)
    x.add_argument("--scores", type=Path)
    x.add_argument("--bidder", required=True, help="the bidder's name as in its bid")
    x.add_argument("--skip-invalid", action="store_true")

    c = sub.add_parser("check", help="a supplier's self-assessment of one draft bid (or, without --bid, the "
                                     "buyer's checks on the rubric's design)")
    common(c)
    c.add_argument("--bid", type=Path, help="the draft bid: YAML, JSON or a filled XLSX template")
    c.add_argument("--best-claimed", type=float,
                   help="the best claimed £ you expect in the field, for the figures lens (default: your own)")
    c.add_argument("--pdf", type=Path, help="also write the self-assessment as a PDF report to this file")

    rp = sub.add_parser("report", help="write the evaluation report (PDF), one assessment summary (PDF) per "
                                       "bidder and the results workbook (XLSX) into a folder")
    common(rp, rubric_required=False)
    rp.add_argument("--bids", type=Path)
    rp.add_argument("--db", type=Path, help="a workspace: its files and scores are used, and its head is printed")
    rp.add_argument("--scores", type=Path, help="evaluator scores CSV (bidder,criterion,evaluator,score,rationale)")
    rp.add_argument("--out", required=True, type=Path, help="folder to write into (created if missing)")
    rp.add_argument("--skip-invalid", action="store_true")

    t = sub.add_parser("template", help="write the supplier bid template (XLSX) for a rubric")
    common(t)
    t.add_argument("--out", required=True, type=Path, help="where to write the .xlsx")
    _workspace_parsers(sub, common)
    _review_parsers(sub, common)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    # supplier text (names, descriptions, file names) is printed as text: control characters escaped
    # (terminal.py); each renderer escapes the fields it prints, and this is the last line of defence
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(out), SafeStream(err)
    try:
        return _main(_parser().parse_args(argv))
    finally:
        sys.stdout, sys.stderr = out, err


def _main(args) -> int:
    try:
        return _VERBS[args.verb](args)
    except EvaluatorError as exc:
        return _fail(exc, args)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the user sees a sentence, not a traceback
        print(f"error: unexpected problem inside the tool ({type(exc).__name__}: {shown(exc)}); please report it "
              "with the files you used", file=sys.stderr)
        return EXIT_BUG


def _fail(exc: EvaluatorError, args) -> int:
    errors = exc.errors if isinstance(exc, InputErrors) else [exc]
    tampered = isinstance(exc, Tampered)  # a workspace changed behind the tool's back: named, exit 1 as `audit`
    for e in errors:
        print(f"{'tampered' if tampered else 'error'}: {shown(e.line())}", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"errors": [e.as_dict() for e in errors]}, indent=2, ensure_ascii=False))
    return EXIT_AUDIT_BROKEN if tampered else EXIT_BAD_INPUT


def _load_tender(args, *, bids: bool = True):
    from .bids import load_bids
    from .evaluation import evaluate
    from .rubric import load_rubric
    from .scoring import load_scores

    if getattr(args, "db", None):  # a workspace holds its own copies of the files and the scores
        from .scoring import SCORE_COLUMNS
        from .workspace import Workspace
        ws = Workspace.open(args.db)
        args.workspace_head = head = ws.check()  # a tampered workspace is named (exit 1), never evaluated
        if head.unchecked:
            print(f"note: {args.db}: {head.unchecked}; its contents were checked, its chain's hashes were not",
                  file=sys.stderr)
        rubric, bidset = ws.load_tender()
        return rubric, bidset, evaluate(rubric, bidset, ws.scores()[SCORE_COLUMNS + ["_row"]])
    if args.rubric is None or args.bids is None:
        raise EvaluatorError("give --rubric and --bids (and optionally --scores), or --db with a workspace",
                             field="--rubric" if args.rubric is None else "--bids")
    rubric = load_rubric(args.rubric, proxies_path=args.proxies)
    bidset = load_bids(args.bids, rubric)
    if bidset.problems and not args.skip_invalid:
        tail = (f"{len(bidset.skipped)} bid(s) have problems; fix them, or pass --skip-invalid to rank the rest"
                if bidset.skipped else "the bids cannot be loaded until the problems above are fixed")
        raise InputErrors(bidset.problems + [EvaluatorError(tail, file=args.bids)])
    if bidset.bids.empty:
        raise EvaluatorError("no usable bids: every bid has problems", file=args.bids)
    scores = None
    if args.scores:
        # a skipped bid's scores are still the panel's record: accepted, just not used in the ranking
        skipped = [s["bidder"] for s in bidset.skipped if s["bidder"]]
        scores = load_scores(args.scores, rubric, bidset.bidders + skipped)
        scores = scores[scores["bidder"].isin(bidset.bidders)].reset_index(drop=True)
    return rubric, bidset, evaluate(rubric, bidset, scores)


def _report_skipped(bidset) -> None:
    for note in getattr(bidset, "notes", ()):  # how a file was read (a CSV saved from Excel as Windows-1252)
        print(f"note: {note}", file=sys.stderr)
    if not bidset.skipped:
        return
    for p in bidset.problems:
        print(f"warning: {shown(p.line())}", file=sys.stderr)
    for s in bidset.skipped:
        print(f"skipped: {shown(s['file'])} ({shown(s['bidder'] or 'no bidder name')}): not ranked because of the "
              "problems above",
              file=sys.stderr)


def _cmd_evaluate(args) -> int:
    rubric, bidset, ev = _load_tender(args)
    _report_skipped(bidset)
    if args.json:
        sys.stdout.flush()
        widen_pipe(sys.stdout)
        ev.write_json(sys.stdout.buffer)  # streamed: a bulk tender's 200+ MB is never held whole
        sys.stdout.buffer.write(b"\n")
        sys.stdout.buffer.flush()
        return EXIT_OK
    print(render_ranking(ev))
    return EXIT_OK


def _cmd_explain(args) -> int:
    rubric, bidset, ev = _load_tender(args)
    _report_skipped(bidset)
    tables = ev.explain(args.bidder)
    if args.json:
        _print_json({"tender": rubric.tender.id, "bidder": args.bidder,
                     "tables": {k: json.loads(v.to_json(orient="records")) for k, v in tables.items()}})
        return EXIT_OK
    titles = {
        "marks": "Marks: the inputs and the sum", "price": "Price (6.1)", "scale": "Scale criteria (6.2)",
        "claimed": "Figures lens: what was claimed", "checks": "Flags", "credit": "What the design lens credits",
        "net_quantity": "Net quantity towards the buyer's outcomes (6.3)", "attainment": "Attainment (6.3)",
        "valuation": "Validated £ per commitment (6.4)", "by_year": "Validated £ year by year (6.4)",
        "walk_by_commitment": "From claimed £ to credited £, per commitment", "walk": "From claimed £ to credited £",
    }
    with pd.option_context("display.width", 200, "display.max_columns", 40, "display.max_colwidth", 60,
                           "display.max_rows", 500):
        for key, table in tables.items():
            print(f"\n== {titles.get(key, key)} ==")
            print("(none)" if table.empty else _shown_frame(table).to_string(index=False))
    return EXIT_OK


def _cmd_check(args) -> int:
    from .bids import load_bid
    from .design_checks import check_rubric
    from .evaluation import self_assess, self_assessment_json, _flag_records
    from .rubric import load_rubric

    rubric = load_rubric(args.rubric, proxies_path=args.proxies)
    if args.bid is None:
        flags = check_rubric(rubric)
        if args.json:
            _print_json({"tender": rubric.tender.id, "social_value_weight": rubric.social_value_weight,
                         "rubric_flags": _flag_records(flags)})
        else:
            print(render_rubric_check(rubric, flags))
        return EXIT_OK
    if args.best_claimed is not None and not (args.best_claimed >= 0 and args.best_claimed < float("inf")):
        raise EvaluatorError("must be a finite £ amount, 0 or more", field="--best-claimed", value=args.best_claimed)
    if args.pdf is not None:
        _check_pdf_path(args.pdf)
    bidset = load_bid(args.bid, rubric).require_valid()
    sa = self_assess(rubric, bidset, args.best_claimed)
    if args.pdf is not None:
        from .report import self_assessment_pdf, write_file
        write_file(args.pdf, self_assessment_pdf(sa, rubric))
        if not args.json:
            print(f"Wrote the self-assessment report to {args.pdf}", file=sys.stderr)
    if args.json:
        _print_json(self_assessment_json(sa, rubric))
    else:
        print(render_self_assessment(sa, rubric))
    return EXIT_OK


def _cmd_template(args) -> int:
    from .rubric import load_rubric
    from .template import write_template

    rubric = load_rubric(args.rubric, proxies_path=args.proxies)
    if args.out.suffix.lower() != ".xlsx":
        raise EvaluatorError("the template is an Excel workbook: give a file name ending .xlsx", field="--out",
                             value=str(args.out))
    if not args.out.parent.exists():
        raise EvaluatorError("the folder to write into does not exist", field="--out", value=str(args.out))
    path = write_template(rubric, args.out)
    if args.json:
        _print_json({"tender": rubric.tender.id, "template": str(path)})
    else:
        print(f"Wrote the bid template for {rubric.tender.id} ({rubric.tender.title}) to {path}.\n"
              "Suppliers fill the sheets Bid, Responses and Commitments; the Outcomes and Measures sheets list "
              "what the buyer wants and the measure codes to use.")
    return EXIT_OK


def _check_pdf_path(path: Path) -> None:
    if path.suffix.lower() != ".pdf":
        raise EvaluatorError("the report is a PDF: give a file name ending .pdf", field="--pdf", value=str(path))
    if not path.parent.exists() or not path.parent.is_dir():
        raise EvaluatorError("the folder to write into does not exist", field="--pdf", value=str(path))
    if path.is_dir():
        raise EvaluatorError("is a folder: give a file name ending .pdf", field="--pdf", value=str(path))


def _cmd_report(args) -> int:
    from .report import Inputs, check_out_dir, write_report_set
    check_out_dir(args.out)  # an unwritable folder is found before the tender is read
    rubric, bidset, ev = _load_tender(args)
    _report_skipped(bidset)
    head = getattr(args, "workspace_head", None)
    made = write_report_set(ev, args.out, Inputs(scores_path=args.scores,
                                                 options={"skip_invalid": bool(args.skip_invalid)},
                                                 workspace=None if head is None else {
                                                     "file": str(args.db), "entries": head.entries,
                                                     "head_hash": head.head_hash, "head": head.head,
                                                     "chain": head.chain}))
    files = [made.evaluation_report, *made.summaries.values(), made.workbook]
    if args.json:
        _print_json({"tender": rubric.tender.id, "evaluation_report": str(made.evaluation_report),
                     "assessment_summaries": {b: str(p) for b, p in made.summaries.items()},
                     "workbook": str(made.workbook)})
    else:
        print(f"Wrote {len(files)} files for {rubric.tender.id} ({rubric.tender.title}) to {args.out}:")
        for f in files:
            print(f"  {f.name}")
    return EXIT_OK


_VERBS = {"evaluate": _cmd_evaluate, "explain": _cmd_explain, "check": _cmd_check, "template": _cmd_template,
          "report": _cmd_report}


# ------------------------------------------------------------------ workspace, audit, sensitivity (issue 5)
EXIT_AUDIT_BROKEN, EXIT_RETRY = 1, 75  # 75: EX_TEMPFAIL, "busy: nothing saved, try again"


def _workspace_parsers(sub, common) -> None:
    w = sub.add_parser("workspace", help="an evaluation kept in one SQLite file: the tender's files, every score "
                                         "and rationale, and a hash-chained audit log")
    wsub = w.add_subparsers(dest="action", required=True, parser_class=_Parser)
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
    s.add_argument("--criterion", required=True, help="a scale criterion id of the rubric")
    s.add_argument("--evaluator", required=True, help="the evaluator's name, or MODERATED for the consensus")
    s.add_argument("--score", required=True, help="a value on the rubric's scale")
    s.add_argument("--rationale", required=True, help="why: reg 31 needs an explanation for every score")
    s.add_argument("--by", help="who records it, if not the evaluator (e.g. the lead recording a consensus)")
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
    c.add_argument("--reopen", action="store_true", help="take the mark back to change scores")
    c.add_argument("--json", action="store_true")
    st_ = wsub.add_parser("status", help="moderation at a glance: who has finished, scores side by side with "
                                         "SV205, cells still needing a consensus, Kendall's W per question")
    st_.add_argument("--db", required=True, type=Path)
    st_.add_argument("--json", action="store_true")

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

    v = sub.add_parser("sensitivity", help="how safe the winner is: win and rank probabilities over random "
                                           "draws, and exact switching values for each weight")
    common(v, rubric_required=False)
    v.add_argument("--bids", type=Path)
    v.add_argument("--scores", type=Path)
    v.add_argument("--db", type=Path, help="a workspace: its rubric, bids and scores are used")
    v.add_argument("--draws", type=int, default=10_000, help="number of draws (default 10000)")
    v.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same numbers")
    v.add_argument("--lens", choices=["design", "figures"], help="the lens that awards (default: the rubric's)")
    v.add_argument("--concentration", type=float, default=100.0,
                   help="Dirichlet concentration of the weights around the published ones (default 100; larger "
                        "is closer)")
    v.add_argument("--deflator-range", type=float, default=0.10,
                   help="deadweight, attribution and displacement drawn within ± this (default 0.10)")
    v.add_argument("--evidence-range", type=float, default=0.10,
                   help="each evidence factor drawn within ± this (default 0.10)")
    v.add_argument("--skip-invalid", action="store_true")


def _cmd_workspace(args) -> int:
    from .workspace import Workspace, WorkspaceBusy
    try:
        if args.action == "init":
            ws = Workspace.create(args.db, args.rubric, args.bids, proxies_path=args.proxies,
                                  scores_path=args.scores, actor=args.by)
            n_scores, bidders = len(ws.scores()), ws.bidders()
            if args.json:
                _print_json({"db": str(ws.path), "tender": ws.tender_id, "bidders": bidders,
                             "files": ws.files().to_dict(orient="records"), "scores": n_scores})
            else:
                print(f"Workspace {ws.path} for {ws.tender_id}: {len(bidders)} bids, {len(ws.files())} files "
                      f"fingerprinted, {n_scores} scores recorded.")
            return EXIT_OK
        if args.action == "score":
            ws = Workspace.open(args.db)
            saved = ws.set_score(args.bidder, args.criterion, args.evaluator, args.score, args.rationale,
                                 actor=args.by)
            # reached only after COMMIT: the score is on disk before we say so
            if args.json:
                _print_json({"saved": True, **saved})
            else:
                what = "unchanged (already saved)" if not saved["changed"] else f"audit entry {saved['seq']}"
                print(f"saved: {shown(saved['bidder'])} / {shown(saved['criterion'])} / {shown(saved['evaluator'])} = "
                      f"{saved['score']:g} ({what})")
            return EXIT_OK
        if args.action == "export":
            manifest = Workspace.open(args.db).export(args.out)
            if args.json:
                _print_json(manifest)
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
            return _workspace_moderation(Workspace.open(args.db), args)
        if args.action == "rekey":
            ws = Workspace.open(args.db)
            done = ws.rekey()
            report = ws.verify()
            if args.json:
                _print_json({"db": str(ws.path), "rekeyed": done, "chain": report.chain, "head": report.head})
            else:
                print(f"{ws.path}: " + ("keyed from now on" if done else "already keyed") + f" (chain {report.chain}; "
                      f"head {report.head})")
            return EXIT_OK
        ws = Workspace.import_export(args.db, args.source)
        report = ws.verify()
        if args.json:
            _print_json({"db": str(ws.path), "tender": ws.tender_id, "entries": report.entries,
                         "intact": report.intact, "scores": len(ws.scores())})
        else:
            print(f"Imported {args.source} into {ws.path}: {len(ws.scores())} scores, {report.entries} audit "
                  "entries, chain verified.")
        return EXIT_OK
    except WorkspaceBusy as exc:
        print(f"busy: {exc.line()}", file=sys.stderr)
        if args.json:
            _print_json({"saved": False, "retry": True, "message": exc.line()})
        return EXIT_RETRY


def _workspace_moderation(ws, args) -> int:
    from . import moderation
    if args.action == "complete":
        ws.set_complete(args.evaluator, not args.reopen)
        state = "reopened" if args.reopen else "complete"
        if args.json:
            _print_json({"evaluator": args.evaluator, "complete": not args.reopen})
        else:
            print(f"{shown(args.evaluator)}: scoring {state} (recorded in the audit log)")
        return EXIT_OK
    scores = ws.scores()
    table = moderation.side_by_side(scores, ws.scale, ws.bidders(), ws.criteria)
    agree = moderation.agreement(scores, ws.criteria, ws.bidders())
    people = ws.evaluators()
    if args.json:
        def records(df):
            return json.loads(df.to_json(orient="records"))
        _print_json({"tender": ws.tender_id, "evaluators": records(people[["evaluator", "complete"]]),
                     "cells": records(table), "agreement": records(agree)})
        return EXIT_OK
    print(f"{ws.tender_id}: {len(people)} evaluators; scoring complete: "
          + (", ".join(map(shown, people[people["complete"]]["evaluator"])) or "nobody yet"))
    rows = []
    for r in table.to_dict("records"):  # evaluator names are columns: not identifiers
        marks = ", ".join(f"{shown(e)} {r[e]:g}" for e in people["evaluator"] if e in r and r[e] == r[e])
        rows.append([shown(r["bidder"]), shown(r["criterion"]), marks or "-",
                     "-" if r["moderated"] != r["moderated"] else f"{r['moderated']:g}",
                     "SV205" if r["SV205"] else "", r["status"]])
    print(_table(rows, ["Bid", "Question", "Scores", "Consensus", "Flag", "Status"], right=set()))
    print("\nAgreement per question (Kendall's W, corrected for ties):")
    for a in agree.itertuples(index=False):
        w = "-" if a.W != a.W else f"{a.W:.3f}"
        print(f"  {a.criterion}: W {w} over {a.bids} bids and {a.evaluators} evaluators: {a.reading}"
              + (f" ({a.note})" if a.note else ""))
    return EXIT_OK


def _cmd_audit(args) -> int:
    from .documents import load_json
    from .workspace import Workspace
    manifest = None
    if args.manifest is not None:
        manifest = load_json(args.manifest)
        if not isinstance(manifest, dict):
            raise EvaluatorError("is not a workspace export's manifest", file=args.manifest, field="--manifest")
    try:
        report = Workspace.open(args.db).verify(manifest)
    except Tampered as exc:  # so broken it cannot even be read as a workspace: the first broken thing, named
        if args.json:
            _print_json({"db": str(args.db), "intact": False, "entries": None, "head_hash": None,
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
        _print_json({"db": str(args.db), "intact": report.intact, "entries": report.entries,
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


def _cmd_sensitivity(args) -> int:
    from . import sensitivity
    if args.db:
        if args.rubric or args.bids or args.scores:
            print("note: --db given: the workspace's rubric, bids and scores are used; --rubric, --bids and "
                  "--scores are ignored", file=sys.stderr)
    elif args.scores is None:
        raise EvaluatorError("give --scores (the evaluators' scores CSV), or --db with a workspace", field="--scores")
    rubric, bidset, ev = _load_tender(args)
    _report_skipped(bidset)
    result = sensitivity.analyse(ev, args.draws, args.seed, lens=args.lens, concentration=args.concentration,
                                 deflator_range=args.deflator_range, evidence_range=args.evidence_range)
    if args.json:
        _print_json(result.to_json())
    else:
        print(sensitivity.render(result))
    return EXIT_OK


_VERBS.update({"workspace": _cmd_workspace, "audit": _cmd_audit, "sensitivity": _cmd_sensitivity})


def _print_json(doc: dict) -> None:
    """orjson: a bulk tender's JSON runs to hundreds of MB, and the standard library takes seconds."""
    import orjson
    sys.stdout.flush()
    sys.stdout.buffer.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))
    sys.stdout.buffer.write(b"\n")
    sys.stdout.buffer.flush()


# ------------------------------------------------------------------------------------------- text output
def _shown_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A table to print: every text cell and column name with its control characters escaped."""
    out = table.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("str", "string"):
            bad = out[col].map(lambda v: isinstance(v, str) and UNSAFE.search(v) is not None).astype(bool)
            if bad.any():  # only those cells change: the rest print exactly as before
                out[col] = out[col].where(~bad, out[col][bad].map(shown))
    out.columns = [shown(c) if isinstance(c, str) else c for c in out.columns]
    return out


def _table(rows: list[list[str]], headers: list[str], right: set[int]) -> str:
    rows = [[shown(c) for c in r] for r in rows]  # one line per row, whatever a name holds
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)] if rows else [len(h) for h in headers]
    def line(cells):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _mark(v) -> str:
    return "-" if v is None or v != v else f"{v:.2f}"


def _rank(v) -> str:
    return "-" if v is None or v is pd.NA or v != v else str(int(v))


def render_ranking(ev) -> str:
    r = ev.results.copy()
    official, other = ev.official_lens, ev.other_lens
    r["_order"] = r["rank"].astype("Float64").fillna(10**9)
    r = r.sort_values(["_order", "total"], ascending=[True, False])
    t = ev.rubric.tender
    head = [shown(f"{t.id}  {t.title}" + (f"  ({t.buyer})" if t.buyer else "")),
            f"Official lens: {official}; the {other} lens is shown beside it for comparison. "
            f"{len(r)} bids ranked out of 100 marks."]
    rows = []
    for b in r.itertuples(index=False):
        counts = ev.flags[ev.flags["bidder"] == b.bidder]["severity"].value_counts()
        flags = ", ".join(f"{counts.get(s, 0)} {s}{'s' if counts.get(s, 0) != 1 else ''}"
                          for s in ("error", "warning", "info") if counts.get(s, 0))
        rows.append([_rank(b.rank) if b.eligible else "DQ", b.bidder, _mark(b.total), _mark(b.price_score),
                     _mark(b.quality_score), _mark(b.social_value_score), _rank(getattr(b, f"{other}_rank")),
                     gbp(b.claimed_value), gbp(b.credited_value), ("" if b.complete else "incomplete; ") + (flags or "none")])
    table = _table(rows, ["Rank", "Bidder", "Total", "Price", "Quality", "Social value", f"{other.title()} rank",
                          "Claimed £", "Credited £", "Flags"], right={0, 2, 3, 4, 5, 6, 7, 8})
    out = head + ["", table, ""]
    w_off, w_oth = ev.winner(official), ev.winner(other)
    if w_off and w_oth and w_off != w_oth:
        out.append(f"The winner changes with the lens: {shown(w_off)} under the {official} lens, {shown(w_oth)} under "
                   f"the {other} lens.")
    elif w_off:
        out.append(f"{shown(w_off)} wins under both lenses.")
    dq = r[~r["eligible"]]
    for b in dq.itertuples(index=False):
        reasons = ev.flags[(ev.flags["bidder"] == b.bidder) & (ev.flags["code"] == "SV203")]["message"]
        out.append(f"Disqualified: {shown(b.bidder)}: " + "; ".join(shown(x) for x in reasons))
    if ev.bidset.skipped:
        out.append("Skipped (problems in the files): " + ", ".join(
            shown(f"{s['bidder'] or '?'} ({Path(s['file']).name})") for s in ev.bidset.skipped))
    if not ev.rubric_flags.empty:
        out += ["", "Design checks on the rubric:"]
        out += [f"  {f.code} {f.name} ({f.severity}): {shown(f.message)}" for f in ev.rubric_flags.itertuples(index=False)]
    out += ["", "Flags by bid (error: not credited in the design lens; warning: credited but questioned; info):"]
    for b in r.itertuples(index=False):
        f = ev.flags[ev.flags["bidder"] == b.bidder]
        out.append(f"\n{shown(b.bidder)}" + ("" if len(f) else ": no flags"))
        for sev in ("error", "warning", "info"):
            g = f[f["severity"] == sev]
            if g.empty:
                continue
            out.append(f"  {sev}s ({len(g)})" if len(g) != 1 else f"  {sev} (1)")
            for x in g.itertuples(index=False):
                where = x.commitment if isinstance(x.commitment, str) else (x.criterion if isinstance(x.criterion, str) else "bid")
                out.append(f"    {x.code} {x.name} [{shown(where)}]: {shown(x.message)}")
    return "\n".join(out)


def render_self_assessment(sa: dict, rubric) -> str:
    t = rubric.tender
    sv = rubric.sv_criterion
    out = [f"Self-assessment of {shown(sa['bidder'])} against {shown(t.id)} {shown(t.title)}",
           f"Official lens: {rubric.official_lens}. The buyer runs these same checks on every bid.", ""]
    if sv is not None:
        out.append(f"Social-value marks you could expect for {shown(sv.id)} ({shown(sv.name or sv.id)}, {sv.weight:g} marks):")
        out.append(f"  design lens:  {sa['design_score']:.2f}  (priority-weighted attainment of the buyer's outcomes "
                   f"{sa['design_fraction']:.1%})" + ("  <- official" if rubric.official_lens == "design" else ""))
        out.append(f"  figures lens: {sa['figures_score']:.2f}  (your claimed {gbp(sa['claimed_value'])} against a best "
                   f"claim of {gbp(sa['best_claimed'])}; pass --best-claimed to try another)"
                   + ("  <- official" if rubric.official_lens == "figures" else ""))
    sv_scale = [c for c in rubric.scale_criteria if c.social_value]
    if sv_scale:
        out.append("  plus the panel's score for " + ", ".join(f"{shown(c.id)} ({c.weight:g} marks)" for c in sv_scale))
    out += ["", f"Claimed {gbp(sa['claimed_value'])}; the design lens credits {gbp(sa['credited_value'])} "
                "(validated, net, evidenced, discounted)."]
    walk = sa["walk"]
    for step in walk.itertuples(index=False):
        if step.amount == step.amount and abs(step.amount) >= 0.5:
            out.append(f"  {shown(step.step)}: {gbp(step.amount)}")
    att = sa["attainment"]
    if len(att):
        out += ["", "Attainment of the buyer's outcomes:"]
        for a in att.itertuples(index=False):
            target = "no target" if a.target != a.target else f"target {a.target:g} {a.unit or ''}".rstrip()
            share = "-" if a.attainment != a.attainment else f"{a.attainment:.0%}"
            out.append(shown(f"  {a.outcome} {a.name}: net {a.net_quantity:,.2f} of {target} = {share}"))
    flags = sa["flags"]
    out += ["", f"Flags ({len(flags)}), with what to fix:" if len(flags) else "No flags: nothing to fix."]
    for sev in ("error", "warning", "info"):
        for x in flags[flags["severity"] == sev].itertuples(index=False):
            where = x.commitment if isinstance(x.commitment, str) else (x.criterion if isinstance(x.criterion, str) else "bid")
            out.append(f"  {x.code} {x.name} ({sev}) [{shown(where)}]: {shown(x.message)}")
            out.append(f"      fix: {shown(x.fix)}")
    return "\n".join(out)


def render_rubric_check(rubric, flags) -> str:
    t = rubric.tender
    out = [f"Design checks for {shown(t.id)} {shown(t.title)}",
           f"Weights sum to 100; social value carries {rubric.social_value_weight:g}%. "
           f"{len(rubric.spec.design.outcomes)} design outcome(s); official lens: {rubric.official_lens}."]
    if flags.empty:
        out.append("No design problems found.")
    for f in flags.itertuples(index=False):
        out.append(f"  {f.code} {f.name} ({f.severity}): {shown(f.message)}\n      fix: {shown(f.fix)}")
    return "\n".join(out)


# ------------------------------------------------------------------ review and track (issue 6)
def _review_parsers(sub, common) -> None:
    r = sub.add_parser("review", help="pilot review of commissioning practice across rubrics (YAML) and published "
                                      "tenders (OCDS releases, packages, records, JSON Lines; gzipped; folders)")
    r.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="rubric or OCDS files, or folders of them")
    r.add_argument("--json", action="store_true", help="machine-readable output")
    r.add_argument("--csv", type=Path, metavar="DIR",
                   help="also write the portfolio as CSV into DIR (lots, buyers, summary, flags, problems)")
    r.add_argument("--delivery", action="append", default=[], metavar="TENDER=CSV",
                   help="delivery data that flows back for a tender (its rubric id or OCID), for the maturity "
                        "reading; repeatable")
    r.add_argument("--limit", type=int, default=40, help="tenders and buyers listed in the readable output")
    k = sub.add_parser("track", help="promised against delivered at contract stage: delivery returns against the "
                                     "winning bids' commitments, with Procurement Act performance ratings")
    common(k)
    k.add_argument("--bids", required=True, type=Path, help="folder of bids (the contract holders' bids among them)")
    k.add_argument("--delivery", required=True, type=Path,
                   help="delivery CSV (bidder,commitment,period,delivered_quantity,evidence_grade,"
                        "evidence_description)")


def _cmd_review(args) -> int:
    from .delivery import DELIVERY_COLUMNS, DELIVERY_REQUIRED
    from .review import render, review_paths, write_csv
    from .documents import read_small_csv

    delivered = []
    for spec in args.delivery:
        tender, sep, path = spec.partition("=")
        if not sep or not tender.strip() or not path.strip():
            raise EvaluatorError("write TENDER=CSV: the tender's rubric id or OCID, then the delivery file",
                                 field="--delivery", value=spec)
        _, rows = read_small_csv(Path(path.strip()), DELIVERY_COLUMNS, DELIVERY_REQUIRED)
        if rows:
            delivered.append(tender.strip())
    review = review_paths(args.paths, delivered)
    if args.csv:
        write_csv(review, args.csv)
    if args.json:
        sys.stdout.flush()
        sys.stdout.buffer.write(review.json_bytes(indent=False))
        sys.stdout.buffer.write(b"\n")
        sys.stdout.buffer.flush()
    else:
        print(render(review, limit=max(args.limit, 1)))
        if args.csv:
            print(f"\nWrote the portfolio as CSV into {args.csv}.")
    return EXIT_OK


def _cmd_track(args) -> int:
    from .bids import load_bids
    from .delivery import render as render_tracking, track
    from .rubric import load_rubric

    rubric = load_rubric(args.rubric, proxies_path=args.proxies)
    bidset = load_bids(args.bids, rubric).require_valid()
    tracking = track(rubric, bidset, args.delivery)
    if args.json:
        _print_json(tracking.to_json())
    else:
        print(render_tracking(tracking))
    return EXIT_OK


_VERBS.update({"review": _cmd_review, "track": _cmd_track})
