"""Published tenders in the Open Contracting Data Standard, read one release at a time.

Reviewers of commissioning practice download whatever a portal publishes: one release per file
(Sell2Wales), release packages, record packages, JSON Lines dumps of hundreds of megabytes, often
gzipped. `iter_releases` turns any of these, a file or a folder of them, into a stream of releases
without ever holding a whole large file in memory:

* JSON Lines (one release, package or record per line) is read line by line with orjson; a line over
  `MAX_LINE_BYTES` is skipped as a problem rather than loaded. Runs of blank lines are skipped a buffer
  at a time, not a line at a time (a gzip of nothing but newlines is 1,000 times its size).
* A single JSON document is parsed in one go if it turns out, by reading it, to be no more than
  `WHOLE_FILE_BYTES`; a larger one is streamed with ijson, item by item under `releases` or `records`.
  What a file says about itself (gzip's trailer records a size, and anyone can write it) decides nothing:
  memory is bounded by what is actually read. A streamed release or record is given `MAX_ITEM_BYTES`
  of reading; past that (one enormous item, or megabytes of padding) the file is a problem and the
  releases before that point are kept.
* gzip is recognised by its magic bytes, whatever the file is called.
* A key given twice in one object (which orjson and ijson would read keeping the last value) makes its
  release, record, package or line a problem naming the key; the other releases go on. A parsed object
  holding one comes back as a `_Flawed` dict (see `_loads`; a streamed item is marked the same way by
  `_KeysTwice`, naming the key but not where in the item it is). Not covered: a key given twice at the top
  level of a package streamed with ijson (outside its releases).
* Whether a document was parsed whole or is streamed, its items (releases, records, packages, entries of a
  top-level array) are read by the one `_read_item`, so both give the same releases and problems.
* A folder's entries that cannot be read (a dangling symlink, a symlink loop, a named pipe, a file or
  folder the user may not open) are problems naming them, never a stop.

Real data is messy, and one bad file or line must never stop a review of thousands: every problem
(malformed JSON, a document that is not OCDS, a record with only linked releases) is yielded as a
:class:`Problem` in the stream, in order, and the reader carries on with the next line or file.
"""
from __future__ import annotations

import errno
import gzip
import io
import os
import re
import stat
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Union

import orjson

from .flags import CATALOGUE

WHOLE_FILE_BYTES = 32 * 1024 * 1024   # a single document above this is streamed, not loaded
MAX_LINE_BYTES = 64 * 1024 * 1024      # a JSON Lines line above this is a problem, not a release
MAX_ITEM_BYTES = 16 * 1024 * 1024      # bytes read for one streamed release or record before giving up
OCDS_SUFFIXES = (".json", ".jsonl", ".ndjson", ".geojson")
LINES_SUFFIXES = (".jsonl", ".ndjson")
BLANK = re.compile(rb"[ \t\r\n\x0b\x0c]*")  # what bytes.strip() takes off: a line of only these is blank


@dataclass(slots=True)
class Release:
    """One OCDS release as published, with where it came from (file, and line or position in it)."""
    source: str
    where: str
    data: dict


@dataclass(slots=True)
class Problem:
    """Something in the input that could not be read as a release: reported, then skipped."""
    source: str
    where: str | None
    message: str
    fix: str = CATALOGUE["SV314"].fixes["not-ocds"]


Item = Union[Release, Problem]


def is_ocds_path(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return name.endswith(OCDS_SUFFIXES)


def _unreadable(path: Path) -> Problem | None:
    """None for a regular file that can be opened; else the problem, naming the file (never an exception).
    A named pipe or device is refused without opening it: opening a pipe waits for a writer forever."""
    try:
        st = os.stat(path)
    except OSError as exc:
        why = {errno.ENOENT: "a symlink to nothing: its target does not exist",
               errno.ELOOP: "a symlink loop"}.get(exc.errno, exc.strerror or str(exc))
        return Problem(str(path), None, f"cannot be read ({why})", CATALOGUE["SV314"].fixes["unreadable"])
    if not stat.S_ISREG(st.st_mode):
        kind = "a named pipe" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) \
            else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file"
        return Problem(str(path), None, f"cannot be read (it is {kind}, not a file)", CATALOGUE["SV314"].fixes["unreadable"])
    if not os.access(path, os.R_OK):
        return Problem(str(path), None, "cannot be read (permission denied)", CATALOGUE["SV314"].fixes["unreadable"])
    return None


