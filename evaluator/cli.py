"""`python -m evaluator <verb>`: the command line a commissioner, evaluator or supplier uses (DESIGN.md 7).

This module is the parser and the dispatch only; each family of verbs lives in evaluator/commands/ (a new
verb goes there, and into FAMILIES below). Exit 0 on success, 2 on bad input (one line per problem, naming
file, row or key, field and value), never a traceback. Every verb takes --json for scripts.
"""
from __future__ import annotations

import argparse
import sys
from typing import Callable, Optional, Sequence

from .commands import check, evaluate, report, review, sensitivity, workspace
from .commands.output import EXIT_BAD_INPUT, EXIT_BUG, EXIT_OK, fail
from .exceptions import EvaluatorError
from .terminal import SafeStream, shown

FAMILIES = (evaluate, check, report, workspace, sensitivity, review)   # in the order --help lists their verbs
VERBS = {verb: run for family in FAMILIES for verb, run in family.VERBS.items()}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line and exit 2, as for any bad input
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see --help)\n")


def _parser(prog: str = "python -m evaluator") -> argparse.ArgumentParser:
    p = _Parser(prog=prog,
                description="Evaluate social-value bids two ways: the figures they claim, and what they "
                            "credibly contribute to the outcomes the buyer designed.")
    sub = p.add_subparsers(dest="verb", required=True, parser_class=_Parser)
    for family in FAMILIES:
        family.add_parsers(sub)
    return p


def main(argv: Optional[Sequence[str]] = None, *, parsed: Optional[Callable] = None,
         prog: str = "python -m evaluator") -> int:
    """Run one verb. `parsed` is the command line's read-ahead of a bulk CSV (tuning.read_ahead), handed
    to the loader; without it the loader reads every file itself. `prog`: the command as typed (usage lines)."""
    # supplier text (names, descriptions, file names) is printed as text: control characters escaped
    # (terminal.py); each renderer escapes the fields it prints, and this is the last line of defence
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(out), SafeStream(err)
    try:
        args = _parser(prog).parse_args(argv)
        args.parsed = parsed
        return _main(args)
    finally:
        sys.stdout, sys.stderr = out, err


def _main(args) -> int:
    try:
        return VERBS[args.verb](args)
    except EvaluatorError as exc:
        return fail(exc, args)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the user sees a sentence, not a traceback
        print(f"error: unexpected problem inside the tool ({type(exc).__name__}: {shown(exc)}); please report it "
              "with the files you used", file=sys.stderr)
        return EXIT_BUG
