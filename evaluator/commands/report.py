"""`report` and `template`: the documents of a tender written to files (the report set: PDFs and the
results workbook), and the supplier bid template."""
from __future__ import annotations

from pathlib import Path

from ..exceptions import EvaluatorError
from .output import EXIT_OK, print_json
from .tender_args import add_rubric_args, load_tender, report_skipped


def add_parsers(sub) -> None:
    rp = sub.add_parser("report", help="write the evaluation report (PDF), one assessment summary (PDF) per "
                                       "bidder and the results workbook (XLSX) into a folder")
    add_rubric_args(rp, rubric_required=False)
    rp.add_argument("--bids", type=Path)
    rp.add_argument("--db", type=Path, help="a workspace: its files and scores are used, and its head is printed")
    rp.add_argument("--scores", type=Path, help="evaluator scores CSV (bidder,criterion,evaluator,score,rationale)")
    rp.add_argument("--out", required=True, type=Path, help="folder to write into (created if missing)")
    rp.add_argument("--skip-invalid", action="store_true")

    t = sub.add_parser("template", help="write the supplier bid template (XLSX) for a rubric")
    add_rubric_args(t)
    t.add_argument("--out", required=True, type=Path, help="where to write the .xlsx")


def _cmd_report(args) -> int:
    from ..panel_record import workspace_panel
    from ..provenance import Inputs
    from ..report_set import check_out_dir, write_report_set
    check_out_dir(args.out)  # an unwritable folder is found before the tender is read
    rubric, bidset, ev = load_tender(args)
    report_skipped(bidset)
    head = getattr(args, "workspace_head", None)
    made = write_report_set(ev, args.out, Inputs(scores_path=args.scores,
                                                 options={"skip_invalid": bool(args.skip_invalid)},
                                                 workspace=None if head is None else {
                                                     "file": str(args.db), "entries": head.entries,
                                                     "head_hash": head.head_hash, "head": head.head,
                                                     "chain": head.chain, "panel": workspace_panel(args.db)}))
    files = [made.evaluation_report, *made.summaries.values(), made.workbook]
    if args.json:
        summaries = ({b: str(p) for b, p in made.summaries.items()} if made.lot_summaries is None else
                     {lot: {b: str(p) for b, p in got.items()} for lot, got in made.lot_summaries.items()})
        print_json({"tender": rubric.tender.id, "evaluation_report": str(made.evaluation_report),
                    "assessment_summaries": summaries, "workbook": str(made.workbook)})
    else:
        print(f"Wrote {len(files)} files for {rubric.tender.id} ({rubric.tender.title}) to {args.out}:")
        for f in files:
            print(f"  {f.name}")
    return EXIT_OK


def _cmd_template(args) -> int:
    from ..rubric import load_rubric
    from ..template import write_template

    rubric = load_rubric(args.rubric, proxies_path=args.proxies)
    if args.out.suffix.lower() != ".xlsx":
        raise EvaluatorError("the template is an Excel workbook: give a file name ending .xlsx", field="--out",
                             value=str(args.out))
    if not args.out.parent.exists():
        raise EvaluatorError("the folder to write into does not exist", field="--out", value=str(args.out))
    path = write_template(rubric, args.out)
    if args.json:
        print_json({"tender": rubric.tender.id, "template": str(path)})
    else:
        print(f"Wrote the bid template for {rubric.tender.id} ({rubric.tender.title}) to {path}.\n"
              "Suppliers fill the sheets Bid, Responses and Commitments; the Outcomes and Measures sheets list "
              "what the buyer wants and the measure codes to use.")
    return EXIT_OK


VERBS = {"report": _cmd_report, "template": _cmd_template}
