"""Benchmark: does one user's large upload hold the app for everyone else (issue 14, hole 11)?

A real `streamlit run streamlit_app.py` server on 127.0.0.1 and two chromium clients (Playwright):
- the uploader opens the Tender page, picks a generated bulk tender (bids.csv + commitments.csv, the
  commitments file about --mb MB) and presses "Load the uploaded files", then waits for the page to settle;
- the other user, meanwhile, opens the app afresh again and again (a new tab each time, the shipped sample's
  Tender page drawn) and times each page load.
First the other user's page is timed with the server idle. Reported: medians of the page loads, idle and
while the upload is handled, their ratio, and the server's memory (resident, from /proc) before, at its
peak, after the load, and after the uploader's tab has closed.

    python bench/bench_uploads.py [--mb 100] [--bids 5000] [--idle 5] [--settle 150]

Chromium: /usr/bin/chromium (Debian's), as the browser tests use. Both browsers run on the server's machine,
so on a 2-core machine they take CPU from it too: the ratios are an upper bound.

Findings (2026-12-07, see the README's Speed section for the numbers): the limit halves the worst case; what
is left is the script thread's work on the bulk tender (pandas on Python strings, pickling into
st.cache_data) holding the GIL, and memory that stays because it is still in use: st.cache_data keeps the
parsed bids and the evaluation, and every new session reopens the last evaluation opened (a server-wide
setting), so other users then load the 5,000-bid tender themselves. A thread calling glibc's malloc_trim
every 5 s was tried and changed nothing measurable (1,825 against 1,837 MiB after every session had
ended), so it is not in the app.

After the change (2026-12-07, two runs): uploads over 5 MB of bid files parsed in a spawned process
(app/uploads.py), the parse uncached, a tender over 500 bids cached in its session only:
busy/idle median 1.5-1.7 (was 1.4-1.75), peak 0.75-0.8 GiB (was 0.9-1.1), 1.2 GiB left once every session
had ended (was 1.8), the same with ARROW_DEFAULT_MEMORY_POOL=system MALLOC_ARENA_MAX=2 (1,181 against
1,243 MiB): the RSS did not move at all between the tabs closing and 150 s later, so what holds it is
still to be found (a session not ended, Streamlit's message cache, the uploaded files?). New sessions
after the upload reopen the bulk tender and evaluate it each (after_median_s 5.3-6.2 s).

What held it (2026-12-07, --mb 45 --bids 2500 --idle 2, a heap report on SIGUSR1 from a sitecustomize):
Streamlit's stored sessions. A closed tab's session is kept server.disconnectedSessionTTL (120 s) for a
reconnect, but Streamlit forgets an expired one only when another session is stored after it, and then
without shutting it down (its uploaded files stay in the upload store for good). With every tab closed
and 150 s passed the server still held 15 stored sessions (0 of them reachable), the uploader's among
them with its state (the parsed bulk tender, its evaluation) and its 43 MiB upload. app/sessions.py now
ends a closed tab's session itself 15 s before the TTL (tests/test_sessions.py). Same command, same
machine, run side by side (ratios noisy: two benches shared 2 busy cores), RSS in MiB:
  before: idle 176, peak 432, after load 361, all tabs closed 358, after sessions ended 383;
          busy/idle median 2.36 (7.45 s against 3.15 s), worst 12.2 s
  sessions ended: idle 176, peak 424, after load 358, all tabs closed 357, after sessions ended 283
          (0 sessions, 0 MiB uploads; glibc: 35 MiB in use, 58 MiB free but kept);
          busy/idle median 1.96 (7.39 s against 3.77 s), worst 9.3 s
  + malloc_trim after each: after sessions ended 274 (the same with ARROW_DEFAULT_MEMORY_POOL=system: 218,
          so Arrow's mimalloc pool kept about 55 MiB)
  + Arrow's release_unused() too (what is in the app), two runs side by side: after sessions ended 240, 244
          (idle 175, 176); peak 427, 428; busy/idle median 2.07, 1.73 (4.55 s against 2.2 s, 3.76 against
          2.17), worst 5.1, 7.0 s
At the default size (--idle 2: 100 MB, 5,000 bids), with the app as committed: after sessions ended 249 MiB
(idle 176; peak 704, after load 519), busy/idle median 1.37 (2.03 s against 1.49 s), worst 2.7 s; the same
command before (the parent commit): 522 MiB, unmoved from the moment the tabs closed (idle 175; peak
699, after load 526), busy/idle median 1.57 (2.53 s against 1.61 s), worst 4.0 s. (The 1.2 GiB above was
measured before big tenders stopped being reopened for every new session.)
So of the 207 MiB the upload left above idle, 140 go back; what stays (about 65 MiB) is glibc's and
pymalloc's fragmentation and Arrow's system-pool remainder. Page loads of other users while a bulk tender is
evaluated are still about 1.7-2x slower: the evaluation and the drawing run in the server's process.
This machine also has a watcher sending SIGUSR1 to every `streamlit run` server: run this bench with a
sitecustomize on PYTHONPATH that handles or ignores SIGUSR1, or the server may die mid-run.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_bulk import generate  # noqa: E402
from tests.browser import ARGS, CHROMIUM, Server, settled  # noqa: E402

BYTES_PER_ROW = 455  # commitments.csv from the generator, measured at 1,000,000 rows (455 MB)


def rss_mib(pid: int) -> float:
    """Resident memory of the server process and its children (a worker process, if any), in MiB."""
    total = 0
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def page_load(browser, url: str) -> float:
    """A fresh tab opening the app: until the shipped sample's Tender page is drawn and the script done."""
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    try:
        page = context.new_page()
        t = time.perf_counter()
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_text("HC-2026-014").first.wait_for(timeout=300_000)
        settled(page)
        return time.perf_counter() - t - 0.5  # settled() waits 0.5 s after the script is done
    finally:
        context.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=100, help="size of commitments.csv to upload, MB (default 100)")
    ap.add_argument("--bids", type=int, default=5000)
    ap.add_argument("--idle", type=int, default=5, help="page loads timed with the server idle")
    ap.add_argument("--settle", type=float, default=150,
                    help="seconds after every tab has closed before the last memory reading (default 150: "
                         "Streamlit keeps a closed tab's session for 120 s)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if CHROMIUM is None:
        sys.exit("chromium is not installed")
    from playwright.sync_api import sync_playwright

    rows = int(args.mb * 1e6 / BYTES_PER_ROW)
    folder = args.out or ROOT / "bench" / "out" / f"upload{args.bids}x{rows}"
    if not (folder / "commitments.csv").is_file():
        generate(folder, args.bids, rows)
    files = [folder / "bids.csv", folder / "commitments.csv"]
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "home", Path(tmp) / "server.log")
        (Path(tmp) / "home").mkdir()
        url = server.start()
        try:
            result = run(url, server.proc.pid, files, args, sync_playwright)
        finally:
            server.stop()
            log = (Path(tmp) / "server.log").read_text(errors="replace")
    result.update(upload_mb=round(size_mb, 1), commitment_rows=rows, bids=args.bids)
    print(json.dumps(result, indent=1))
    if "Traceback" in log:
        print("server log has a traceback:\n" + log[-3000:], file=sys.stderr)


