"""`review` and `track`: a pilot review of commissioning practice across rubrics and published tenders,
and promised against delivered at contract stage."""
from __future__ import annotations

import sys
from pathlib import Path

from ..exceptions import EvaluatorError
from .output import EXIT_OK, print_json
from .tender_args import add_rubric_args


def add_parsers(sub) -> None:
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
    add_rubric_args(k)
    k.add_argument("--bids", required=True, type=Path, help="folder of bids (the contract holders' bids among them)")
    k.add_argument("--delivery", required=True, type=Path,
                   help="delivery CSV (bidder,commitment,period,delivered_quantity,evidence_grade,"
                        "evidence_description)")


def _cmd_review(args) -> int:
    from ..delivery import DELIVERY_COLUMNS, DELIVERY_REQUIRED
    from ..review import review_paths
    from ..review_output import render, write_csv
    from ..documents import read_small_csv

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
    from ..bids import load_bids
    from ..delivery import render as render_tracking, track
    from ..rubric import load_rubric

    rubric = load_rubric(args.rubric, proxies_path=args.proxies)
    bidset = load_bids(args.bids, rubric, parsed=getattr(args, "parsed", None)).require_valid()
    tracking = track(rubric, bidset, args.delivery)
    if args.json:
        print_json(tracking.to_json())
    else:
        print(render_tracking(tracking))
    return EXIT_OK


VERBS = {"review": _cmd_review, "track": _cmd_track}
