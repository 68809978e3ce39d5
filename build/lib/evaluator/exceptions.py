"""One family of exceptions for everything a user can get wrong.

The CLI turns any :class:`EvaluatorError` into one line per problem and exit code 2; the app shows the
same lines as messages. Anything else escaping the engine is a bug in the tool, not in the user's files.
"""
from __future__ import annotations

import reprlib
from typing import Any, Iterable


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxtuple, _REPR.maxset = 2, 4, 4, 4, 4
_REPR.maxstring, _REPR.maxother, _REPR.maxlong = 200, 200, 40


def _one_line(text: str) -> str:
    return " ".join(str(text).replace("\r", " ").replace("\n", " ").split(" ")) if text else text


def _show(value: Any, limit: int = 60) -> str:
    """A value as a user typed it, on one line and short, keeping its start and its end (a long path
    keeps the file name). Nested values are summarised, never expanded (YAML aliases can nest deeply)."""
    text = repr(value) if isinstance(value, str) else (_REPR.repr(value) if not isinstance(value, (int, float))
                                                       else str(value) if len(repr(value)) < 400 else "a huge number")
    text = _one_line(text)
    if len(text) <= limit:
        return text
    keep = limit - 1
    return text[: keep // 2] + "…" + text[-(keep - keep // 2):]


class EvaluatorError(Exception):
    """A problem in a user's input, told in one line: file, row or key, field, value, what is wrong."""

    def __init__(self, problem: str, *, file: Any = None, where: str | None = None,
                 field: str | None = None, value: Any = ..., code: str | None = None):
        self.problem = problem
        self.file = None if file is None else str(file)
        self.where = where
        self.field = field
        self.value = value
        self.code = code
        super().__init__(self.line())

    def line(self) -> str:
        parts = [_one_line(p) for p in (self.file, self.where) if p]
        if self.field:
            parts.append(f"field '{_one_line(_show(self.field, 80)).strip(chr(39))}'")
        if self.value is not ...:
            parts.append(f"value {_show(self.value)}")
        head = ", ".join(parts)
        code = f"{self.code} " if self.code else ""
        problem = _one_line(self.problem)
        return f"{head}: {code}{problem}" if head else f"{code}{problem}"

    def as_dict(self) -> dict:
        return {"file": self.file, "where": self.where, "field": self.field,
                "value": None if self.value is ... else _jsonable(self.value),
                "code": self.code, "message": self.line()}


class InputError(EvaluatorError):
    """A file that cannot be read as what it claims to be, or a value that breaks the format."""


class RubricRefused(EvaluatorError):
    """The rubric cannot be used for an award (SV301: weights that do not sum to exactly 100)."""


class InputErrors(EvaluatorError):
    """Several independent problems, all reported at once so one bad file does not hide the others."""

    def __init__(self, errors: Iterable[EvaluatorError]):
        self.errors = list(errors)
        super().__init__("; ".join(e.line() for e in self.errors) or "no problems")

    def line(self) -> str:  # one line per problem
        return "\n".join(e.line() for e in getattr(self, "errors", [])) or "no problems"


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    return str(value)


class Tampered(EvaluatorError):
    """A workspace changed behind the tool's back (or handed over altered): the CLI says `tampered: <the first
    broken thing>` and exits 1, as `audit` does for a broken chain; the app shows the line in place."""