def _walk(folder: Path, wanted) -> tuple[list[Path], list[Problem]]:
    """The entries under `folder` (recursively, symlinked folders not followed, as Path.rglob) whose names
    `wanted` accepts, and a problem for each folder that cannot be listed."""
    found: list[Path] = []
    problems: list[Problem] = []

    def refused(exc: OSError) -> None:
        problems.append(Problem(str(exc.filename or folder), None, "cannot be read: the folder cannot be "
                                f"listed ({exc.strerror or exc}), so any files in it were not reviewed",
                                CATALOGUE["SV314"].fixes["unreadable"]))

    for parent, _folders, files in os.walk(folder, onerror=refused):
        for name in files:
            f = Path(parent) / name
            if wanted(f):
                found.append(f)
    return sorted(found), problems


def expand(paths: Iterable[Path | str], wanted=is_ocds_path) -> Iterator[Path | Problem]:
    """Files as given, and the files inside folders (recursively, sorted) that `wanted` accepts; anything
    that cannot be read is a :class:`Problem` naming it, and the rest go on."""
    for p in paths:
        p = Path(p)
        try:
            is_dir = p.is_dir()
            exists = is_dir or os.path.lexists(p)
        except OSError as exc:
            yield Problem(str(p), None, f"cannot be read ({exc.strerror or exc})", CATALOGUE["SV314"].fixes["unreadable"])
            continue
        if is_dir:
            found, problems = _walk(p, wanted)
            yield from problems
            if not found and not problems:
                yield Problem(str(p), None, "the folder holds no OCDS JSON or rubric files",
                              CATALOGUE["SV314"].fixes["empty-folder"])
            for f in found:
                yield _unreadable(f) or f
        elif exists:
            yield _unreadable(p) or p
        else:
            yield Problem(str(p), None, "file or folder not found", CATALOGUE["SV314"].fixes["not-found"])


def _open(path: Path):
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    if gzipped:
        return io.BufferedReader(gzip.open(path, "rb"), buffer_size=1 << 20)
    return open(path, "rb", buffering=1 << 20)


def iter_releases(path: Path | str) -> Iterator[Item]:
    """Every release in one file (see the module docstring for the forms accepted), or problems."""
    path = Path(path)
    source = str(path)
    refused = _unreadable(path)
    if refused is not None:
        yield refused
        return
    try:
        f = _open(path)
    except OSError as exc:
        yield Problem(source, None, f"cannot be read ({exc.strerror or exc})", CATALOGUE["SV314"].fixes["unreadable"])
        return
    try:
        yield from _read(f, path, source)
    except (OSError, EOFError, zlib.error) as exc:  # a corrupt or truncated gzip among them
        yield Problem(source, None, f"cannot be read to the end ({type(exc).__name__}: {exc}); "
                      "releases before this point were reviewed", CATALOGUE["SV314"].fixes["truncated"])
    finally:
        f.close()


def _skip_blank(f) -> int:
    """Consume the whitespace at `f`'s position, a buffer at a time; return how many newlines it held
    (the blank lines skipped). `f` is left at the first other byte, or at the end."""
    newlines = 0
    if hasattr(f, "getbuffer"):  # io.BytesIO: matched in place
        with f.getbuffer() as buf:
            pos = f.tell()
            end = BLANK.match(buf, pos).end()
            newlines = bytes(buf[pos:end]).count(b"\n")
        f.seek(end)
        return newlines
    while True:
        buf = f.peek(1 << 16)
        if not buf:
            return newlines
        skip = BLANK.match(buf).end()
        if skip:
            newlines += buf.count(b"\n", 0, skip)
            f.read(skip)
        if skip < len(buf):
            return newlines


