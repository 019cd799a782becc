"""Progress of a long job (an import, the demo, a what-if, a history import), one
helper for every command.

In a terminal it is a progress bar. When the output is not a terminal (a log file,
CI, a pipe) a bar would write thousands of redraws, so it writes one line every few
seconds instead, with done/total and the rate, and a last line when the job ends:

    training facts: 4,210/11,234 req (37.5%), 702.1 req/s
    training facts: 11,234/11,234 req in 16 s, 702.1 req/s

The interval is JIFEN_PROGRESS_SECONDS (default 5).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TextIO


def progress(label: str, *, total: int | None = None, unit: str = "", byte_sizes: bool = False,
             enabled: bool = True, stream: TextIO | None = None) -> Progress:
    """A bar when ``stream`` (standard error by default) is a terminal, lines otherwise;
    nothing at all when not ``enabled``. Use it as a context manager."""
    stream = stream or sys.stderr
    if not enabled:
        return Progress(label, total=total, unit=unit, byte_sizes=byte_sizes)
    if stream.isatty():
        return _Bar(label, total=total, unit=unit, byte_sizes=byte_sizes, stream=stream)
    return _Lines(label, total=total, unit=unit, byte_sizes=byte_sizes, stream=stream,
                  interval=float(os.environ.get("JIFEN_PROGRESS_SECONDS") or 5))


class Progress:
    """Counts done (and total, when known); shows nothing. The base of the two views."""

    def __init__(self, label: str, *, total: int | None, unit: str, byte_sizes: bool) -> None:
        self.label, self.total, self.unit, self.byte_sizes = label, total, unit, byte_sizes
        self.done = 0

    def advance(self, n: int = 1) -> None:
        self.done += n
        self._shown()

    def set(self, done: int, total: int | None = None) -> None:
        """For jobs polled from a status URL: the server says how far it is."""
        if total is not None:
            self.total = total
        self.done = done
        self._shown()

    def _shown(self) -> None:
        """Redraw when due; the base class shows nothing."""

    def close(self) -> None:
        """Say the job ended; the base class says nothing."""

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Bar(Progress):
    def __init__(self, label: str, *, total: int | None, unit: str, byte_sizes: bool,
                 stream: TextIO) -> None:
        super().__init__(label, total=total, unit=unit, byte_sizes=byte_sizes)
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=label, unit=unit or "it", unit_scale=byte_sizes,
                        file=stream, dynamic_ncols=True)

    def _shown(self) -> None:
        if self.bar.total != self.total:
            self.bar.total = self.total
            self.bar.refresh()
        self.bar.update(self.done - self.bar.n)

    def close(self) -> None:
        self.bar.close()


class _Lines(Progress):
    def __init__(self, label: str, *, total: int | None, unit: str, byte_sizes: bool,
                 stream: TextIO, interval: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(label, total=total, unit=unit, byte_sizes=byte_sizes)
        self.stream, self.interval, self.clock = stream, interval, clock
        self.started = self.last = clock()
        self.closed = False

    def _shown(self) -> None:
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            self._write(now, final=False)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._write(self.clock(), final=True)

    def _write(self, now: float, *, final: bool) -> None:
        elapsed = now - self.started
        count = self._amount(self.done)
        if self.total is not None:
            count += f"/{self._amount(self.total)}"
        unit = "" if self.byte_sizes else f" {self.unit}".rstrip()
        rate = f"{self._amount(self.done / elapsed)}{unit}/s" if elapsed > 0 else "-"
        if final:
            line = f"{self.label}: {count}{unit} in {elapsed:.0f} s, {rate}"
        elif self.total:
            line = f"{self.label}: {count}{unit} ({100 * self.done / self.total:.1f}%), {rate}"
        else:
            line = f"{self.label}: {count}{unit}, {rate}"
        print(line, file=self.stream, flush=True)

    def _amount(self, value: float) -> str:
        if not self.byte_sizes:
            return f"{value:,.1f}" if value != int(value) else f"{int(value):,}"
        if value < 1000:
            return f"{value:.0f} B"
        for unit in ("kB", "MB", "GB"):
            value /= 1000
            if value < 1000 or unit == "GB":
                break
        return f"{value:.1f} {unit}"

