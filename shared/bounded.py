"""CPU-bound work away from the event loop, within a time budget.

Parsing an uploaded spreadsheet is pure CPU: done on the event loop it stalls every
other request of the process (health checks included) for as long as it takes, and
a hostile file can take minutes. :func:`run_bounded` runs such a function in a
child process forked from a small fork server (cheap after the first call, the
modules named by :func:`preload` already loaded), waits for it without blocking the
loop, and kills it when the budget runs out, which a thread could not do.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")
_CONTEXT = multiprocessing.get_context("forkserver")
_PRELOADED: set[str] = set()


def preload(*modules: str) -> None:
    """Modules the fork server imports once, so that every child forked from it starts
    with them: a child that imported its parser itself (pydantic, the contracts, the
    spreadsheet reader) spent a second of CPU on each upload before reading a byte
    (docs/benchmarks.md). Call it when the module using :func:`run_bounded` is
    imported, before its first call starts the server."""
    _PRELOADED.update(modules)
    _CONTEXT.set_forkserver_preload(["__main__", *sorted(_PRELOADED)])


class BudgetExceeded(Exception):
    """The work did not finish within its time budget and was stopped."""


class WorkerDied(Exception):
    """The child process ended without an answer (killed, out of memory)."""


def _child(conn: Connection, func: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        conn.send(("ok", func(*args)))
    except BaseException as exc:  # noqa: BLE001 - handed to the parent to raise there
        conn.send(("error", exc))
    finally:
        conn.close()


async def run_bounded(func: Callable[..., T], *args: Any, seconds: float) -> T:
    """``func(*args)`` in a child process; its result, or its exception raised here.
    Raises BudgetExceeded after ``seconds``. ``func`` and its arguments must be
    importable and picklable (a module-level function and plain data)."""
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    process = _CONTEXT.Process(target=_child, args=(sender, func, args), daemon=True)
    process.start()
    sender.close()
    try:
        if not await asyncio.to_thread(receiver.poll, seconds):
            raise BudgetExceeded(f"stopped after {seconds:g} s")
        try:
            kind, value = await asyncio.to_thread(receiver.recv)
        except EOFError as exc:
            raise WorkerDied(f"the worker ended with exit code {process.exitcode}") from exc
    finally:
        if process.is_alive():
            process.kill()
        await asyncio.to_thread(process.join, 5)
        receiver.close()
    if kind == "error":
        raise value
    result: T = value
    return result
