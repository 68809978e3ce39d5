"""One bid as a supplier writes it: a YAML or JSON document, or the XLSX template filled in, turned into
the rows the loader checks (bids.py). Only the shape is judged here (mappings, lists, known keys and
sheets, no formulas); the values are checked with the bulk form's, by the same vectorised rules.

The template's reader lives here, beside the other documents, and its writer in template.py: the
reader needs nothing of the writer but the sheet names, which the writer takes from here.

Spreadsheets bring two hazards that YAML does not: formulas and malformed files. A real formula in a
returned bid is refused, because a bid must state values that the buyer can read without trusting the
supplier's arithmetic. Anything openpyxl cannot parse becomes one InputError naming the file, never a
traceback.
"""
from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path
from typing import Any, Iterator


from .documents import parse_document
from .exceptions import EvaluatorError, InputError, InputErrors
from .bulk_bids import BID_FIELDS, COMMITMENT_FIELDS, LOT_FIELD
from .rubric import Rubric
from .documents import load_document
from .suggestions import suggest

BID_DOCUMENT_FIELDS = BID_FIELDS + [LOT_FIELD, "responses", "commitments"]
# the Bid sheet's fields: a tender in lots adds `lot` (the loader refuses it when the tender has none)
BID_SHEET_FIELDS = BID_FIELDS + [LOT_FIELD]
COMMITMENT_DOCUMENT_FIELDS = [f for f in COMMITMENT_FIELDS if not f.startswith("evidence_")] + ["evidence"]

BID_SHEET = "Bid"
RESPONSES_SHEET = "Responses"
COMMITMENTS_SHEET = "Commitments"
REQUIRED_SHEETS = (BID_SHEET, RESPONSES_SHEET, COMMITMENTS_SHEET)
BID_HEADER = ["field", "value"]
RESPONSES_HEADER = ["criterion", "name", "text"]
# the guidance a template of a criteria tree or of pass/fail questions adds beside each answer (read, ignored)
RESPONSES_GUIDE = ["kind", "weight", "how it is judged"]
_MAX_UNZIPPED = 200 * 1024 ** 2  # a bid workbook is kilobytes; refuse zip bombs before parsing
_EXCEL_LAST_ROW = 1_048_576       # a row number past this is a forged file; stop before looping to it


def _scalar_problem(value: Any) -> str | None:
    if isinstance(value, (dict, list, tuple, set)):
        return f"must be a single value, not a {'list' if not isinstance(value, dict) else 'mapping'}"
    return None


def _explicit(value: Any) -> Any:
    """A NaN typed into a document (.nan) is a value, not a gap: keep it as text so the checks refuse it
    rather than treat it as 'not given' (and quietly apply a default)."""
    if isinstance(value, float) and value != value:
        return ".nan"
    return value