class _Flawed(dict):
    """A dict parsed from an object that holds a key twice, or that holds (at any depth) an object that does:
    `dup` is (where, key), `where` the path from this object to the one holding `key` twice ('' for itself)."""
    __slots__ = ("dup",)


def _flaw_in(value):
    if isinstance(value, _Flawed):
        return value.dup
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _flaw_in(v)
            if found:
                return _path(f"[{i}]", found)
    return None


def _path(step: str, found: tuple) -> tuple:
    """(where, key) found inside `step` (a key, or [i]) as seen from the object or list holding it."""
    where, key = found
    return step + ("" if not where else where if where[0] == "[" else "." + where), key


def _marking(pairs: list):
    """json.loads' object_pairs_hook: every object as a dict, those holding a key twice (themselves or
    inside) as a _Flawed naming it, so the releases without one can still be read."""
    out: dict = {}
    dup = None
    for key, value in pairs:
        if key in out and dup is None:
            dup = ("", key)
        out[key] = value
    if dup is None:
        for key, value in pairs:
            found = _flaw_in(value)
            if found:
                dup = _path(key, found)
                break
        else:
            return out
    flawed = _Flawed(out)
    flawed.dup = dup
    return flawed


def _loads(data: bytes):
    """orjson's parse, with duplicate keys found (orjson keeps the last silently). Exact and cheap (the review
    of 100,000 releases pays for it in C, not once per key in Python): every key is followed by one colon, and
    the other colons are inside strings, so the text holds (keys + colons in its strings) colons, counting
    each escaped colon (\\u003a) too. orjson's compact re-encoding of the parse holds (keys kept + colons in
    the strings kept), written plainly. A key given twice is dropped from the parse with its value, so the
    counts differ whenever there is a duplicate; when they agree there is none. When they differ, the text is
    parsed again strictly, and the objects holding a duplicate come back as _Flawed. Raises
    orjson.JSONDecodeError for invalid JSON."""
    doc = orjson.loads(data)
    if not isinstance(doc, (dict, list)):
        return doc
    colons = data.count(b":")
    if b"\\u003" in data:
        colons += data.count(b"\\u003a") + data.count(b"\\u003A")
    try:
        if orjson.dumps(doc).count(b":") == colons:
            return doc
    except orjson.JSONEncodeError:  # nested deeper than orjson writes: checked strictly below
        pass
    import json
    try:
        strict = json.loads(data, object_pairs_hook=_marking)
    except RecursionError:  # orjson reads 1,024 levels, the standard library a few less
        raise orjson.JSONDecodeError("nested too deeply to be checked for keys given twice", "", 0) from None
    if isinstance(strict, _Flawed) or _flaw_in(strict):
        return strict
    return doc  # no duplicate after all (a '\\u003a' counted as a colon): orjson's parse, as always


class _KeysTwice:
    """The objects ijson builds for one streamed file (its `map_type`), each noting the first key set twice in
    it, and `marked`, which gives an item as a whole read marks it: a _Flawed naming the key when an object in
    it holds one twice. ijson builds an object key by key and keeps no path, so only the key is named."""

    def __init__(self):
        self.pending = 0  # objects holding a key twice, built but not yet found in an item marked
        keys = self

        class Noting(dict):
            __slots__ = ("dup",)

            def __setitem__(self, key, value):
                if key in self and not hasattr(self, "dup"):
                    self.dup = key
                    keys.pending += 1
                dict.__setitem__(self, key, value)

        self.map_type = Noting

    def marked(self, item):
        """`item`, or a _Flawed copy of it naming the first key given twice in it (ijson may build a few items
        ahead, so each is searched while any object built so far holds one; the search ends as soon as none is
        left unfound)."""
        first, stack = None, [item]
        while stack and self.pending:
            node = stack.pop()
            if isinstance(node, dict):
                if hasattr(node, "dup"):
                    first = node.dup if first is None else first
                    self.pending -= 1
                stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
            elif isinstance(node, list):
                stack.extend(v for v in node if isinstance(v, (dict, list)))
        if first is None or not isinstance(item, dict):
            return item
        flawed = _Flawed(item)
        flawed.dup = ("", first)
        return flawed


