"""Shared pieces of the benchmarks: the system under test, the bare baseline
server (direct and behind its own copy of the gateway), wrk as the one load tool
for both sides, and the CPU meter that makes figures comparable on a busy machine.

A load run (:func:`measure`) reports requests per second and, for every process
group that served it (nginx, each service, PostgreSQL, the baseline), the CPU
time per request: user + system time from /proc of every process of the group,
including what its exited children used (PostgreSQL backends that end during
the run are counted through the postmaster), less what the group uses idle.
Requests per second move with whatever else runs on the machine; CPU per
request much less.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import psutil

from jifen.stack import REPO_ROOT, SERVICES, Stack, StackConfig

WRK_SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
WRK_CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
WRK_THREADS = 2
# the load comes from this many clients (bearer tokens), as it would in a plant; the
# gateway keeps the limits of `make run` (per client and per address)
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "32"))
# seconds of idle CPU measured before each run (see idle_rates)
IDLE_SECONDS = 3.0
# a directory: each load run also samples every service process with py-spy (see
# profiling); its CPU figures are then not to be quoted
PROFILE_DIR = os.environ.get("BENCH_PROFILE")
# "1": PostgreSQL starts with pg_stat_statements preloaded, and each load run also
# prints the statements that took the most execution time per request (see pg_stats);
# the extension costs a little CPU of its own, so such a run's figures are diagnostic
PG_STATS = os.environ.get("BENCH_PG_STATS") == "1"
PG_STATS_TOP = 12
_LUA_DIR = Path(__file__).resolve().parent / "lua"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def asyncpg_dsn(stack: Stack, service: str) -> str:
    """The service's database URL as asyncpg (not SQLAlchemy) spells it."""
    return stack.database_url(service).replace("postgresql+asyncpg://", "postgresql://")


def client_tokens(role: str, prefix: str = "BENCH") -> str:
    """BENCH_TOKENS for the wrk scripts: one token per simulated client."""
    from tests.conftest import make_token

    return ",".join(make_token(f"{prefix}-{i:02d}", role) for i in range(CLIENTS))


def run_id() -> str:
    """12 hex digits that make this load run's client ids and keys unlike any other's."""
    return uuid.uuid4().hex[:12]


@contextlib.contextmanager
def bench_stack(*, replicas: int = 1) -> Iterator[Stack]:
    base = Path(tempfile.mkdtemp(prefix="jifen-bench-"))
    ports = {s: free_port() for s in SERVICES}
    stack = Stack(
        StackConfig(
            base_dir=base,
            pg_port=free_port(),
            ports=ports,
            gateway_port=free_port(),
            replicas=replicas,
        )
    )
    try:
        if PG_STATS:
            _preload_pg_stats(base / "pg" / "data", stack.config.pg_port)
        stack.start(progress=False)
        yield stack
    finally:
        stack.stop()
        if stack.pg is not None:
            stack.pg.destroy()
        shutil.rmtree(base, ignore_errors=True)


def _preload_pg_stats(data_dir: Path, port: int) -> None:
    """Create the cluster the stack will start (initdb, through one start and stop) with
    pg_stat_statements among its preloaded libraries."""
    from jifen.devdb import LocalPostgres

    pg = LocalPostgres(data_dir, port=port)
    pg.start()
    pg.stop()
    with (data_dir / "postgresql.conf").open("a") as conf:
        conf.write("\nshared_preload_libraries = 'pg_stat_statements'\n"
                   "pg_stat_statements.max = 2000\n"
                   "pg_stat_statements.track_planning = on\n")


