"""Signing credentials on every core: RDFC canonicalization is pure CPU (a few ms each), so a
bulk issue signs in worker processes while the parent alone writes files, the journal and
the log (the transaction's single writer, exactly as when it signs itself).

Why the pool is made before the lock is taken: forked workers inherit the parent's open
files, and the lock is an flock on an open file; a worker left behind by a parent killed
with SIGKILL would keep holding it, and the next `issue` would wait forever. Workers also
exit by themselves when their parent is gone, so nothing lingers after a crash.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from types import TracebackType
from typing import Any

from ..core.dates import iso
from ..trust import proof
from ..trust.keys import SigningKey

PARALLEL_MIN = 50  # fewer rows: starting processes costs more than it saves
CHUNK = 8  # credentials per message to a worker: fewer round trips, still an even spread

Serialize = Callable[[dict[str, Any]], bytes]
Job = tuple[SigningKey, str, str, Serialize]  # key, verification method, created, file form
_job: Job | None = None


def signed_bytes(doc: dict[str, Any], key: SigningKey, vm: str, created: str,
                 serialize: Serialize) -> bytes:
    """The file of a credential signed with eddsa-rdfc-2022."""
    return serialize(proof.sign(doc, key, vm, created))


def _init(job: Job, parent: int) -> None:
    global _job
    _job = job
    gc.enable()  # the parent may have paused it (fanout.collector_paused); signing makes cycles
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    """End this worker once its parent is gone (killed, crashed): no orphan keeps running."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _sign(doc: dict[str, Any]) -> bytes:
    assert _job is not None, "worker used before its initializer ran"
    return signed_bytes(doc, *_job)


class Signer:
    """Signs unsigned credentials in order, in ``os.cpu_count()`` worker processes when
    there are enough of them (``fork``: the workers share the parent's loaded modules and
    warm caches), else in this process. ``serialize`` makes the file's bytes (it reaches the
    workers by fork, never pickled)."""

    def __init__(self, key: SigningKey, vm: str, now: datetime, rows: int,
                 serialize: Serialize):
        self.job: Job = (key, vm, iso(now), serialize)
        cores = os.cpu_count() or 1
        self.pool: Any = None
        if rows >= PARALLEL_MIN and cores > 1 and "fork" in \
                multiprocessing.get_all_start_methods():
            ctx = multiprocessing.get_context("fork")
            self.pool = ctx.Pool(cores, initializer=_init, initargs=(self.job, os.getpid()))

    def __enter__(self) -> Signer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.pool is not None:
            if exc_type is None:
                self.pool.close()
            else:
                self.pool.terminate()
            self.pool.join()

    def sign_all(self, docs: Iterable[dict[str, Any]]) -> Iterator[bytes]:
        """The signed file of each document, in the order given."""
        if self.pool is None:
            for doc in docs:
                yield signed_bytes(doc, *self.job)
        else:
            yield from self.pool.imap(_sign, docs, CHUNK)