def _duplicate(item, source: str, where: str | None, nested: bool = True) -> Problem | None:
    """The problem for an item parsed from an object holding a key twice, or None. With `nested` False only
    a duplicate outside releases[...] and records[...] counts (those are reported release by release)."""
    if not isinstance(item, _Flawed):
        return None
    inside, key = item.dup
    if not nested and inside.startswith(("releases[", "records[")):
        return None
    return Problem(source, where, f"holds the key '{key}' twice in one object{' (' + inside + ')' if inside else ''}; "
                   "a key given twice is refused, not read with the last value silently kept, so this was not reviewed",
                   CATALOGUE["SV314"].fixes["key-twice"].format(key=key))


def _read(f, path: Path, source: str) -> Iterator[Item]:
    start = _skip_blank(f) + 1  # the line the first JSON is on
    first = f.readline(MAX_LINE_BYTES)
    if not first:
        yield Problem(source, None, "is empty", CATALOGUE["SV314"].fixes["corrupt"])
        return
    stripped = first.lstrip()
    if stripped[:1] not in (b"{", b"["):
        if stripped[:3] == b"\xef\xbb\xbf" and stripped[3:4] in (b"{", b"["):
            first = stripped[3:]
        else:
            yield Problem(source, f"line {start}", "is not JSON (it does not start with { or [)")
            return
    name = path.name.lower().removesuffix(".gz")
    whole_line = first.endswith(b"\n") or len(first) < MAX_LINE_BYTES
    if whole_line and first.lstrip()[:1] == b"{":
        try:
            doc = orjson.loads(first)
        except orjson.JSONDecodeError:
            doc = None
        if doc is not None or name.endswith(LINES_SUFFIXES):
            yield from _lines(f, first, source, start)
            return
    yield from _document(f, first, path, source, start)


def _looks_like_lines(data: bytes) -> bool:
    lines = [x for x in data.split(b"\n", 3)[1:3] if x.strip()]
    for line in lines:
        try:
            if isinstance(orjson.loads(line), dict):
                return True
        except orjson.JSONDecodeError:
            pass
    return False


def _lines(f, first: bytes, source: str, start: int = 1) -> Iterator[Item]:
    """JSON Lines: each line a release, a package or a record; a bad line is a problem, the rest go on.
    `first` is line `start`, already read from `f`."""
    n, line = start, first
    while line:
        if line.strip():
            if len(line) >= MAX_LINE_BYTES and not line.endswith(b"\n"):
                yield Problem(source, f"line {n}", f"is longer than {MAX_LINE_BYTES // 2**20} MB and was skipped",
                              CATALOGUE["SV314"].fixes["package-on-a-line"])
                while line and not line.endswith(b"\n"):
                    line = f.readline(MAX_LINE_BYTES)
            else:
                try:
                    doc = _loads(line)
                except orjson.JSONDecodeError as exc:
                    yield Problem(source, f"line {n}", f"is not valid JSON ({exc})")
                else:
                    yield from _read_item("document", doc, source, f"line {n}")
        n += 1
        line = f.readline(MAX_LINE_BYTES)
        if line[:1].isspace() and line.endswith(b"\n") and not line.strip():  # a blank line: the run in one step
            n += 1 + _skip_blank(f)
            line = f.readline(MAX_LINE_BYTES)


