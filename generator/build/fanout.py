"""Per-file work on every core: forked worker processes over ranges of a list.

Workers are forked, so they see the parent's state as it was at the fork (the plan, the
compiled templates, the verified logs) without pickling it; each task is a range of indexes
and returns a small result. Python's GIL makes threads useless for this CPU-bound work
(Jinja, JSON, hashing small files); processes are what use the second core.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

SMALL = 2000  # below this many items, forking costs more than it saves
WORKERS_ENV = "BADGEPRESS_WORKERS"

R = TypeVar("R")
_TASK: tuple[Callable[[Any, int, int], Any], Any] | None = None


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a one-off build loads and plans: it would scan
    the whole heap again and again as 100,000 awards and 300,000 jobs pile up (a third of
    the plan stage at 100,000 credentials), to find almost nothing, since what a build
    makes lives until it ends. Worker processes collect as usual (``fan_out``); one
    collection at the end frees whatever cycles the paused part left. Not for rendering
    in this process: each Jinja render leaves ~25 objects in cycles."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
            gc.collect()


def worker_count(n_items: int) -> int:
    """Processes to use: one per core this process may run on (BADGEPRESS_WORKERS
    overrides), and none besides this one for small work."""
    wanted = os.environ.get(WORKERS_ENV, "")
    cores = int(wanted) if wanted.isdigit() and int(wanted) > 0 else len(
        os.sched_getaffinity(0))
    return 1 if n_items < SMALL else cores


def _call(bounds: tuple[int, int]) -> Any:
    assert _TASK is not None
    fn, context = _TASK
    return fn(context, *bounds)


def fan_out(fn: Callable[[Any, int, int], R], context: Any, n: int, *, chunk: int = 400,
            ordered: bool = True) -> Iterator[tuple[int, R]]:
    """``fn(context, start, end)`` over ranges of ``range(n)``, in worker processes when
    ``n`` is large: yields (items done so far, result), in range order when ``ordered``."""
    global _TASK
    ranges = [(s, min(s + chunk, n)) for s in range(0, n, chunk)]
    done = 0
    if worker_count(n) == 1:
        for start, end in ranges:
            done += end - start
            yield done, fn(context, start, end)
        return
    _TASK = (fn, context)
    if gc.isenabled():  # paused (collector_paused, a dev server's build): collecting now
        gc.collect()    # would scan the whole heap, seconds at 100,000 credentials
    gc.freeze()  # keep the collector from touching (and so copying) the parent's pages
    try:
        # workers collect (only what they make: the parent's objects are frozen)
        with multiprocessing.get_context("fork").Pool(worker_count(n),
                                                      initializer=gc.enable) as pool:
            sizes = dict(ranges)
            mapper = pool.imap if ordered else pool.imap_unordered
            for (start, result) in mapper(_with_start, ranges):
                done += sizes[start] - start
                yield done, result
    finally:
        gc.unfreeze()
        _TASK = None


def _with_start(bounds: tuple[int, int]) -> tuple[int, Any]:
    return bounds[0], _call(bounds)
