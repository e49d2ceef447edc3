"""Benchmarks, reported as numbers and as ratios to an anchor measured in the same run
(never as timed assertions in tests). The last line printed is one JSON object of figures.

    python bench/run.py            # everything
    python bench/run.py --pages 10 # fewer credential pages in the browser measurement

Figures:
- build_demo_s: cold `badgepress build --verify-all` of the demo site (log checked, all 31
  credentials and the status list fully verified);
- rebuild_nochange_s: the same build again with nothing changed (log and hashes checked,
  verification cache used);
- anchor_verify_ms: one full Python verification of one demo credential, the yardstick the
  build figures are divided by (``build_ratio``, ``rebuild_ratio``);
- verify_page_median_ms: credential page, DOMContentLoaded -> verdict, headless chromium;
- verify_page_gzip_kb: bytes a first visit transfers for one credential page, gzipped;
- edit_rebuild_s: on a synthetic site of 1,000 badges and 10,000 credentials (bench/
  synthetic.py), the incremental rebuild after editing one badge's criteria, as `serve`
  does it (goal <= 0.5 s); also its first full build (scale_first_build_s);
- anchor_ms: SHA-256 of 4 MiB x 8 in the same browser: the machine-speed yardstick the
  page figure is divided by (``verify_page_ratio``), comparable across machines.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from badgepress.build.pipeline import build  # noqa: E402
from badgepress.serve.static import serve_in_thread  # noqa: E402

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


def measure_scale() -> dict:
    from badgepress.build.incremental import IncrementalBuilder
    from synthetic import make_site

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        make_site(site, 1000, 10000, seed_cache=True)
        builder = IncrementalBuilder(site, Path(tmp) / "out")
        start = time.perf_counter()
        builder.build(now=DEMO_NOW)
        first = time.perf_counter() - start
        times = []
        for n in range(5):
            badge = site / f"badges/badge-{100 + n:04d}.md"
            badge.write_text(badge.read_text().replace(f"- Do task {100 + n}",
                                                       f"- Do task {100 + n}, again"))
            start = time.perf_counter()
            result = builder.build(now=DEMO_NOW, changed={badge})
            times.append(time.perf_counter() - start)
        edit = statistics.median(times)
        print(f"1,000 badges / 10,000 credentials: first build {first:.1f} s; edit one badge "
              f"-> rebuild {edit:.3f} s median of 5, {len(result.written)} files written "
              "(goal <= 0.5 s)")
        return {"scale_first_build_s": round(first, 2), "edit_rebuild_s": round(edit, 3),
                "edit_rebuild_files_written": len(result.written)}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=31)
    parser.add_argument("--no-scale", action="store_true",
                        help="skip the 1,000-badge / 10,000-credential incremental rebuild")
    args = parser.parse_args()
    figures: dict = {}
    if not args.no_scale:
        figures |= measure_scale()
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
        pages = [a.url for a in result.awards][: args.pages]
        figures |= measure_pages(out, pages)
        print(f"cold build of the demo: {figures['build_demo_s']} s "
              f"({figures['credentials']} credentials verified; "
              f"{figures['build_ratio']}x one credential's verification, "
              f"{figures['anchor_verify_ms']} ms)")
        print(f"no-change rebuild: {figures['rebuild_nochange_s']} s "
              f"({figures['rebuild_ratio']}x the anchor)")
        print(f"credential page, DOMContentLoaded -> verdict: median "
              f"{figures['verify_page_median_ms']} ms over {figures['pages_measured']} pages "
              f"(target <= 300 ms); {figures['verify_page_ratio']}x the anchor "
              f"({figures['anchor_ms']} ms)")
        print(f"credential page transfer, gzipped: {figures['verify_page_gzip_kb']} KB "
              "(target <= 150 KB)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
