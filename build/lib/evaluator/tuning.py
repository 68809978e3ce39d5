"""Process tuning for the command line, and only for it: allocator settings, Arrow's memory pool, a wider
stdout pipe, and reading a bulk tender's commitments.csv while the tool starts. Nothing here changes a result; the engine never imports this module (the app and the
tests run with the defaults). What each setting was measured to save is in the README's "Speed"."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

# the commands that load a whole tender from --bids (the others copy or ignore the files)
READ_AHEAD_VERBS = ("evaluate", "explain", "report", "sensitivity", "track")


def keep_freed_memory() -> None:
    """For a short-lived process (the command line): let glibc keep memory that is freed for the next
    allocation instead of handing it back to the kernel at once. A bulk tender allocates and frees
    hundreds of 8 MB columns; every page handed back would be faulted in again, zeroed, by the next one.
    No effect where glibc is absent. Arrow keeps its own allocators (see arrow_memory_pool).

    numpy is also asked not to put its large arrays on transparent huge pages (its documented switch
    NUMPY_MADVISE_HUGEPAGE, unless the user has set it): each first touch would zero 2 MB.
    Must run before numpy is imported to take effect."""
    import ctypes
    import os
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the running process's own C library
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 * 1024 * 1024)  # glibc's largest: bigger blocks are still mapped apart
    mallopt(m_trim_threshold, 2**31 - 1)


def arrow_memory_pool() -> None:
    """Make jemalloc Arrow's default allocator where the pyarrow build has it: with the default one, a
    fresh process reading a bulk CSV spends much of its time in first-touch page faults."""
    import pyarrow as pa
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (NotImplementedError, AttributeError, pa.ArrowNotImplementedError):
        return


def widen_pipe(stream) -> None:
    """A pipe holds 64 KB by default, so a bulk tender's 240 MB of JSON read by another program is
    thousands of hand-overs between the two; ask for the largest pipe the system allows (Linux only).
    Anything else (a file, a terminal) is left alone."""
    import os
    import stat
    try:
        import fcntl
        fd = stream.fileno()
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return
        limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, min(limit, 1 << 22))
    except (ImportError, AttributeError, OSError, ValueError):
        return


def read_ahead(argv: list[str]) -> Optional[Callable[[Path], object]]:
    """Start parsing the bulk form's commitments.csv of `--bids DIR`, if there is one, on a background
    thread (pyarrow parses without holding the interpreter), so that the parse overlaps the time the
    tool takes to import pandas and the rest. Returns what the loader is then given explicitly
    (load_bids(..., parsed=)): a function from a file to the table parsed from it, or None when the
    file is not the one read ahead or has changed since, so the loader reads it itself, with its own
    messages, in every other case (and on any parse error)."""
    import threading

    from .documents import parse_csv
    if not argv or argv[0] not in READ_AHEAD_VERBS:
        return None
    folder = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--bids"), None)
    folder = folder or next((a.split("=", 1)[1] for a in argv if a.startswith("--bids=")), None)
    if not folder:
        return None
    try:
        path = next(p for p in Path(folder).iterdir() if p.name.lower() == "commitments.csv" and p.is_file())
        key, identity = path.resolve(), _identity(path)
    except (OSError, StopIteration, ValueError):
        return None
    result: list = [None]

    def parse() -> None:
        try:
            result[0] = parse_csv(path)
        except Exception:  # noqa: BLE001 - the loader reads it again and says what is wrong
            result[0] = None

    thread = threading.Thread(target=parse, name="read-ahead", daemon=True)
    thread.start()

    def parsed(asked: Path):
        try:
            if Path(asked).resolve() != key:
                return None
            thread.join()
            return result[0] if _identity(Path(asked)) == identity else None
        except (OSError, ValueError):
            return None
    return parsed


def _identity(path: Path) -> tuple:
    st = path.stat()
    return st.st_size, st.st_mtime_ns
