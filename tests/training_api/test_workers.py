"""The worker processes numeric work runs in (services/training_api/workers.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from types import SimpleNamespace

import pytest

from services.training_api import workers
from services.training_api.config import Settings


async def test_the_forecast_worker_stays_and_a_dead_one_is_replaced():
    first = await workers.in_worker("forecast", os.getpid)
    assert first != os.getpid() and await workers.in_worker("forecast", os.getpid) == first
    with pytest.raises(ValueError):  # the function's own error, raised here
        await workers.in_worker("forecast", int, "not a number")
    with pytest.raises(BrokenProcessPool):
        await workers.in_worker("forecast", os.kill, first, signal.SIGKILL)
    second = await workers.in_worker("forecast", os.getpid)
    assert second not in (first, os.getpid())


async def test_a_risk_run_gets_a_process_of_its_own():
    first = await workers.in_worker("attrition", os.getpid)
    assert await workers.in_worker("attrition", os.getpid) not in (first, os.getpid())


def test_the_worker_ends_with_the_service_process():
    code = ("import asyncio, os\n"
            "from services.training_api.workers import in_worker\n"
            "print(asyncio.run(in_worker('forecast', os.getpid)), flush=True)\n"
            "import time; time.sleep(600)\n")
    service = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert service.stdout is not None
    worker = int(service.stdout.readline())
    service.kill()
    service.wait()
    deadline = time.monotonic() + 60  # a bound on the wait, not a measure
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(worker, signal.SIGKILL)
    pytest.fail("the worker outlived the service process")


def blas_threads() -> list[int]:
    """In a worker: the thread counts of the numeric libraries a call loads."""
    import numpy  # noqa: F401  (loaded by the call, as the forecasts load it)
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info()]


@pytest.mark.parametrize("kind", ["forecast", "attrition"])
async def test_a_worker_keeps_its_numeric_libraries_to_one_thread(kind):
    """OpenBLAS would start a thread per core, which spin against each other and the
    services on a busy machine; a worker is given one core and keeps to it."""
    threads = await workers.in_worker(kind, blas_threads)
    assert threads and set(threads) == {1}


def _loaded(module: str) -> bool:
    return module in sys.modules


async def test_the_forecast_worker_is_warmed_with_its_libraries():
    """At start-up (TRAINING_FORECAST_WORKER_WARM) the forecast worker loads what the
    forecasts compute with, so the first report does not wait for it."""
    app = SimpleNamespace(state=SimpleNamespace(settings=Settings(forecast_worker_warm=True)))
    await workers.warm_forecast_worker(app)
    assert await workers.in_worker("forecast", _loaded, "statsmodels.tsa.holtwinters")
