"""Benchmarks, reported as numbers and as ratios to an anchor measured in the same run
(never as timed assertions in tests). The last line printed is one JSON object of figures.

    pip install -e '.[bench]'       # Hugo 0.168.0, the scale benchmark's anchor
    python bench/run.py             # 1,000 badges + 100,000 credentials, demo, browser
    python bench/run.py --quick     # 10,000 credentials, 200 issued rows, no browser
    python bench/run.py --credentials 20000 --issue-rows 300   # any size in between

Scale figures, on a synthetic site (bench/synthetic.py) made once and cached by content in
bench/.cache/, each measured on a fresh copy without a build cache:
- pages, cold_build_s: HTML files written and wall time of `badgepress build` (subprocess),
  with its stage timings; peak_rss_mb: the build's whole process tree, sampled every 50 ms
  (peak_pss_mb: the same with pages shared by forked workers counted once, every 0.5 s:
  reading it walks page tables under the memory map's lock, which slows the build);
  peak_rss_main_mb: ru_maxrss of the build process itself (target <= 1.5 GB);
- hugo_s, ratio_vs_hugo: Hugo 0.168.0 on a site of as many pages with the same visible
  words per page (bench/hugo_site.py), all cores, cold; cold_build_s / hugo_s (target <= 1);
  both builds start after the disk has written out the copy made for them (settle_disk);
  cold_build_user_s / _sys_s, hugo_user_s / _sys_s, cpu_ratio_vs_hugo: CPU seconds of each
  (workers and threads included) and their ratio, which a busy disk sways less than wall time;
- noop_rebuild_s: the build again, nothing changed (target <= 3 s);
- one_badge_rebuild_s, one_revocation_rebuild_s: as `serve` does them, an in-process
  IncrementalBuilder told which files changed, after one badge's Markdown is edited and
  after `badgepress revoke` (median of 3; target <= 0.5 s); edit_rebuild_s is the first,
  under its old name;
- issue_per_s: `badgepress issue --csv` of 1,000 rows (--quick 200) with the default suite
  eddsa-rdfc-2022 into a fresh copy of the site (so the local issue index is built from
  every credential file, as on a fresh clone), rows per second of wall time (target
  >= 100/s); issue_again_per_s: as many rows more into the same copy, a maintainer's next
  batch;

Demo figures:
- build_demo_s: cold `badgepress build --verify-all` of the demo site (log checked, all 31
  credentials and the status list fully verified);
- rebuild_nochange_s: the same build again with nothing changed (log and hashes checked,
  verification cache used);
- anchor_verify_ms: one full Python verification of one demo credential, the yardstick the
  build figures are divided by (``build_ratio``, ``rebuild_ratio``);
- verify_page_median_ms: credential page, DOMContentLoaded -> verdict, headless chromium;
- verify_page_gzip_kb: bytes a first visit transfers for one credential page, gzipped;
- anchor_ms: SHA-256 of 4 MiB x 8 in the same browser: the machine-speed yardstick the
  page figure is divided by (``verify_page_ratio``), comparable across machines.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from badgepress.build.pipeline import build  # noqa: E402
from badgepress.serve.static import serve_in_thread  # noqa: E402
from hugo_site import settle_disk  # noqa: E402

CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DEMO_NOW = datetime(2026, 11, 1, tzinfo=UTC)

MEASURE = """
window.__bench = {};
document.addEventListener('DOMContentLoaded', () => {
  window.__bench.dcl = performance.now();
  const panel = document.getElementById('verification');
  if (!panel) return;
  new MutationObserver(() => {
    if (panel.dataset.verdict !== 'pending' && !window.__bench.verdict) {
      window.__bench.verdict = performance.now();
      window.__bench.result = panel.dataset.verdict;
    }
  }).observe(panel, { attributes: true, attributeFilter: ['data-verdict'] });
});
"""

ANCHOR = """async () => {
  const data = new Uint8Array(4 * 1024 * 1024);
  const t0 = performance.now();
  for (let i = 0; i < 8; i++) { data[0] = i; await crypto.subtle.digest('SHA-256', data); }
  return performance.now() - t0;
}"""


def measure_pages(out: Path, pages: list[str]) -> dict:
    from playwright.sync_api import sync_playwright

    server, url = serve_in_thread(out, site_root=ROOT)
    times, sizes, verdicts, anchors = [], [], [], []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for path in pages:
                context = browser.new_context()
                page = context.new_page()
                page.clock.set_fixed_time(DEMO_NOW)
                page.add_init_script(MEASURE)
                bodies: list[bytes] = []
                page.on("response", lambda r, b=bodies: b.append(r.body()) if r.ok else None)
                page.goto(url + path)
                # poll from Python: a string predicate would be eval'd, which the CSP forbids
                deadline = time.perf_counter() + 30
                while not page.evaluate("() => window.__bench && window.__bench.verdict"):
                    if time.perf_counter() > deadline:
                        raise TimeoutError(f"no verdict on {path}")
                    page.wait_for_timeout(20)
                bench = page.evaluate("() => window.__bench")
                times.append(bench["verdict"] - bench["dcl"])
                verdicts.append(bench["result"])
                sizes.append(sum(len(gzip.compress(b, 6)) for b in bodies))
                anchors.append(page.evaluate(ANCHOR))
                context.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    median = statistics.median(times)
    anchor = statistics.median(anchors)
    return {"verify_page_median_ms": round(median, 1),
            "verify_page_p90_ms": round(sorted(times)[int(len(times) * 0.9) - 1], 1),
            "verify_page_gzip_kb": round(statistics.median(sizes) / 1024, 1),
            "verify_page_verdicts": sorted(set(verdicts)),
            "anchor_ms": round(anchor, 1),
            "verify_page_ratio": round(median / anchor, 2),
            "pages_measured": len(times)}


TARGETS = {"ratio_vs_hugo": "<= 1.0x Hugo", "peak_rss_mb": "<= 1,536 MB (1.5 GB)",
           "one_badge_rebuild_s": "<= 0.5 s", "one_revocation_rebuild_s": "<= 0.5 s",
           "noop_rebuild_s": "<= 3 s", "issue_per_s": ">= 100/s"}


class TreeRss:
    """Peak of the summed RSS of a process and all its descendants, sampled from /proc every
    ~50 ms in a thread: the build may start worker processes, whose memory counts as much
    as its own (ru_maxrss sees one process at a time). Cheap enough not to slow the build
    it watches: the tree is found through each process's children list (not by reading
    every process of the machine), and the PSS (smaps_rollup walks a process's page tables,
    holding its memory map's lock) is read every ``pss_every`` samples."""

    def __init__(self, pid: int, interval: float = 0.05, pss_every: int = 10):
        self.pid, self.interval, self.pss_every = pid, interval, pss_every
        self.peak = 0
        self.peak_pss = 0  # proportional: pages a forked worker shares count once in all
        self.pids: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._page = os.sysconf("SC_PAGE_SIZE")

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            self.peak = max(self.peak, self.sample())
            if n % self.pss_every == 0:
                self.peak_pss = max(self.peak_pss, sum(_pss(pid) for pid in self.pids))
            n += 1
            self._stop.wait(self.interval)

    def sample(self) -> int:
        """Bytes resident in the tree now (processes may come and go while we read)."""
        total, todo, pids = 0, [self.pid], []
        while todo:
            pid = todo.pop()
            try:
                with open(f"/proc/{pid}/statm", "rb") as fh:
                    resident = int(fh.read().split()[1])
            except (OSError, IndexError, ValueError):
                continue
            pids.append(pid)
            total += resident * self._page
            todo.extend(_children(pid))
        self.pids = pids
        return total


def _children(pid: int) -> list[int]:
    """The processes that ``pid``'s threads started (Linux's /proc/PID/task/TID/children)."""
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as fh:
                out.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return out


def _pss(pid: int) -> int:
    """Proportional set size of one process in bytes (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def run_cli(site: Path, *args: str, measure_rss: bool = False) -> tuple[float, str, dict]:
    """``python -m badgepress ARGS`` in ``site``: wall seconds, its output, and with
    ``measure_rss`` the peak RSS of its process tree and the build process's own ru_maxrss
    (from wait4: getrusage(RUSAGE_CHILDREN) would fold in every earlier child of ours)."""
    cmd = [sys.executable, "-m", "badgepress", *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=site, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    rss: dict = {}
    if measure_rss:
        with TreeRss(proc.pid) as tree:
            output = proc.stdout.read() if proc.stdout else b""
            _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        rss = {"peak_rss_mb": round(tree.peak / 2**20, 1),
               "peak_pss_mb": round(tree.peak_pss / 2**20, 1),
               "peak_rss_main_mb": round(usage.ru_maxrss / 1024, 1),
               # CPU of the build and the workers it waited for
               "user_s": round(usage.ru_utime, 1), "sys_s": round(usage.ru_stime, 1)}
    else:
        output, _ = proc.communicate()
    seconds = time.perf_counter() - start
    text = output.decode("utf-8", "replace")
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[2:])} failed (exit {proc.returncode}) in {site}:\n"
                         f"{text}\n(a stale bench/.cache? delete it and run again)")
    return seconds, text, rss


def show(output: str, prefix: str = "    | ") -> None:
    """The command's own lines (stage timings with -v), indented under ours."""
    for line in output.strip("\n").splitlines()[-12:]:
        print(prefix + line)


def snapshot(folder: Path) -> dict[Path, tuple[int, int, int]]:
    """Inode, mtime and size of every file: an atomic rewrite changes the inode even within
    one mtime tick."""
    out = {}
    for p in folder.rglob("*"):
        st = p.lstat()
        if S_ISREG(st.st_mode):
            out[p] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return out


def changed_files(before: dict[Path, tuple[int, int, int]],
                  after: dict[Path, tuple[int, int, int]]) -> set[Path]:
    """Files added, removed or rewritten: what a file watcher would have reported."""
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


def incremental(site: Path, out: Path, key_file: Path, edits: int = 3) -> dict:
    """Rebuilds as `serve` does them: one builder in this process, told which files changed.
    The site already holds the verification cache of the cold build, as a maintainer's
    would, so the first build (not timed) does not verify everything again."""
    from badgepress.build.incremental import IncrementalBuilder

    now = datetime.now(UTC)
    builder = IncrementalBuilder(site, out)
    start = time.perf_counter()
    first = builder.build(now=now)
    figures: dict = {"scale_first_build_s": round(time.perf_counter() - start, 2)}
    badge_times, written = [], 0
    slugs = sorted(b.slug for b in first.catalog.badges)
    for n in range(edits):
        slug = slugs[(100 + n) % len(slugs)]
        badge = site / f"badges/{slug}.md"
        text = badge.read_text()
        badge.write_text(text.replace("- Then task", "- Then, again, task", 1))
        start = time.perf_counter()
        result = builder.build(now=now, changed={badge})
        badge_times.append(time.perf_counter() - start)
        written = len(result.written)
    revoke_times, changed_counts = [], []
    victims = [a.uuid for a in first.awards[:: max(1, len(first.awards) // edits)]][:edits]
    for uuid in victims:
        before = snapshot(site / "site_src")
        run_cli(site, "revoke", uuid, "--reason", "benchmark", "--key", str(key_file))
        changed = changed_files(before, snapshot(site / "site_src"))
        start = time.perf_counter()
        result = builder.build(now=datetime.now(UTC), changed=changed)
        revoke_times.append(time.perf_counter() - start)
        changed_counts.append(len(changed))
        assert any(a.uuid == uuid and a.state == "revoked" for a in result.awards), uuid
    figures |= {"one_badge_rebuild_s": round(statistics.median(badge_times), 3),
                "edit_rebuild_s": round(statistics.median(badge_times), 3),
                "edit_rebuild_files_written": written,
                "one_revocation_rebuild_s": round(statistics.median(revoke_times), 3),
                "revocation_changed_files": max(changed_counts)}
    print(f"  first in-process build {figures['scale_first_build_s']} s (not timed); "
          f"edit one badge: {[round(t, 3) for t in badge_times]} s, {written} files written; "
          f"revoke one credential ({max(changed_counts)} files changed): "
          f"{[round(t, 3) for t in revoke_times]} s")
    return figures


def issue_rate(pristine: Path, work: Path, key_file: Path, rows: int, badges: int) -> dict:
    """Bulk issuance with the default suite (eddsa-rdfc-2022) into a copy of the big site,
    the whole command's wall time: loading the site and its duplicate check included. The
    first batch runs on a fresh copy, as on a fresh clone, so it also builds the local
    issue index from all the credential files; a second batch of as many rows into the same
    copy is what a maintainer's next batch costs."""
    from synthetic import copy_site

    site = copy_site(pristine, work / "issue-site")
    settle_disk()
    figures: dict = {"issue_rows": rows}
    for batch, name in ((0, "issue"), (1, "issue_again")):
        csv_path = work / f"rows-{batch}.csv"
        lines = ["badge,email,name"] + [
            f"badge-{n % badges:04d},new{batch}-{n}@example.org,New Earner {batch}-{n}"
            for n in range(rows)]
        csv_path.write_text("\n".join(lines) + "\n")
        seconds, output, _ = run_cli(site, "issue", "--csv", str(csv_path), "--key",
                                     str(key_file))
        if f"{rows} credentials issued" not in output:
            raise SystemExit(f"issue did not issue {rows} credentials:\n{output[-2000:]}")
        figures |= {f"{name}_per_s": round(rows / seconds, 1), f"{name}_s": round(seconds, 2)}
    print(f"  issued {rows} rows in {figures['issue_s']:.1f} s on a fresh copy, then "
          f"{rows} more in {figures['issue_again_s']:.1f} s")
    return figures


def credential_page_words(out: Path, sample: int = 21) -> tuple[int, int]:
    """Median visible words and HTML bytes of our credential pages (the Hugo pages match the
    words; our bytes also hold the embedded signed credential and more head)."""
    from hugo_site import visible_words

    pages = sorted((out / "credentials").glob("*/index.html"))[:sample]
    words = [visible_words(p.read_text(encoding="utf-8")) for p in pages]
    return int(statistics.median(words)), int(statistics.median(p.stat().st_size
                                                                for p in pages))


def hugo_anchor(out: Path, pages: int, work: Path, binary: Path) -> dict:
    """Hugo on a site with as many HTML pages as ours, pages of the same visible text."""
    import hugo_site

    words, our_bytes = credential_page_words(out)
    words = max(60, round(words, -1))  # a round number keeps the cached source reusable
    source, made = hugo_site.cached_source(pages, words)
    run = hugo_site.build(source, work, binary)
    if run.html_pages != pages:
        raise SystemExit(f"the Hugo site built {run.html_pages} pages, ours {pages}")
    print(f"  Hugo {hugo_site.hugo_version(binary)}: {pages} pages in {run.seconds:.2f} s "
          f"(source {f'written in {made:.1f} s' if made else 'from the cache'}); "
          f"visible words per credential page: ours {words}, Hugo's {run.page_words}; "
          f"HTML bytes: ours {our_bytes}, Hugo's {run.page_bytes}")
    return {"hugo_s": round(run.seconds, 2), "hugo_user_s": round(run.user_s, 1),
            "hugo_sys_s": round(run.sys_s, 1), "hugo_pages": run.html_pages,
            "page_words": words, "hugo_page_words": run.page_words,
            "page_bytes": our_bytes, "hugo_page_bytes": run.page_bytes}


def measure_scale(badges: int, credentials: int, issue_rows: int, binary: Path,
                  work: Path) -> dict:
    """The scale benchmark: every figure on a fresh copy of one cached pristine site, in
    ``work``."""
    from synthetic import cached_site, copy_site

    print(f"scale: {badges:,} badges, {credentials:,} credentials")
    made = cached_site(badges, credentials)
    print(f"  synthetic site {made.folder.name}: "
          f"{f'made in {made.made_s:.1f} s' if made.made_s else 'from bench/.cache'}")
    figures: dict = {"badges": badges, "scale_credentials": credentials}
    site = copy_site(made.site, work / "site")
    settle_disk()
    seconds, output, rss = run_cli(site, "build", "-v", measure_rss=True)
    show(output)
    out = site / "_site"
    cpu = {"cold_build_user_s": rss.pop("user_s"), "cold_build_sys_s": rss.pop("sys_s")}
    figures |= {"pages": sum(1 for _ in out.rglob("*.html")),
                "cold_build_s": round(seconds, 2), **cpu, **rss}
    seconds, output, _ = run_cli(site, "build", "-v")
    show(output)
    figures["noop_rebuild_s"] = round(seconds, 2)
    figures |= hugo_anchor(out, figures["pages"], work, binary)
    figures["ratio_vs_hugo"] = round(figures["cold_build_s"] / figures["hugo_s"], 2)
    ours = figures["cold_build_user_s"] + figures["cold_build_sys_s"]
    figures["cpu_ratio_vs_hugo"] = round(
        ours / max(0.01, figures["hugo_user_s"] + figures["hugo_sys_s"]), 2)
    figures |= incremental(site, work / "inc-out", made.key_file)
    figures |= issue_rate(made.site, work, made.key_file, issue_rows, badges)
    return figures


def report_scale(f: dict) -> None:
    """One line per figure, with its target."""
    print(f"cold build, {f['pages']:,} pages: {f['cold_build_s']} s; Hugo {f['hugo_s']} s "
          f"-> {f['ratio_vs_hugo']}x Hugo (target {TARGETS['ratio_vs_hugo']})")
    print(f"  CPU: ours {f['cold_build_user_s']} s user + {f['cold_build_sys_s']} s system, "
          f"Hugo {f['hugo_user_s']} + {f['hugo_sys_s']} s -> {f['cpu_ratio_vs_hugo']}x")
    print(f"peak RSS of the build (process tree, shared pages counted in each process): "
          f"{f['peak_rss_mb']} MB; proportional (PSS, shared pages split): "
          f"{f['peak_pss_mb']} MB; main process {f['peak_rss_main_mb']} MB "
          f"(target {TARGETS['peak_rss_mb']})")
    print(f"no-change rebuild: {f['noop_rebuild_s']} s (target {TARGETS['noop_rebuild_s']})")
    print(f"one badge edited, incremental rebuild: {f['one_badge_rebuild_s']} s median of 3 "
          f"(target {TARGETS['one_badge_rebuild_s']})")
    print(f"one credential revoked, incremental rebuild: {f['one_revocation_rebuild_s']} s "
          f"median of 3 (target {TARGETS['one_revocation_rebuild_s']})")
    print(f"bulk issue, eddsa-rdfc-2022: {f['issue_per_s']}/s over {f['issue_rows']} rows "
          f"on a fresh copy (target {TARGETS['issue_per_s']}); the next batch "
          f"{f['issue_again_per_s']}/s")


def verify_anchor_ms(result) -> float:
    """Median of 5 full verifications of one demo credential, in ms."""
    from badgepress.build.credential_stage import site_resolver
    from badgepress.trust.verify import verify_credential

    resolver = site_resolver(result.catalog)
    raw = result.awards[0].raw
    times = []
    for _ in range(5):
        start = time.perf_counter()
        verify_credential(raw, resolver, DEMO_NOW)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def demo_and_browser(pages: int, browser: bool) -> dict:
    """The demo site's figures (cold build with --verify-all, no-change rebuild, ratios to
    one verification) and, unless skipped, the credential page in headless chromium."""
    figures: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        start = time.perf_counter()
        result = build(ROOT, out, now=DEMO_NOW, verify_all=True)
        figures["build_demo_s"] = round(time.perf_counter() - start, 3)
        start = time.perf_counter()
        build(ROOT, out, now=DEMO_NOW)
        figures["rebuild_nochange_s"] = round(time.perf_counter() - start, 3)
        figures["credentials"] = len(result.awards)
        anchor = verify_anchor_ms(result)
        figures["anchor_verify_ms"] = round(anchor, 1)
        figures["build_ratio"] = round(figures["build_demo_s"] * 1000 / anchor, 1)
        figures["rebuild_ratio"] = round(figures["rebuild_nochange_s"] * 1000 / anchor, 1)
        print(f"cold build of the demo: {figures['build_demo_s']} s "
              f"({figures['credentials']} credentials verified; "
              f"{figures['build_ratio']}x one credential's verification, "
              f"{figures['anchor_verify_ms']} ms)")
        print(f"no-change rebuild of the demo: {figures['rebuild_nochange_s']} s "
              f"({figures['rebuild_ratio']}x the anchor)")
        if browser:
            figures |= measure_pages(out, [a.url for a in result.awards][:pages])
            print(f"credential page, DOMContentLoaded -> verdict: median "
                  f"{figures['verify_page_median_ms']} ms over {figures['pages_measured']} "
                  f"pages (target <= 300 ms); {figures['verify_page_ratio']}x the anchor "
                  f"({figures['anchor_ms']} ms)")
            print(f"credential page transfer, gzipped: {figures['verify_page_gzip_kb']} KB "
                  "(target <= 150 KB)")
    return figures


def available_memory_mb() -> int | None:
    """MemAvailable of /proc/meminfo (None where there is none): what the timed builds can
    use before the kernel starts reclaiming, which slows every build it runs beside."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


# what the 100,000-credential run holds at once: fresh copies, outputs, Hugo's (in memory
# when TMPDIR is a tmpfs), plus the build's own 1.1 GB
SCALE_MEMORY_MB = 12_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="10,000 credentials instead of 100,000, 200 issued rows, no "
                             "browser measurement")
    parser.add_argument("--badges", type=int, default=1000)
    parser.add_argument("--credentials", type=int,
                        help="credentials of the synthetic site (default 100,000; --quick "
                             "10,000)")
    parser.add_argument("--issue-rows", type=int,
                        help="rows of the bulk-issue CSV (default 1,000; --quick 200)")
    parser.add_argument("--pages", type=int, default=31,
                        help="credential pages in the browser measurement")
    parser.add_argument("--no-browser", action="store_true",
                        help="skip the headless chromium measurement")
    parser.add_argument("--no-scale", action="store_true", help="skip the scale benchmark")
    args = parser.parse_args()
    credentials = args.credentials or (10_000 if args.quick else 100_000)
    rows = args.issue_rows or (200 if args.quick else 1000)
    figures: dict = {"quick": args.quick}
    free = available_memory_mb()
    if free is not None:
        figures["mem_available_mb"] = free
        if not args.quick and not args.no_scale and free < SCALE_MEMORY_MB:
            # measured: with 7 GB of old outputs left in /dev/shm, both builds took twice
            # their system time (ours 38.0 s against 29.4 s, Hugo 38.6 s against 31.7 s)
            print(f"warning: {free:,} MB of memory available, under the {SCALE_MEMORY_MB:,} "
                  "MB this run holds at once (more in a tmpfs TMPDIR): the kernel will "
                  "reclaim memory during the timed builds and slow both; free some first "
                  "(old files in /dev/shm count)")
    binary = None
    if not args.no_scale:  # before anything slow: say how to install Hugo if it is missing
        from hugo_site import HUGO_VERSION, INSTALL_HINT, hugo_binary, hugo_version

        binary = hugo_binary()
        if binary is None:
            sys.exit(f"no hugo found. {INSTALL_HINT}")
        if hugo_version(binary) != HUGO_VERSION:
            print(f"warning: hugo {hugo_version(binary)} at {binary}, not {HUGO_VERSION}: "
                  f"the ratio is comparable only with the same Hugo. {INSTALL_HINT}")
    figures |= demo_and_browser(args.pages, browser=not (args.quick or args.no_browser))
    if binary is None:
        print(json.dumps(figures))
        return
    # the working folder holds several copies of the site and its outputs (300,000+ files
    # at full size): removing it takes minutes, so the figures are printed before that
    with tempfile.TemporaryDirectory(prefix="badgepress-bench-") as tmp:
        figures |= measure_scale(args.badges, credentials, rows, binary, Path(tmp))
        if args.quick:
            print(f"(--quick: {credentials:,} credentials, {rows} issued rows, no browser)")
        report_scale(figures)
        print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
