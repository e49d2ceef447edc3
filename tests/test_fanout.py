"""fan_out: per-range work in forked worker processes, results back in order, and failures
that surface in the build's process instead of hanging it."""

from __future__ import annotations

import os
import time

import pytest
from badgepress.build import fanout
from badgepress.core.errors import BuildError, Problem

N = fanout.SMALL * 3  # enough items to fork


@pytest.fixture(autouse=True)
def two_workers(monkeypatch):
    monkeypatch.setenv(fanout.WORKERS_ENV, "2")


def _squares(context, start, end):
    if context == "slow-first" and start == 0:
        time.sleep(0.3)  # finishes last: ordered results must still come in order
    return [i * i for i in range(start, end)], os.getpid()


@pytest.mark.parametrize("ordered", [True, False])
def test_every_range_is_done_once_on_several_processes(ordered):
    got, pids, done = [], set(), []
    for count, (values, pid) in fanout.fan_out(_squares, "slow-first", N, chunk=100,
                                               ordered=ordered):
        got.extend(values)
        pids.add(pid)
        done.append(count)
    if ordered:
        assert got == [i * i for i in range(N)]
    else:
        assert sorted(got) == [i * i for i in range(N)] and got != sorted(got)
    assert done == sorted(done) and done[-1] == N
    assert len(pids) == 2 and os.getpid() not in pids


def _fails(context, start, end):
    if start == 1200:
        raise BuildError([Problem("a.json", "bad range")])
    return start


def test_a_workers_exception_is_raised_in_the_build_as_it_was():
    with pytest.raises(BuildError) as exc:
        list(fanout.fan_out(_fails, None, N, chunk=100))
    assert [p.message for p in exc.value.problems] == ["bad range"]


def _dies(context, start, end):
    if start == 600:
        os._exit(3)  # as a worker killed by the system would
    return start


def test_a_worker_that_dies_fails_the_build_instead_of_hanging_it():
    began = time.monotonic()
    with pytest.raises(RuntimeError, match="exit code 3"):
        list(fanout.fan_out(_dies, None, N, chunk=100))
    assert time.monotonic() - began < 30


def test_stopping_early_ends_the_workers():
    gen = fanout.fan_out(_squares, None, N, chunk=10)
    next(gen)
    gen.close()
    time.sleep(0.2)
    import multiprocessing

    assert not [p for p in multiprocessing.active_children() if p.is_alive()]
