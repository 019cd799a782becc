"""Keeps a local stack up: what ``jifen run`` does while it waits.

A service replica, the gateway or the embedded PostgreSQL that exits by itself
(a crash, an out-of-memory kill, ``kill -9``) is started again after a backoff
(1 s, doubling up to 30 s while it keeps failing; back to 1 s once it has stayed
up for a minute), and each exit and restart is logged. The rest keeps running:
the outbox delivers what waited once a consumer is back, so nothing is lost.
A process stopped on purpose (``Stack.stop_service``) is left stopped. Only
Ctrl-C or SIGTERM stops everything, and that is ``jifen run``'s business.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from jifen.stack import ServiceProcess, Stack

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0
STABLE_AFTER_SECONDS = 60.0


@dataclass
class Restarts:
    """The restart state of one supervised thing."""

    failures: int = 0
    due: float | None = None  # when the pending restart happens
    started_at: float = field(default_factory=time.monotonic)

    def delay(self) -> float:
        return min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2.0 ** (self.failures - 1))


def _exited(code: int | None) -> str | None:
    return None if code is None else f"exited ({describe_exit(code)})"


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


class Supervisor:
    def __init__(self, stack: Stack, log: Callable[[str], None] = print) -> None:
        self.stack = stack
        self.log = log
        self.state: dict[str, Restarts] = {}

    def check(self, now: float | None = None) -> None:
        """One look at everything: note what exited, restart what is due."""
        now = time.monotonic() if now is None else now
        if self.stack.pg is not None:
            self._watch("PostgreSQL", None if self.stack.pg.is_running() else "is not running",
                        self._restart_postgres, now)
        for p in self.stack.processes:
            if p.proc is not None:  # None: stopped on purpose
                self._watch(f"{p.service} on :{p.port}", _exited(p.proc.poll()),
                            partial(self._restart_service, p), now)
        if self.stack.gateway is not None:
            self._watch("gateway", _exited(self.stack.gateway.poll()), self._restart_gateway,
                        now)

    def _watch(self, name: str, down: str | None, restart: Callable[[], None],
               now: float) -> None:
        """``down``: None while it runs, else how it ended."""
        state = self.state.setdefault(name, Restarts(started_at=now))
        if down is None and state.due is None:
            if state.failures and now - state.started_at >= STABLE_AFTER_SECONDS:
                state.failures = 0
            return
        if state.due is None:
            state.failures += 1
            state.due = now + state.delay()
            self.log(f"{_clock()} {name} {down}; restarting in "
                     f"{state.delay():g} s (restart {state.failures})")
            return
        if now < state.due:
            return
        try:
            restart()
        except Exception as exc:  # noqa: BLE001 - a failed restart is retried later
            state.failures += 1
            state.due = now + state.delay()
            self.log(f"{_clock()} {name} did not restart ({exc}); next try in "
                     f"{state.delay():g} s")
            return
        state.due, state.started_at = None, now
        self.log(f"{_clock()} {name} restarted")

    def _restart_service(self, p: ServiceProcess) -> None:
        self.stack.relaunch(p)

    def _restart_gateway(self) -> None:
        self.stack.restart_gateway()

    def _restart_postgres(self) -> None:
        assert self.stack.pg is not None
        self.stack.pg.start()

    def run(self, should_stop: Callable[[], bool], interval: float = 0.5) -> None:
        """Supervise until ``should_stop()`` says so."""
        while not should_stop():
            self.check()
            time.sleep(interval)


def _clock() -> str:
    return time.strftime("%H:%M:%S")
