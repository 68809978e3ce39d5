"""Process tuning for the command line, and only for it: allocator settings, Arrow's memory pool and a
wider stdout pipe. Nothing here changes a result; the engine never imports this module (the app and the
tests run with the defaults). What each setting was measured to save is in the README's "Speed"."""
from __future__ import annotations

from pathlib import Path


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
