"""Numeric work off the event loop, in worker processes of their own.

A model fit, a Kaplan-Meier curve or a batch of exponential smoothings holds the
interpreter for seconds; in a thread it would still hold up every request the
process serves (the GIL), so it runs in a child process started with ``spawn``:
nothing of the service's state (its event loop, its connections) is copied, and
the numeric libraries (pandas, scikit-learn, statsmodels) are imported there,
never in the service's process.

One pool per kind of work, each with one process, so that a risk run and the
forecasts never take more than a core each:

- ``attrition``: a fresh process per run (its memory goes back when it ends);
- ``forecast``: the change forecasts and the demand report; the process stays,
  so statsmodels is imported once, and requests queue for it one at a time.

A worker that dies (killed, out of memory) fails the call it was running; the
next call starts a new one. A worker whose service process is gone (killed without
the chance to stop it) ends itself.

shared/bounded.py is the other way out of the event loop: a fresh child per call,
killed when its time budget runs out, for parsing untrusted uploads. Here the work
is our own and may take minutes, and the forecast process is kept.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context, parent_process
from multiprocessing.connection import wait
from typing import Any, TypeVar

from threadpoolctl import threadpool_limits

T = TypeVar("T")
KEPT = {"attrition": False, "forecast": True}  # does the process stay for the next call
_kept: dict[str, ProcessPoolExecutor] = {}


# the numeric libraries' own thread pools (OpenBLAS, OpenMP, MKL): one thread each
ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _start_worker() -> None:
    """In the worker, before any call: its numeric libraries keep to the one core the
    worker is given. By default OpenBLAS starts a thread per core, and on a machine
    whose cores are busy those threads spin against each other and everything else: a
    demand report's smoothing fits took eight times the wall time (docs/benchmarks.md).
    The variables rule the libraries a call imports later; threadpoolctl the ones
    already loaded."""
    for name in ONE_THREAD:
        os.environ[name] = "1"
    threadpool_limits(1)
    _end_with_parent()


def _end_with_parent() -> None:
    """In the worker: exit as soon as the service process that started it ends."""
    parent = parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _new() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"),
                               initializer=_start_worker)


async def in_worker(kind: str, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)`` in the ``kind`` pool's process. The function and
    its arguments travel by pickle: a module-level function, plain data."""
    kept = KEPT[kind]
    pool = _kept.get(kind) if kept else None
    if pool is None:
        pool = _new()
        if kept:
            _kept[kind] = pool
    try:
        return await asyncio.get_running_loop().run_in_executor(
            pool, functools.partial(function, *args, **kwargs))
    except BrokenProcessPool:
        if _kept.get(kind) is pool:
            del _kept[kind]
        raise
    finally:
        if not kept or _kept.get(kind) is not pool:
            pool.shutdown(wait=False, cancel_futures=True)


async def warm_forecast_worker(app: Any) -> None:
    """A background task at start-up: the forecast worker started and its libraries
    loaded (TRAINING_FORECAST_WORKER_WARM), four seconds of CPU the first change
    forecast or demand report would otherwise spend while its client waits."""
    if not app.state.settings.forecast_worker_warm:
        return
    from services.training_api.changes.compute import load

    await in_worker("forecast", load)
