"""Per-file work on every core: forked worker processes over ranges of a list.

Workers are forked, so they see the parent's state as it was at the fork (the plan, the
compiled templates, the verified logs) without pickling it; each task is a range of indexes
and returns a small result. Python's GIL makes threads useless for this CPU-bound work
(Jinja, JSON, hashing small files); processes are what use the second core.

Not multiprocessing.Pool: its worker-handler thread waits on the result pipe too, so it
spins while a result waits to be read, burning in this process the CPU the workers need
(3 s of a 100,000-credential build). Here each worker takes the next range from a counter
in shared memory and sends its result down one pipe, which this process reads itself.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from typing import Any, TypeVar

SMALL = 2000  # below this many items, forking costs more than it saves
WORKERS_ENV = "BADGEPRESS_WORKERS"

R = TypeVar("R")
_TASK: tuple[Callable[[Any, int, int], Any], Any] | None = None


@contextmanager
def collector_paused(collect: bool = True) -> Iterator[None]:
    """Python's cycle collector off while a one-off build loads and plans: it would scan
    the whole heap again and again as 100,000 awards and 300,000 jobs pile up (a third of
    the plan stage at 100,000 credentials), to find almost nothing, since what a build
    makes lives until it ends. Worker processes collect as usual (``fan_out``).

    ``collect``: one collection at the end frees whatever cycles the paused part left
    (half a second at 100,000 credentials). A one-off build passes False: its objects
    live until its process ends, and a later collection in a process that goes on finds
    what is garbage then. Not for rendering a large site in this process: each Jinja
    render leaves ~25 objects in cycles (a one-off build renders in workers above
    ``SMALL`` items)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
            if collect:
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
    stack = ExitStack()  # the workers are ended however this generator ends
    try:
        results = stack.enter_context(closing(_run_workers(ranges, worker_count(n))))
        if not ordered:
            for start, end, result in results:
                done += end - start
                yield done, result
            return
        waiting: dict[int, tuple[int, Any]] = {}
        position = 0
        for start, end, result in results:
            waiting[start] = (end, result)
            while position < n and position in waiting:
                end, result = waiting.pop(position)
                done += end - position
                yield done, result
                position = end
    finally:
        stack.close()
        gc.unfreeze()
        _TASK = None


def _run_workers(ranges: list[tuple[int, int]], workers: int
                 ) -> Iterator[tuple[int, int, Any]]:
    """(start, end, result) of every range, as the forked workers finish them. A worker's
    exception is raised here; a worker that dies (killed, out of memory) is an error, not
    a wait forever."""
    from multiprocessing.connection import wait

    ctx = multiprocessing.get_context("fork")
    counter = ctx.RawValue("q", 0)  # the next range to take
    lock = ctx.Lock()
    out = ctx.SimpleQueue()
    processes = [ctx.Process(target=_worker, args=(ranges, counter, lock, out), daemon=True)
                 for _ in range(min(workers, len(ranges)))]
    for process in processes:
        process.start()
    try:
        received = 0
        reader = out._reader
        alive = list(processes)
        while received < len(ranges):
            if alive:
                ready = wait([reader, *(p.sentinel for p in alive)])
            elif reader.poll():
                ready = [reader]
            else:
                raise RuntimeError("the build's worker processes ended before finishing")
            if reader in ready:
                ok, start, end, value = out.get()
                if not ok:
                    raise value
                received += 1
                yield start, end, value
                continue
            for p in [p for p in alive if p.sentinel in ready]:
                p.join()
                if p.exitcode != 0:  # killed, out of memory: its range is lost
                    raise RuntimeError(f"a build worker process ended unexpectedly "
                                       f"(exit code {p.exitcode})")
                alive.remove(p)  # done: every result it made is in the pipe
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()
        out.close()


def in_worker() -> bool:
    """Whether this process is one of fan_out's workers, which fork nothing (so it may run
    what must not run in a process that forks afterwards: cards.draw_card)."""
    return _WORKER == os.getpid()


_WORKER: int | None = None  # the process id of a worker, set in that worker


def _worker(ranges: list[tuple[int, int]], counter, lock, out) -> None:
    global _WORKER
    _WORKER = os.getpid()
    gc.enable()  # the parent's objects are frozen: it collects only what this one makes
    while True:
        with lock:
            i = counter.value
            counter.value = i + 1
        if i >= len(ranges):
            return
        start, end = ranges[i]
        try:
            out.put((True, start, end, _call((start, end))))
        except BaseException as exc:  # raised in the parent, as the Pool did
            out.put((False, start, end, _picklable(exc)))
            return


def _picklable(exc: BaseException) -> BaseException:
    """``exc`` itself when it survives the trip to the parent, else a RuntimeError with
    its traceback."""
    import pickle
    import traceback

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        text = "".join(traceback.format_exception(exc))
        return RuntimeError(f"in a build worker process:\n{text}")