def run(url: str, pid: int, files: list[Path], args, sync_playwright) -> dict:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page_load(browser, url)  # first load: imports and the sample's parse, not what is measured
        idle = [page_load(browser, url) for _ in range(args.idle)]
        browser.close()
    memory = {"before": rss_mib(pid)}
    peak = [memory["before"]]
    done = threading.Event()
    upload: dict = {}

    def uploader() -> None:
        try:
            _uploader()
        except Exception as exc:  # noqa: BLE001 - reported in the result
            upload["error"] = repr(exc)[:500]
        finally:
            done.set()

    def _uploader() -> None:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            page.goto(url, wait_until="domcontentloaded")
            page.get_by_text("HC-2026-014").first.wait_for(timeout=120_000)
            settled(page)
            sent = []
            page.on("response", lambda r: sent.append(r.status) if r.request.method == "PUT"
                    and "/_stcore/upload_file/" in r.url else None)
            t = time.perf_counter()
            page.locator('[data-testid="stFileUploader"]').filter(has_text="Bids:").locator(
                'input[type="file"]').set_input_files([str(f) for f in files])
            while len(sent) < len(files):  # both files at the server before the button is pressed
                page.wait_for_timeout(100)
            upload["sent"] = time.perf_counter() - t
            upload["status"] = sent
            if any(code >= 400 for code in sent):
                raise RuntimeError(f"the server refused the upload: {sent}")
            page.get_by_role("button", name="Load the uploaded files").click()
            metric = page.locator('[data-testid="stMetric"]').filter(has_text="Bids loaded")
            metric.filter(has_text=f"{args.bids:,}").first.wait_for(timeout=900_000)
            settled(page)
            upload["seconds"] = time.perf_counter() - t
            upload["shown"] = metric.first.inner_text().replace("\n", " ")
            done.set()
            time.sleep(2)
            memory["after_load"] = rss_mib(pid)
            page.close()
            browser.close()

    def sampler() -> None:
        while not done.is_set():
            peak.append(rss_mib(pid))
            time.sleep(0.2)

    a = threading.Thread(target=uploader)
    s = threading.Thread(target=sampler)
    busy: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        a.start()
        s.start()
        while not done.is_set():
            busy.append(page_load(browser, url))
        a.join()
        s.join()
        after = [page_load(browser, url) for _ in range(3)]
        browser.close()
    memory["all_tabs_closed"] = rss_mib(pid)
    # a closed tab's session (its uploads, its state) is kept server.disconnectedSessionTTL (120 s) for a
    # reconnect; what is left after that is the server's own: caches, and memory not handed back
    time.sleep(args.settle)
    memory["after_sessions_ended"] = rss_mib(pid)
    memory["peak"] = max(peak + [memory.get("after_load", 0)])
    idle_median = statistics.median(idle)
    return {
        "idle_page_load_s": [round(x, 2) for x in idle], "idle_median_s": round(idle_median, 2),
        "busy_page_load_s": [round(x, 2) for x in busy], "busy_median_s": round(statistics.median(busy), 2),
        "busy_max_s": round(max(busy), 2),
        "busy_median_ratio": round(statistics.median(busy) / idle_median, 2),
        "after_median_s": round(statistics.median(after), 2),
        "upload_seconds": round(upload.get("seconds", float("nan")), 1), "upload_shown": upload.get("shown"),
        "error": upload.get("error"), "sent_seconds": round(upload.get("sent", float("nan")), 1), "sent_status": upload.get("status"),
        "server_rss_mib": {k: round(v) for k, v in memory.items()},
    }


if __name__ == "__main__":
    main()