async def _pg_stats_sql(stack: Stack, sql: str) -> list[asyncpg.Record]:
    assert stack.pg is not None, "BENCH_PG_STATS needs the embedded PostgreSQL"
    conn = await asyncpg.connect(stack.pg.url("postgres").replace(
        "postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        return await conn.fetch(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def pg_stats(stack: Stack | None, into: list[str], requests: Callable[[], int]) -> Iterator[None]:
    """With BENCH_PG_STATS=1: the statements' counters reset before the block, and after
    it, appended to ``into``: PostgreSQL's execution and planning time per request
    (``requests()`` requests) of all statements and of the PG_STATS_TOP that took most,
    each with its calls and plans per request and its database (BEGIN and COMMIT are
    statements too; a statement planned on every call has as many plans as calls)."""
    if not PG_STATS or stack is None:
        yield
        return
    sessions_sql = ("SELECT datname, sessions FROM pg_stat_database "
                    "WHERE datname LIKE 'jifen_%' ORDER BY datname")
    asyncio.run(_pg_stats_sql(stack, "SELECT pg_stat_statements_reset()"))
    opened = {r["datname"]: r["sessions"] for r in asyncio.run(_pg_stats_sql(stack, sessions_sql))}
    yield
    into.append("PostgreSQL sessions opened: " + ", ".join(
        f"{r['datname'].removeprefix('jifen_')} {r['sessions'] - opened.get(r['datname'], 0)}"
        for r in asyncio.run(_pg_stats_sql(stack, sessions_sql))))
    rows = asyncio.run(_pg_stats_sql(stack, f"""
        SELECT d.datname, s.calls, s.total_exec_time, s.total_plan_time, s.plans, s.query,
               sum(s.total_exec_time) OVER () AS all_time,
               sum(s.total_plan_time) OVER () AS all_plan_time
        FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname <> 'postgres'
        ORDER BY s.total_exec_time + s.total_plan_time DESC LIMIT {PG_STATS_TOP}"""))
    n = max(requests(), 1)
    if rows:
        into.append(f"PostgreSQL time per request, all statements: execution "
                    f"{rows[0]['all_time'] * 1000 / n:,.0f} us, planning "
                    f"{rows[0]['all_plan_time'] * 1000 / n:,.0f} us; the top {len(rows)} "
                    "(execution us, planning us, calls and plans per request):")
    for r in rows:
        query = re.sub(r"\s+", " ", r["query"]).strip()
        into.append(f"  {r['total_exec_time'] * 1000 / n:6,.1f} "
                    f"{r['total_plan_time'] * 1000 / n:6,.1f}  {r['calls'] / n:5.2f} "
                    f"{r['plans'] / n:5.2f}  "
                    f"{r['datname'].removeprefix('jifen_'):8} {query[:100]}")


# -- process groups and their CPU time ----------------------------------------------------


def postmaster_pid(stack: Stack) -> int:
    assert stack.pg is not None, "the benchmarks measure the embedded PostgreSQL"
    return int((stack.pg.data_dir / "postmaster.pid").read_text().splitlines()[0])


def stack_roots(stack: Stack, *services: str) -> dict[str, list[int]]:
    """Process groups of the system: the gateway, the given services (all replicas)
    and PostgreSQL."""
    assert stack.gateway is not None
    roots: dict[str, list[int]] = {"nginx": [stack.gateway.pid]}
    for service in services or SERVICES:
        roots[service] = [p.proc.pid for p in stack.processes
                          if p.service == service and p.proc is not None]
    roots["postgres"] = [postmaster_pid(stack)]
    return roots


def _tree_seconds(pid: int) -> float:
    """CPU seconds of a process and all its descendants, live or reaped."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            t = process.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total


def cpu_seconds(roots: dict[str, list[int]]) -> dict[str, float]:
    return {group: sum(_tree_seconds(pid) for pid in pids) for group, pids in roots.items()}


# -- wrk --------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    matched: int  # responses whose body contained BENCH_MATCH
    p95_ms: float = float("nan")


@dataclass
class Run:
    """One load run: wrk's figures and the CPU microseconds per request of each group."""

    label: str
    wrk: WrkResult
    cpu_us: dict[str, float] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)  # BENCH_PG_STATS's lines

    @property
    def cpu_total(self) -> float:
        return sum(self.cpu_us.values())

    def line(self) -> str:
        w = self.wrk
        groups = " + ".join(f"{g} {us:,.0f}" for g, us in self.cpu_us.items())
        return (f"{self.label}: {w.requests_per_second:,.0f} req/s ({w.requests:,} requests, "
                f"p50 {w.p50_ms:.1f} ms, p99 {w.p99_ms:.1f} ms); CPU/request "
                f"{self.cpu_total:,.0f} us = {groups}"
                + "".join(f"\n    {d}" for d in self.details))


class UnexpectedResponses(RuntimeError):
    """A load run got an answer other than the one expected: its figures mean nothing."""


def wrk(url: str, *, script: str, expect: int, env: dict[str, str] | None = None,
        headers: dict[str, str] | None = None, seconds: int = WRK_SECONDS,
        connections: int = WRK_CONNECTIONS) -> WrkResult:
    """Run wrk with one of bench/lua's scripts; fail when any answer is not ``expect``
    or any request got no answer."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: apt-get install wrk (make bench does it as root)")
    cmd = ["wrk", "-t", str(WRK_THREADS), "-c", str(connections), "-d", f"{seconds}s",
           "--timeout", "30s", "--latency", "-s", str(_LUA_DIR / script)]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    lua_env = {"BENCH_LUA_DIR": str(_LUA_DIR), "BENCH_THREADS": str(WRK_THREADS),
               "BENCH_EXPECT": str(expect),
               "BENCH_RUN": run_id(), **(env or {})}
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True,
                         env={**os.environ, **lua_env}).stdout
    return _parse(out)


def _parse(out: str) -> WrkResult:
    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    done = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    unexpected = re.search(r"bench unexpected (\d+)(.*)", out)
    if done is None or unexpected is None:
        raise RuntimeError(f"wrk output not understood:\n{out}")
    if int(unexpected.group(1)):
        raise UnexpectedResponses(f"{unexpected.group(1)} unexpected answers, first:"
                                  f"{unexpected.group(2)}\n{out}")
    if errors and sum(int(g) for g in errors.groups()):
        raise UnexpectedResponses(f"requests without an answer: {errors.group(0)}\n{out}")
    value, unit = float(done.group(2)), done.group(3)
    seconds = value / 1000 if unit == "ms" else value * 60 if unit == "m" else value
    matched = re.search(r"bench matched (\d+)", out)
    p95 = re.search(r"bench p95 (\d+)", out)
    return WrkResult(
        requests=int(done.group(1)), seconds=seconds,
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=ms("50%"), p99_ms=ms("99%"), matched=int(matched.group(1)) if matched else 0,
        p95_ms=int(p95.group(1)) / 1000 if p95 else float("nan"))


def measure(label: str, url: str, *, roots: dict[str, list[int]], script: str,
            expect: int, env: dict[str, str] | None = None,
            headers: dict[str, str] | None = None,
            settle: Callable[[], None] | None = None,
            connections: int = WRK_CONNECTIONS, stack: Stack | None = None) -> Run:
    """A wrk run and the CPU its requests cost each process group. ``settle`` waits
    for work the requests left behind (events still in an outbox), which belongs to
    them, before the second CPU reading. ``stack``: the system whose statements
    BENCH_PG_STATS reports."""
    idle = idle_rates(roots)
    details: list[str] = []
    result: WrkResult | None = None
    with pg_stats(stack, details, lambda: result.requests if result else 0):
        before, started = cpu_seconds(roots), time.monotonic()
        with profiling(label, roots):
            result = wrk(url, script=script, expect=expect, env=env, headers=headers,
                         connections=connections)
        if settle is not None:
            settle()
        after, elapsed = cpu_seconds(roots), time.monotonic() - started
    per_request = {g: max(after[g] - before[g] - idle[g] * elapsed, 0.0) * 1e6
                   / max(result.requests, 1) for g in roots}
    return Run(label, result, per_request, details)


@contextlib.contextmanager
def profiling(label: str, roots: dict[str, list[int]]) -> Iterator[None]:
    """With BENCH_PROFILE set, py-spy samples each service process of ``roots`` while
    the block runs, without pausing it, into ``<label>.<service>.<pid>.txt`` there
    (collapsed stacks; ``python -m bench.profile FILE`` tells where the time went)."""
    if not PROFILE_DIR:
        yield
        return
    out = Path(PROFILE_DIR)
    out.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-")[:60]
    spies = [subprocess.Popen(
        [shutil.which("py-spy", path=f"{Path(sys.executable).parent}{os.pathsep}"
                      f"{os.environ.get('PATH', '')}") or "py-spy",
         "record", "--nonblocking", "-r", "100", "-f", "raw",
         "-p", str(pid), "-o", str(out / f"{name}.{group}.{pid}.txt")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for group, pids in roots.items() if group in SERVICES for pid in pids]
    try:
        yield
    finally:
        for spy in spies:
            spy.send_signal(2)  # py-spy writes its file on SIGINT
        for spy in spies:
            spy.wait(timeout=60)


def idle_rates(roots: dict[str, list[int]], seconds: float = IDLE_SECONDS) -> dict[str, float]:
    """CPU seconds per second each group spends with no requests (relay polls,
    background jobs, PostgreSQL's own processes): taken off a run's figures, so that
    they count what the requests cost."""
    before = cpu_seconds(roots)
    time.sleep(seconds)
    after = cpu_seconds(roots)
    return {g: (after[g] - before[g]) / seconds for g in roots}


def settle_start(roots: dict[str, list[int]], *, busy: float = 0.05,
                 timeout: float = 120) -> None:
    """Wait until freshly started processes have done their start-up work (models
    built, workers spawned): until no group uses more than ``busy`` of a core over a
    second, or ``timeout``. Idle CPU measured during start-up would be taken off the
    run as if it were idle."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if max(idle_rates(roots, 1.0).values()) <= busy:
            return


def ratio_lines(name: str, ours: Run, baseline: Run, goal: float) -> list[str]:
    """Requests/s and CPU per request of ``ours`` as a share of the baseline's."""
    rps = ours.wrk.requests_per_second / baseline.wrk.requests_per_second
    cpu = baseline.cpu_total / ours.cpu_total if ours.cpu_total else float("nan")
    verdict = "meets" if min(rps, cpu) >= goal else "BELOW"
    return [f"{name}: {rps:.0%} of {baseline.label}'s requests/s, {cpu:.0%} of its CPU "
            f"efficiency (its CPU/request / ours) -- goal >= {goal:.0%}: {verdict}"]


# -- waiting for the work a run left behind -----------------------------------------------


async def _outbox_max_id(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("SELECT coalesce(max(id), 0) FROM outbox_event")
    finally:
        await conn.close()


async def _outbox_backlog(dsn: str, after_id: int) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM outbox_event "
            "WHERE id > $1 AND delivered_at IS NULL AND dead_at IS NULL", after_id)
    finally:
        await conn.close()


def _wait_drained(stack: Stack, marks: dict[str, int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for service, mark in marks.items():
        dsn = asyncpg_dsn(stack, service)
        while asyncio.run(_outbox_backlog(dsn, mark)):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{service}'s outbox did not drain in {timeout:.0f} s")
            time.sleep(0.1)


def drain_outboxes(stack: Stack, *services: str, timeout: float = 600) -> Callable[[], None]:
    """A ``settle`` that waits until the services' outboxes have delivered every event
    written after this call (the work of the run that follows)."""
    marks = {s: asyncio.run(_outbox_max_id(asyncpg_dsn(stack, s))) for s in services}
    return lambda: _wait_drained(stack, marks, timeout)


def quiesce(stack: Stack, timeout: float = 1800) -> None:
    """Wait until every outbox of the system is empty, so that a run's CPU figures
    do not include the deliveries an earlier step left (an import's employee copies)."""
    _wait_drained(stack, dict.fromkeys(SERVICES, 0), timeout)


async def wait_for_copies(stack: Stack, employee_no: str, services: tuple[str, ...],
                          within: float = 120) -> None:
    """Until the employee's copy (sent by training_api's events) is in each service."""
    deadline = time.monotonic() + within
    for service in services:
        conn = await asyncpg.connect(asyncpg_dsn(stack, service))
        try:
            while not await conn.fetchval(
                    "SELECT count(*) FROM employee_copy WHERE employee_no = $1", employee_no):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"employee copies did not reach {service}")
                await asyncio.sleep(0.2)
        finally:
            await conn.close()


# -- the bare baseline --------------------------------------------------------------------


@dataclass
class Baseline:
    """The bare app, called directly (``url``) and through its own gateway (``floor_url``,
    the same nginx template and limits as the system's)."""

    url: str
    floor_url: str
    pid: int
    floor_pid: int

    def roots(self, stack: Stack) -> dict[str, list[int]]:
        return {"baseline": [self.pid], "postgres": [postmaster_pid(stack)]}

    def floor_roots(self, stack: Stack) -> dict[str, list[int]]:
        return {"nginx": [self.floor_pid], **self.roots(stack)}


def pool_env(stack: Stack) -> dict[str, str]:
    """The services' pool settings, given to the baseline too."""
    from shared.settings import ServiceSettings

    defaults = ServiceSettings(environment="test", database_url="postgresql+asyncpg://x/y")
    env = {**os.environ, **stack.config.extra_env}
    return {"BASELINE_DB_POOL_SIZE": env.get("POINTS_DB_POOL_SIZE", str(defaults.db_pool_size)),
            "BASELINE_DB_MAX_OVERFLOW": env.get("POINTS_DB_MAX_OVERFLOW",
                                                str(defaults.db_max_overflow))}


@contextlib.contextmanager
def baseline_server(stack: Stack, service: str) -> Iterator[Baseline]:
    """The bare app on ``service``'s database, and a gateway of its own in front of it."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.baseline_app:app", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log", "--log-level", "warning"],
        cwd=REPO_ROOT,
        env={**os.environ, **pool_env(stack),
             "BASELINE_DATABASE_URL": stack.database_url(service)},
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{url}/baseline/select", proc)
        with _floor_gateway(stack, port) as (floor_url, floor_pid):
            yield Baseline(url, floor_url, proc.pid, floor_pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextlib.contextmanager
def _floor_gateway(stack: Stack, port: int) -> Iterator[tuple[str, int]]:
    from jifen.gateway import nginx_command, render_config

    runtime = Path(tempfile.mkdtemp(prefix="jifen-floor-"))
    listen = free_port()
    conf = render_config(listen_port=listen, runtime_dir=runtime,
                         upstreams={s: [f"127.0.0.1:{port}"] for s in SERVICES},
                         rate_per_second=stack.config.rate_per_second,
                         burst=stack.config.burst,
                         address_rate_per_second=stack.config.address_rate_per_second,
                         address_burst=stack.config.address_burst)
    proc = subprocess.Popen(nginx_command(conf), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{listen}"
    try:
        _wait_for(f"{url}/training/baseline/select", proc)
        yield url, proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 3)  # SIGQUIT: graceful
        proc.wait(timeout=10)
        shutil.rmtree(runtime, ignore_errors=True)


def _wait_for(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{url} did not answer") from None
            time.sleep(0.2)
