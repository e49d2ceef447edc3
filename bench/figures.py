"""What the program figures cost a build (issue #13): the one pass over the credentials
(content/figures.py) and the four pages that show them (/skills/, /insights/, /pathways/,
/feeds/badges.atom), on a synthetic site.

    python bench/synthetic.py /tmp/site --badges 1000 --credentials 10000
    python bench/figures.py /tmp/site
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from badgepress.build.pipeline import Pipeline
from badgepress.content.figures import compute_figures

PAGES = ("skills/index.html", "insights/index.html", "pathways/index.html",
         "feeds/badges.atom")


def main(root: Path) -> None:
    planned = Pipeline(root).plan()
    awards = planned.awards
    start = time.perf_counter()
    for _ in range(5):
        compute_figures(planned.catalog, awards)
    figures_ms = (time.perf_counter() - start) / 5 * 1000
    timings = {}
    for path in PAGES:
        job = planned.jobs[path]
        start = time.perf_counter()
        size = len(job.make())
        timings[path] = ((time.perf_counter() - start) * 1000, size)
    print(f"{len(planned.catalog.badges)} badges, {len(awards)} credentials")
    print(f"figures pass: {figures_ms:.1f} ms")
    for path, (ms, size) in timings.items():
        print(f"{path}: {ms:.1f} ms, {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