def _text(value: Any) -> Any:
    """Free text from a document: numbers and dates become their text, empty becomes missing."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return str(value)


def answerable(rubric: Rubric) -> tuple[list[str], str]:
    """(the criterion ids a bid may answer in `responses`, what they are): the scale criteria, and the
    pass/fail questions (the supplier's evidence for them) when the rubric has any."""
    ids = [c.id for c in rubric.scale_criteria]
    pass_fail = [c.id for c in getattr(rubric, "pass_fail_criteria", [])]
    if not pass_fail:
        return ids, "a scale criterion"
    return ids + pass_fail, "a scale or pass/fail criterion"


def document_to_records(doc: Any, file: Path, rubric: Rubric) -> tuple[dict, list[dict], list[dict], list]:
    """One bid document (YAML/JSON/XLSX dict) -> (bid row, response rows, commitment rows, problems).

    Only the shape is checked here (mappings, lists, known keys); values are checked later, together
    with the bulk form's, by the same vectorised rules.
    """
    problems: list[EvaluatorError] = []

    def bad(problem: str, where: str | None = None, field: str | None = None, value: Any = ...) -> None:
        problems.append(InputError(problem, file=file, where=where, field=field, value=value))

    if not isinstance(doc, dict):
        bad(f"must be a mapping of keys (bidder, price, commitments, ...), not {type(doc).__name__}")
        return {}, [], [], problems
    for key in doc:
        if key not in BID_DOCUMENT_FIELDS:
            bad(f"unknown key{suggest(key, BID_DOCUMENT_FIELDS)}", where=f"key {key}", field=str(key))
    bid: dict = {"_file": str(file)}
    for name in BID_FIELDS + [LOT_FIELD]:
        value = doc.get(name)
        issue = _scalar_problem(value)
        if issue:
            bad(issue, where=f"key {name}", field=name, value=value)
            value = None
        bid[name] = _explicit(value) if name == "price" else _text(value)
    bidder = bid.get("bidder")

    responses = []
    raw_responses = doc.get("responses")
    if raw_responses is not None and not isinstance(raw_responses, dict):
        bad("must be a mapping of criterion id to answer text", where="key responses", field="responses",
            value=raw_responses)
    elif raw_responses:
        scale_ids, what = answerable(rubric)
        for crit, text in raw_responses.items():
            crit = str(crit)
            if crit not in scale_ids:
                bad(f"is not {what} of this rubric (expected one of {', '.join(scale_ids)})"
                    f"{suggest(crit, scale_ids)}", where=f"key responses.{crit}", field=crit, value=crit)
                continue
            issue = _scalar_problem(text)
            if issue:
                bad(issue, where=f"key responses.{crit}", field=crit, value=text)
                continue
            if _text(text):
                responses.append({"bidder": bidder, "criterion": crit, "text": _text(text)})

    commitments = []
    raw = doc.get("commitments")
    if raw is not None and not isinstance(raw, list):
        bad("must be a list of commitments", where="key commitments", field="commitments", value=raw)
        raw = []
    for i, item in enumerate(raw or []):
        where = f"commitments[{i}]"
        if not isinstance(item, dict):
            bad("each commitment must be a mapping of fields", where=where, value=item)
            continue
        where = item.get("_where") or where
        if item.get("id") is not None and "[" in where:
            where += f" (id {item.get('id')})"
        row: dict = {"bidder": bidder, "_file": str(file), "_loc": where}
        for key, value in item.items():
            if key == "_where":
                continue
            if key == "evidence":
                if value is None:
                    continue
                if not isinstance(value, dict):
                    bad("must be a mapping with grade and description", where=where, field="evidence",
                        value=value)
                    continue
                for ekey, evalue in value.items():
                    if ekey not in ("grade", "description"):
                        bad(f"unknown key{suggest(ekey, ['grade', 'description'])}", where=where,
                            field=f"evidence.{ekey}")
                        continue
                    issue = _scalar_problem(evalue)
                    if issue:
                        bad(issue, where=where, field=f"evidence.{ekey}", value=evalue)
                        continue
                    row[f"evidence_{ekey}"] = evalue
                continue
            if key not in COMMITMENT_FIELDS:
                bad(f"unknown field{suggest(key, COMMITMENT_DOCUMENT_FIELDS)}", where=where, field=str(key))
                continue
            issue = _scalar_problem(value)
            if issue:
                bad(issue, where=where, field=key, value=value)
                continue
            row[key] = _explicit(value)
        commitments.append(row)
    return bid, responses, commitments, problems


def read_document(path: Path, data: bytes | None = None) -> Any:
    """One bid file as its document (the mapping a YAML bid holds): YAML, JSON or a filled XLSX template,
    chosen by the file's extension; `data`, when given, is the file's content (an upload)."""
    if path.suffix.lower() == ".xlsx":
        return read_bid_workbook(path if data is None else data, source=path)
    if data is None:
        return load_document(path)
    return parse_document(data, path)


def read_bid_workbook(workbook: Path | str | bytes, source: Any = None) -> dict:
    """A filled template as the YAML bid shape (DESIGN.md 4.3), each commitment tagged with its `_where`.

    `workbook` is the file, or its content as bytes (an upload) with `source` the name messages give it.
    Only the shape of the workbook is checked here (sheets, headers, field names, formulas); the values
    are the loader's business, so they come back as openpyxl gives them.
    """
    if isinstance(workbook, (bytes, bytearray)):
        path, sheets = source, _read_sheets(source, bytes(workbook))
    else:
        path = Path(workbook) if source is None else source
        sheets = _read_sheets(path, None, Path(workbook))
    problems: list[EvaluatorError] = []

    def bad(problem: str, sheet: str, row: int | None = None, column: int | None = None,
            field: str | None = None, value: Any = ...) -> None:
        where = f"sheet {sheet}"
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {_column_letter(column)}"
        problems.append(InputError(problem, file=path, where=where, field=field, value=value))

    missing = [name for name in REQUIRED_SHEETS if sheets.get(name) is None]
    for name in missing:
        present = [s for s in sheets if sheets[s] is not None]
        bad(f"is missing{suggest(name, present)}; a bid workbook needs the sheets "
            f"{', '.join(REQUIRED_SHEETS)}: download the blank supplier template from the Design page, or make one "
            "with the template command", name)
    if missing:
        _raise(problems)

    # Formulas and error values anywhere in the three sheets, named cell by cell.
    for name in REQUIRED_SHEETS:
        header = sheets[name][0][1] if sheets[name] else []
        for row_no, cells in sheets[name]:
            for col, (value, kind) in enumerate(cells, start=1):
                label = _text_of(header[col - 1][0]) if row_no > 1 and col <= len(header) else None
                if kind == "f":
                    bad("holds a formula; a bid must hold values, not formulas (copy the cells and "
                        "paste values only)", name, row_no, col, label, _formula_text(value))
                elif kind == "e":
                    bad("holds a spreadsheet error value; type the value itself", name, row_no, col, label,
                        value)

    result: dict[str, Any] = {}
    result.update(_bid_fields(sheets[BID_SHEET], bad))
    result["responses"] = _responses(sheets[RESPONSES_SHEET], bad)
    result["commitments"] = _commitments(sheets[COMMITMENTS_SHEET], bad)
    _raise(problems)
    return result


def _raise(problems: list[EvaluatorError]) -> None:
    if problems:
        raise problems[0] if len(problems) == 1 else InputErrors(problems)


Row = tuple[int, list[tuple[Any, str]]]  # (row number, [(value, data_type) per column])


def _read_sheets(path: Any, data: bytes | None, file: Path | None = None) -> dict[str, list[Row] | None]:
    """Every row of the three bid sheets as plain values, with every openpyxl failure turned into one line.
    The workbook is `data` or else the file `file`; messages name `path`.

    All parsing happens here, inside one guard, so the rest of the reader works on Python lists and
    cannot meet a half-read file. Other sheets are listed (for did-you-mean) but not parsed.
    """
    if data is None and not file.exists():
        raise InputError("file not found", file=path)
    if data is None and file.is_dir():
        raise InputError("is a folder, not an XLSX workbook", file=path)

    from openpyxl import load_workbook  # only an XLSX bid needs it: a command reading YAML or CSV starts sooner
    from openpyxl.utils.exceptions import InvalidFileException

    def refuse(reason: str) -> InputError:
        return InputError(f"is not an XLSX workbook ({reason}); save it from Excel or LibreOffice as "
                          "Excel Workbook (.xlsx)", file=path)

    try:
        with (open(file, "rb") if data is None else io.BytesIO(data)) as fh:
            try:
                with zipfile.ZipFile(fh) as archive:
                    unzipped = sum(info.file_size for info in archive.infolist())
            except zipfile.BadZipFile:
                raise refuse("not a zip archive, so not .xlsx; an old .xls or a CSV renamed?") from None
            if unzipped > _MAX_UNZIPPED:
                raise refuse(f"it unpacks to {unzipped / 1024 ** 2:,.0f} MB, far more than any bid")
            fh.seek(0)
            with warnings.catch_warnings():
                # "Data Validation extension is not supported", "no default style": noise to a user.
                warnings.simplefilter("ignore")
                wb = load_workbook(fh, read_only=True, data_only=False)
                try:
                    sheets: dict[str, list[Row] | None] = {}
                    by_key = {_sheet_key(name): name for name in wb.sheetnames}
                    for name in wb.sheetnames:
                        sheets[name] = None
                    for wanted in REQUIRED_SHEETS:
                        actual = wanted if wanted in wb.sheetnames else by_key.get(_sheet_key(wanted))
                        if actual is None:
                            continue
                        ws = wb[actual]
                        if not hasattr(ws, "iter_rows"):
                            raise InputError(f"sheet '{actual}' is a chart, not a sheet of cells", file=path)
                        sheets.pop(actual, None)
                        sheets[wanted] = _rows(ws)
                finally:
                    wb.close()
    except EvaluatorError:
        raise
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", file=path) from None
    except (zipfile.BadZipFile, KeyError, InvalidFileException, ValueError, TypeError, IndexError,
            AttributeError, SyntaxError, LookupError, EOFError, NotImplementedError, OverflowError,
            RecursionError, MemoryError, UnicodeError) as exc:
        # SyntaxError covers xml.etree's ParseError; lxml's XMLSyntaxError is a SyntaxError too.
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise refuse(f"{type(exc).__name__}: {detail[:120]}") from None
    except Exception as exc:  # noqa: BLE001 - a malformed upload must never become a traceback
        if type(exc).__module__.split(".")[0] in ("openpyxl", "lxml", "et_xmlfile", "zlib", "xml"):
            raise refuse(f"{type(exc).__name__}: {str(exc)[:120]}") from None
        raise
    return sheets


def _sheet_key(name: str) -> str:
    return name.strip().casefold()


def _rows(ws) -> list[Row]:
    """All rows of a read-only sheet, numbered as Excel numbers them.

    The sheet's recorded dimensions are ignored: some tools write a wrong one, and openpyxl would then
    stop reading early without a word.
    """
    ws.reset_dimensions()
    rows: list[Row] = []
    for number, cells in enumerate(ws.iter_rows(values_only=False), start=1):
        if number > _EXCEL_LAST_ROW:
            raise ValueError(f"sheet '{ws.title}' has rows past Excel's last row {_EXCEL_LAST_ROW:,}")
        values = [(getattr(c, "value", None), getattr(c, "data_type", "n")) for c in cells]
        while values and _empty(values[-1][0]):
            values.pop()
        if values:
            rows.append((number, values))
    return rows


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text_of(value: Any) -> str | None:
    """A header or key cell as the name it stands for."""
    if _empty(value):
        return None
    return value.strip() if isinstance(value, str) else str(value)


def _formula_text(value: Any) -> str:
    text = getattr(value, "text", None)  # ArrayFormula
    if isinstance(text, str):
        return text
    return value if isinstance(value, str) else f"({type(value).__name__})"


def _header_row(rows: list[Row], sheet: str, expected: list[str], bad) -> tuple[dict[int, str], set, list[Row]]:
    """(column number -> field name, columns with any header, data rows), refusing unknown and repeated names.

    Values under a refused header are not reported again: one message per mistake.
    """
    if not rows:
        return {}, set(), []
    first_no, first = rows[0]
    if first_no != 1:
        bad(f"row 1 must be the header ({', '.join(expected)})", sheet, 1)
        return {}, set(), []
    columns: dict[int, str] = {}
    headed: set[int] = set()
    seen: dict[str, int] = {}
    for col, (value, kind) in enumerate(first, start=1):
        if not _empty(value):
            headed.add(col)
        if kind in ("f", "e"):
            continue  # already reported
        name = _text_of(value)
        if name is None:
            continue
        if name not in expected:
            bad(f"unknown column{suggest(name, expected)}; the columns are {', '.join(expected)}",
                sheet, 1, col, name)
            continue
        if name in seen:
            bad(f"duplicate column (also column {_column_letter(seen[name])})", sheet, 1, col, name)
            continue
        seen[name] = col
        columns[col] = name
    return columns, headed, rows[1:]


def _required_columns(rows: list[Row], columns: dict[int, str], needed: list[str], sheet: str,
                      bad) -> dict[str, int] | None:
    """The columns a sheet cannot be read without, or None after saying which are missing."""
    found = {name: col for col, name in columns.items()}
    lacking = [n for n in needed if n not in found]
    if lacking:
        bad(f"the header must have the columns {' and '.join(needed)}; missing {', '.join(lacking)}", sheet, 1)
        return None
    return found


def _keyed_rows(rows: list[Row], sheet: str, header: list[str], key_column: str, value_column: str,
                bad) -> Iterator[tuple[int, Any, Any, int, int]]:
    """(row number, key, value, key's column, value's column) for each row of a two-column sheet (Bid: field and
    value; Responses: criterion and text), once its header is checked. Rows with a formula or an error
    value in either cell are passed over: they are reported already."""
    if not rows:
        return
    columns, headed, body = _header_row(rows, sheet, header, bad)
    found = _required_columns(rows, columns, [key_column, value_column], sheet, bad) if rows[0][0] == 1 else None
    if found is None:
        return
    key_col, value_col = found[key_column], found[value_column]
    for row_no, cells in body:
        _outside(cells, headed, sheet, row_no, bad)
        key, key_kind = _cell(cells, key_col)
        value, kind = _cell(cells, value_col)
        if key_kind in ("f", "e") or kind in ("f", "e"):
            continue
        yield row_no, key, value, key_col, value_col


def _bid_fields(rows: list[Row], bad) -> dict:
    out: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for row_no, key, value, field_col, value_col in _keyed_rows(rows, BID_SHEET, BID_HEADER, "field", "value", bad):
        name = _text_of(key)
        if name is None:
            if not _empty(value):
                bad("a value with no field name", BID_SHEET, row_no, value_col, value=value)
            continue
        if name not in BID_SHEET_FIELDS:
            bad(f"unknown field{suggest(name, BID_SHEET_FIELDS)}; the fields are {', '.join(BID_SHEET_FIELDS)}",
                BID_SHEET, row_no, field_col, name)
            continue
        if name in seen:
            bad(f"field given twice (also row {seen[name]})", BID_SHEET, row_no, field_col, name)
            continue
        seen[name] = row_no
        if not _empty(value):
            out[name] = value
    return out


def _responses(rows: list[Row], bad) -> dict:
    out: dict[Any, Any] = {}
    seen: dict[Any, int] = {}
    for row_no, crit, text, crit_col, _ in _keyed_rows(rows, RESPONSES_SHEET, RESPONSES_HEADER + RESPONSES_GUIDE,
                                                       "criterion", "text", bad):
        if _empty(text):
            continue
        if _empty(crit):
            bad("an answer with no criterion id", RESPONSES_SHEET, row_no, crit_col, "criterion")
            continue
        crit = crit.strip() if isinstance(crit, str) else crit
        if crit in seen:
            bad(f"a second answer to this criterion (also row {seen[crit]})", RESPONSES_SHEET, row_no,
                crit_col, "criterion", crit)
            continue
        seen[crit] = row_no
        out[crit] = text
    return out


def _commitments(rows: list[Row], bad) -> list[dict]:
    columns, headed, body = _header_row(rows, COMMITMENTS_SHEET, COMMITMENT_FIELDS, bad)
    out: list[dict] = []
    for row_no, cells in body:
        if not _outside(cells, headed, COMMITMENTS_SHEET, row_no, bad):
            continue
        item: dict[str, Any] = {}
        evidence: dict[str, Any] = {}
        for col, name in columns.items():
            value, kind = _cell(cells, col)
            if kind in ("f", "e") or _empty(value):
                continue
            if name == "contract_specific" and isinstance(value, str) \
                    and value.strip().upper() in ("TRUE", "FALSE"):
                value = value.strip().upper() == "TRUE"  # the drop-down's words, stored as text
            if name.startswith("evidence_"):
                evidence[name[len("evidence_"):]] = value
            else:
                item[name] = value
        if evidence:
            item["evidence"] = evidence
        if item:
            item["_where"] = f"sheet {COMMITMENTS_SHEET}, row {row_no}"
            out.append(item)
    return out


def _outside(cells: list, headed: set, sheet: str, row_no: int, bad) -> bool:
    """Report values in columns with no header; True if the row holds anything at all."""
    anything = False
    for col, (value, kind) in enumerate(cells, start=1):
        if _empty(value):
            continue
        anything = True
        if col not in headed and kind not in ("f", "e"):
            bad("a value in a column with no header", sheet, row_no, col, value=value)
    return anything


def _cell(cells: list, col: int | None) -> tuple[Any, str]:
    if col is None or col > len(cells):
        return None, "n"
    return cells[col - 1]


def _column_letter(column: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(column)