def _document(f, first: bytes, path: Path, source: str, start: int = 1) -> Iterator[Item]:
    """One JSON document (a release, a package, or an array of them): whole if, read, it is no more than
    WHOLE_FILE_BYTES, else streamed. Only what is read counts: never the size a gzip trailer claims."""
    rest = f.read(WHOLE_FILE_BYTES + 1 - len(first)) if len(first) <= WHOLE_FILE_BYTES else b"x"
    if len(first) + len(rest) <= WHOLE_FILE_BYTES:  # the whole file was read, and it is small
        data = first + rest
        del rest
        try:
            doc = _loads(data)
        except orjson.JSONDecodeError as exc:
            if _looks_like_lines(data):  # JSON Lines whose first line is the broken one
                buf = io.BytesIO(data)
                yield from _lines(buf, buf.readline(MAX_LINE_BYTES), source, start)
                return
            yield Problem(source, None, f"is not valid JSON ({exc})")
            return
        if isinstance(doc, list):
            yield from _items("document", doc, source, lambda n: f"item {n}")
        else:
            yield from _read_item("document", doc, source, None)
        return
    del rest
    yield from _stream(path, source)


class _TooLarge(Exception):
    pass


class _Budget:
    """A file read for ijson that stops once `MAX_ITEM_BYTES` have been read since the last item was
    completed (`spent()`): one release, or the text before the first, cannot hold the review's memory."""

    def __init__(self, f):
        self.f, self.used = f, 0

    def read(self, n: int = -1) -> bytes:
        if n == 0:  # ijson asks for nothing first, to see whether the file gives bytes or text
            return self.f.read(0)
        data = self.f.read(n if n is not None and n > 0 else 1 << 16)
        self.used += len(data)
        if self.used > MAX_ITEM_BYTES:
            raise _TooLarge()
        return data

    def spent(self) -> None:
        self.used = 0


def _stream(path: Path, source: str) -> Iterator[Item]:
    import ijson

    kind = None
    limit = f"{MAX_ITEM_BYTES // 2**20} MB"
    try:
        with _open(path) as f:
            for prefix, event, value in ijson.parse(_Budget(f), use_float=True):
                if prefix == "" and event == "start_array":
                    kind = "array"
                    break
                if prefix == "" and event == "map_key" and value in ("releases", "records"):
                    kind = value
                    break
                if prefix == "" and event == "end_map":
                    kind = "object"  # one release or record, that large
                    break
    except ijson.JSONError as exc:
        yield Problem(source, None, f"is not valid JSON ({exc})")
        return
    except _TooLarge:
        yield Problem(source, None, f"was not reviewed: more than {limit} were read without finding its releases "
                      "or records", CATALOGUE["SV314"].fixes["releases-late"])
        return
    # where ijson finds the items, what each is, and how a problem names it (no position for a single document)
    prefix, item_kind, label = {"array": ("item", "document", "item"), "releases": ("releases.item", "release", kind),
                                "records": ("records.item", "record", kind), "object": ("", "document", None)
                                }.get(kind, (None, None, None))
    if prefix is None:
        yield Problem(source, None, "is not an OCDS release, release package or record package")
        return
    done = [0]  # the item reached, for the problem that stops the stream
    keys = _KeysTwice()

    def items(budget) -> Iterator:
        for done[0], item in enumerate(ijson.items(budget, prefix, use_float=True, map_type=keys.map_type)):
            budget.spent()
            yield keys.marked(item)

    try:
        with _open(path) as f:
            yield from _items(item_kind, items(_Budget(f)), source, lambda n: label and f"{label} {n}")
    except ijson.JSONError as exc:
        yield Problem(source, f"after item {done[0]}", f"is not valid JSON from here on ({exc}); the releases before "
                      "this point were reviewed")
    except _TooLarge:
        yield Problem(source, f"after item {done[0]}", f"reading stopped: more than {limit} were read without completing "
                      "the next release or record (one item that large, or padding), so the rest of the file was not "
                      "reviewed; the releases before this point were", CATALOGUE["SV314"].fixes["too-big"])


