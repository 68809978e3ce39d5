"""Ending the sessions of closed tabs, so what they held goes back (issue 14, hole 11).

Streamlit keeps a closed tab's session (its state: a bulk tender's parsed bids and evaluation, hundreds of MB;
its uploaded files) for server.disconnectedSessionTTL seconds in case the tab reconnects. But it only forgets
an expired session when another session is stored after it, and even then it does not shut it down: its
uploaded files stay in the server's upload store for good. So once the last tab has closed, the last
sessions' memory stays until someone else comes and goes (measured: the server kept 1.2 GiB after a 5,000-bid
upload with every tab closed, and its RSS did not move in the 150 s after).

Every script run notes its session here (watch_session); a thread of the server's checks those sessions every
CHECK_SECONDS, and one closed for GRACE seconds (a little less than the reconnect time, so Streamlit still
holds it) is shut down the way Streamlit shuts a session down when the server stops: its state, caches and
uploaded files are released, and Arrow's pool is asked to hand freed pages back (measured: about 30 MiB more
of a 2,500-bid upload's memory returned). A tab that reconnects within GRACE keeps its session. Nothing here runs under
AppTest (no server) or outside Streamlit.
"""
from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from typing import Callable, Optional

CHECK_SECONDS = 5.0
_LOG = logging.getLogger(__name__)


class Reaper:
    """Session ids seen by script runs; sweep() ends the ones whose tab has been closed for `grace` seconds."""

    def __init__(self, grace: float, is_active: Callable[[str], bool], close: Callable[[str], None],
                 clock: Callable[[], float] = time.monotonic):
        self.grace, self._is_active, self._close, self._clock = grace, is_active, close, clock
        self._closed_since: dict[str, Optional[float]] = {}  # id -> when it was first seen without its tab
        self._lock = threading.Lock()

    def seen(self, session_id: str) -> None:
        with self._lock:
            self._closed_since[session_id] = None

    def watched(self) -> list[str]:
        with self._lock:
            return list(self._closed_since)

    def sweep(self) -> list[str]:
        """End every session closed for `grace` seconds or more; returns their ids."""
        now = self._clock()
        ended = []
        with self._lock:
            for sid, since in list(self._closed_since.items()):
                if self._is_active(sid):
                    self._closed_since[sid] = None
                elif since is None:
                    self._closed_since[sid] = now
                elif now - since >= self.grace:
                    del self._closed_since[sid]
                    ended.append(sid)
        for sid in ended:
            self._close(sid)
        return ended


def _close_on_server(runtime, session_id: str) -> None:
    """Shut a closed tab's session down on the server's event loop (Streamlit's close_session must run there),
    unless it has reconnected meanwhile; its uploaded files go even if Streamlit has already forgotten it."""
    def close() -> None:
        if runtime.is_active_session(session_id):
            return
        runtime.close_session(session_id)
        runtime.uploaded_file_mgr.remove_session_files(session_id)
        gc.collect()  # a session's state holds reference cycles (widgets, callbacks)
        _trim()

    runtime._get_async_objs().eventloop.call_soon_threadsafe(close)


def _trim() -> None:
    """Hand Arrow's free pages back to the system: its pool (mimalloc) keeps what the tables drawn used."""
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is not None:
        try:
            pyarrow.default_memory_pool().release_unused()
        except Exception:  # noqa: BLE001 - a pool without it
            pass


_reaper: Optional[Reaper] = None
_start_lock = threading.Lock()


def _run(reaper: Reaper) -> None:
    while True:
        time.sleep(CHECK_SECONDS)
        try:
            reaper.sweep()
        except Exception:  # noqa: BLE001 - never take the server down; Streamlit's own expiry still applies
            _LOG.exception("ending closed sessions failed; closed tabs are left to Streamlit")
            return


def watch_session() -> None:
    """Note the running script's session (call on every run; cheap). Starts the server's checking thread once."""
    global _reaper
    from streamlit import config, runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None or not runtime.exists() or type(runtime.get_instance()) is not runtime.Runtime:
        return  # outside a server (AppTest runs the script with a stand-in runtime)
    if _reaper is None:
        with _start_lock:
            if _reaper is None:
                rt = runtime.get_instance()
                ttl = float(config.get_option("server.disconnectedSessionTTL"))
                _reaper = Reaper(max(0.0, ttl - 3 * CHECK_SECONDS), rt.is_active_session,
                                 lambda sid: _close_on_server(rt, sid))
                threading.Thread(target=_run, args=(_reaper,), daemon=True, name="end-closed-sessions").start()
    _reaper.seen(ctx.session_id)
