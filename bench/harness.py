"""Shared pieces of the benchmarks: the system under test, the baseline server,
and wrk as the one load tool for both sides."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from jifen.stack import REPO_ROOT, Stack, StackConfig

WRK_SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
WRK_CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
WRK_THREADS = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def asyncpg_dsn(stack: Stack, service: str) -> str:
    """The service's database URL as asyncpg (not SQLAlchemy) spells it."""
    return stack.database_url(service).replace("postgresql+asyncpg://", "postgresql://")


@contextlib.contextmanager
def bench_stack(*, replicas: int = 1) -> Iterator[Stack]:
    base = Path(tempfile.mkdtemp(prefix="jifen-bench-"))
    ports = {s: free_port() for s in ("training", "points", "rewards")}
    stack = Stack(
        StackConfig(
            base_dir=base,
            pg_port=free_port(),
            ports=ports,
            gateway_port=free_port(),
            replicas=replicas,
            rate_per_second=100000,
            burst=100000,
        )
    )
    try:
        stack.start(progress=False)
        yield stack
    finally:
        stack.stop()
        if stack.pg is not None:
            stack.pg.destroy()
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def baseline_server(database_url: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.baseline_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "BASELINE_DATABASE_URL": database_url},
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/baseline/select", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("baseline server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int

    def line(self) -> str:
        return (
            f"{self.requests_per_second:9.0f} req/s   p50 {self.p50_ms:6.1f} ms   "
            f"p99 {self.p99_ms:6.1f} ms   non-2xx {self.non_2xx}   errors {self.errors}"
        )


_LUA_DIR = Path(__file__).resolve().parent / "lua"


def wrk(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    script: str | None = None,
    seconds: int = WRK_SECONDS,
    connections: int = WRK_CONNECTIONS,
    env: dict[str, str] | None = None,
) -> WrkResult:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: apt-get install wrk (make bench does it as root)")
    cmd = ["wrk", "-t", str(WRK_THREADS), "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    if script:
        cmd += ["-s", str(_LUA_DIR / script)]
    out = subprocess.run(
        cmd + [url], check=True, capture_output=True, text=True, env={**os.environ, **(env or {})}
    ).stdout
    return _parse(out)


def _parse(out: str) -> WrkResult:
    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        rps,
        ms("50%"),
        ms("99%"),
        int(non2xx.group(1)) if non2xx else 0,
        sum(int(g) for g in errs.groups()) if errs else 0,
    )


def ratio_line(name: str, ours: float, baseline: float, goal: float) -> str:
    r = ours / baseline if baseline else float("nan")
    verdict = "meets" if r >= goal else "BELOW"
    return f"{name}: {r:.0%} of baseline (goal >= {goal:.0%}: {verdict})"
