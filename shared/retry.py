"""Retrying, defined once for the kit's background workers: the backoff between a
failed delivery and its next attempt (outbox events, webhooks), and the polling loop
of a worker that any replica runs (the outbox relay, the job runner)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from abc import ABC, abstractmethod

import structlog

log = structlog.get_logger("jifen.retry")


def backoff(failures: int, *, base_seconds: float, max_seconds: float) -> float:
    """Seconds to wait after ``failures`` failures in a row: exponential from
    ``base_seconds``, capped at ``max_seconds``, with jitter (between half and all of
    it) so that deliveries that failed together do not all come back together."""
    ceiling = min(max_seconds, base_seconds * 2 ** min(max(failures, 1) - 1, 62))
    return random.uniform(ceiling / 2, ceiling)


class PollingLoop(ABC):
    """A worker's loop: run :meth:`step` again at once while it says more is due, else
    wait ``poll_seconds`` or until :meth:`wake`. It survives any error of a step (a
    database restart must not stop it) and stops only by :meth:`stop_loop`."""

    def __init__(self, *, name: str, poll_seconds: float) -> None:
        self.loop_name, self.poll_seconds = name, poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @abstractmethod
    async def step(self) -> bool:
        """One round of work; True when more may be due right away."""

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=self.loop_name)

    def wake(self) -> None:
        self._wake.set()

    async def stop_loop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            # the loop logged its own failures; how its task ended is of no further use
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                if await self.step():
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("worker_step_failed", worker=self.loop_name, error=repr(exc))
            with contextlib.suppress(TimeoutError):  # no wake-up: poll again
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()