def releases_in(doc, source: str, where: str | None) -> Iterator[Item]:
    """The releases inside any OCDS document: a release, a release package, a record package, a record."""
    return _read_item("document", doc, source, where)


# What an item that is not a JSON object was expected to be, by the kind of item it is.
_NOT_AN_OBJECT = {"document": "is a JSON {}, not an OCDS release or package",
                  "release": "is not a release (a JSON {} without ocid or tender)",
                  "record": "is not a record (a JSON {})"}
_ENTRY = {"releases": "release", "records": "record"}  # what each entry of a package's list is


def _read_item(kind: str, item, source: str, where: str | None) -> Iterator[Item]:
    """One item, read as what it should be (`kind`): a "document" (a release, a package or a record: a whole file,
    a JSON Lines line, an entry of a top-level array), or a package's "release" or "record". The one reading of an
    item, whether its file was parsed whole or streamed: anything but an object, or an object holding a key twice,
    is a problem naming `where`, and the next item goes on."""
    if not isinstance(item, dict):
        yield Problem(source, where, _NOT_AN_OBJECT[kind].format(_json_type(item)))
        return
    # a package's own duplicate keys here; those inside its releases or records, release by release
    flawed = _duplicate(item, source, where, nested=kind != "document")
    if flawed is not None:
        yield flawed
        return
    if kind == "document":
        package = "releases" if "releases" in item and "ocid" not in item else "records" if "records" in item else None
        if package is None:  # one record or one release
            record = "compiledRelease" in item or "releases" in item
            yield from _read_item("record" if record else "release", item, source, where)
            return
        items = item[package]
        if not isinstance(items, list):
            yield Problem(source, where, f"'{package}' is a JSON {_json_type(items)}, not a list")
            return
        at = f"{where}, " if where else ""
        yield from _items(_ENTRY[package], items, source, lambda i: f"{at}{package}[{i}]")
    elif kind == "record":
        yield from _record(item, source, where)
    elif "ocid" in item or "tender" in item:
        yield Release(source, where, item)
    elif "url" in item and len(item) <= 3:
        yield Problem(source, where, "is a linked release (a url only), not the release itself",
                      CATALOGUE["SV314"].fixes["linked-releases"])
    else:
        yield Problem(source, where, _NOT_AN_OBJECT["release"].format(_json_type(item)))


def _items(kind: str, items: Iterable, source: str, where) -> Iterator[Item]:
    """Every item of a list (parsed whole, or ijson's stream of a large file's), read as `kind`, the nth named
    `where(n)`."""
    for n, item in enumerate(items):
        yield from _read_item(kind, item, source, where(n))


def _record(rec: dict, source: str, where: str | None) -> Iterator[Item]:
    """A record: its compiledRelease if published, else its latest embedded release by date."""
    compiled = rec.get("compiledRelease")
    if isinstance(compiled, dict):
        if "ocid" not in compiled and rec.get("ocid"):
            compiled = {**compiled, "ocid": rec["ocid"]}
        yield Release(source, where, compiled)
        return
    releases = rec.get("releases")
    full = [r for r in releases if isinstance(r, dict) and ("tender" in r or "ocid" in r) and "url" not in r] \
        if isinstance(releases, list) else []
    if full:
        latest = max(full, key=lambda r: str(r.get("date") or ""))
        yield Release(source, where, latest)
    elif isinstance(releases, list) and releases:
        yield Problem(source, where, f"record {rec.get('ocid') or '?'} has only linked releases and no "
                      "compiledRelease, so there is nothing to review",
                      CATALOGUE["SV314"].fixes["records-without-releases"])
    else:
        yield Problem(source, where, f"record {rec.get('ocid') or '?'} has neither compiledRelease nor releases")


def _json_type(value) -> str:
    """What JSON calls `value`'s type (a streamed object is a dict of ijson's building: still an object)."""
    for python, name in ((dict, "object"), (list, "array"), (str, "string"), (bool, "boolean"), (type(None), "null")):
        if isinstance(value, python):
            return name
    return "number"
