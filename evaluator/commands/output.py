"""What the command line writes: the exit codes, errors as one line each, JSON for scripts and plain-text
tables for people (every supplier-written cell with its control characters escaped)."""
from __future__ import annotations

import json
import sys

from ..exceptions import EvaluatorError, InputErrors, Tampered
from ..formatting import marks, whole
from ..terminal import shown

EXIT_OK, EXIT_BUG, EXIT_BAD_INPUT = 0, 1, 2
EXIT_AUDIT_BROKEN, EXIT_RETRY = 1, 75  # 75: EX_TEMPFAIL, "busy: nothing saved, try again"


def fail(exc: EvaluatorError, args) -> int:
    """Bad input: one line per problem on stderr (and, with --json, the problems as JSON); exit 2, or 1 when a
    workspace was changed behind the tool's back."""
    errors = exc.errors if isinstance(exc, InputErrors) else [exc]
    tampered = isinstance(exc, Tampered)  # a workspace changed behind the tool's back: named, exit 1 as `audit`
    for e in errors:
        print(f"{'tampered' if tampered else 'error'}: {shown(e.line())}", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"errors": [e.as_dict() for e in errors]}, indent=2, ensure_ascii=False))
    return EXIT_AUDIT_BROKEN if tampered else EXIT_BAD_INPUT


def print_json(doc: dict) -> None:
    """orjson: a bulk tender's JSON runs to hundreds of MB, and the standard library takes seconds."""
    import orjson
    sys.stdout.flush()
    sys.stdout.buffer.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))
    sys.stdout.buffer.write(b"\n")
    sys.stdout.buffer.flush()


def text_table(rows: list[list[str]], headers: list[str], right: set[int]) -> str:
    """Aligned columns with a rule under the headers; `right` holds the numbers' columns."""
    rows = [[shown(c) for c in r] for r in rows]  # one line per row, whatever a name holds
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)] if rows else [len(h) for h in headers]
    def line(cells):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def mark(v) -> str:
    """Marks to two decimals (evaluator/formatting.py); a dash holds an empty cell's place in a terminal table."""
    return marks(v) or "-"


def rank(v) -> str:
    return whole(v) or "-"
