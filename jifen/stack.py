"""The whole system on one machine: PostgreSQL (embedded unless URLs are
configured), migrations, the three services (one or more replicas each) and
the nginx gateway. Used by ``jifen run`` / ``make run``, the end-to-end tests
and the benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from jifen.devdb import LocalPostgres
from shared.defaults import DEFAULT_PORTS

REPO_ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("training", "points", "rewards")


@dataclass
class StackConfig:
    base_dir: Path = REPO_ROOT / "var"
    pg_port: int = 55432
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    gateway_port: int = 8080
    replicas: int = 1
    environment: str = "development"
    fast_db: bool = False
    # the gateway's limits per client (bearer token) and per address (None: ten times
    # the client's); JIFEN_RATE_PER_SECOND, JIFEN_BURST, JIFEN_ADDRESS_RATE_PER_SECOND
    # and JIFEN_ADDRESS_BURST for `jifen run`
    rate_per_second: int = 1000
    burst: int = 2000
    address_rate_per_second: int | None = None
    address_burst: int | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    database_urls: dict[str, str] = field(default_factory=dict)  # external PostgreSQL
    # with replicas, the gateway's second listener through which services call each
    # other (internal routes are not on the public port); None: a free port
    peer_port: int | None = None

    @classmethod
    def from_env(cls) -> StackConfig:
        """Ports, data folder and external database URLs as jifen.config reads them
        (the same variables every other jifen command reads to find the stack)."""
        from jifen import config

        urls = {s: url for s in SERVICES if (url := config.external_database_url(s))}
        return cls(
            **config.gateway_limits(),
            extra_env=config.service_token_env(),
            database_urls=urls,
            ports={s: config.service_port(s) for s in SERVICES},
            base_dir=config.data_dir(),
            gateway_port=config.gateway_port(),
            pg_port=config.pg_port(),
        )


@dataclass
class ServiceProcess:
    service: str
    port: int
    proc: subprocess.Popen[bytes] | None = None


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.pg: LocalPostgres | None = None
        self.processes: list[ServiceProcess] = []
        self.gateway: subprocess.Popen[bytes] | None = None
        self.log_dir = config.base_dir / "log"
        self.peer_port = config.peer_port
        if config.replicas > 1 and self.peer_port is None:
            self.peer_port = _free_port()

    # -- addresses --------------------------------------------------------------------

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.config.gateway_port}"

    def replica_ports(self, service: str) -> list[int]:
        base = self.config.ports[service]
        return [base + 10 * i for i in range(self.config.replicas)]

    def direct_url(self, service: str, replica: int = 0) -> str:
        return f"http://127.0.0.1:{self.replica_ports(service)[replica]}"

    def database_url(self, service: str) -> str:
        if service in self.config.database_urls:
            return self.config.database_urls[service]
        assert self.pg is not None
        return self.pg.url(f"jifen_{service}")

    def peer_url(self, service: str) -> str:
        """Where the other services reach ``service``: directly, or with several
        replicas through the gateway's peer listener (its upstreams, not its public
        port, which does not route internal paths)."""
        if self.config.replicas > 1:
            return f"http://127.0.0.1:{self.peer_port}"
        return self.direct_url(service)

    def service_env(self, service: str) -> dict[str, str]:
        prefix = service.upper() + "_"
        env = {**os.environ, **self.config.extra_env}
        env.update(
            {
                prefix + "DATABASE_URL": self.database_url(service),
                prefix + "ENVIRONMENT": self.config.environment,
                prefix + "TRAINING_URL": self.peer_url("training"),
                prefix + "POINTS_URL": self.peer_url("points"),
                prefix + "REWARDS_URL": self.peer_url("rewards"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    # -- lifecycle --------------------------------------------------------------------

    def start(self, *, progress: bool = True) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)

        def say(line: str) -> None:
            if progress:  # flushed: a log file or a pipe sees each step as it starts
                print(line, flush=True)

        if len(self.config.database_urls) < len(SERVICES):
            say(
                f"• PostgreSQL (embedded) on 127.0.0.1:{self.config.pg_port}, "
                f"data in {self.config.base_dir / 'pg' / 'data'}"
            )
            self.pg = LocalPostgres(
                self.config.base_dir / "pg" / "data",
                port=self.config.pg_port,
                fast=self.config.fast_db,
            )
            self.pg.start()
            self.pg.create_databases(
                [f"jifen_{s}" for s in SERVICES if s not in self.config.database_urls]
            )
        say(f"• migrations: {', '.join(SERVICES)}")
        self.migrate(*SERVICES)
        for service in SERVICES:
            for port in self.replica_ports(service):
                self.processes.append(self._spawn(service, port))
        self.start_gateway()
        self.wait_ready()
        say(f"• gateway on {self.gateway_url}")

    def migrate(self, *services: str) -> None:
        from jifen.schema import upgrade

        upgrade({service: self.service_env(service) for service in services})

    def _spawn(self, service: str, port: int) -> ServiceProcess:
        log = open(self.log_dir / f"{service}-{port}.log", "ab")  # noqa: SIM115 (kept by the child)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                f"services.{service}_api.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
                "--timeout-graceful-shutdown",
                "5",
                # requests uvicorn itself refuses are answered as problem+json too
                "--http",
                "shared.uvicorn_protocol:ProblemHttpToolsProtocol",
            ],
            cwd=REPO_ROOT,
            env=self.service_env(service),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return ServiceProcess(service, port, proc)

    def start_gateway(self) -> None:
        from jifen.gateway import nginx_command, render_config

        upstreams = {s: [f"127.0.0.1:{p}" for p in self.replica_ports(s)] for s in SERVICES}
        conf = render_config(
            listen_port=self.config.gateway_port,
            upstreams=upstreams,
            runtime_dir=self.config.base_dir / "gateway",
            rate_per_second=self.config.rate_per_second,
            burst=self.config.burst,
            address_rate_per_second=self.config.address_rate_per_second,
            address_burst=self.config.address_burst,
            peer_port=self.peer_port,
        )
        log = open(self.log_dir / "gateway.log", "ab")  # noqa: SIM115
        self.gateway = subprocess.Popen(
            nginx_command(conf),
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 180) -> None:
        """Every process answers its readiness and the gateway answers. The deadline is
        generous: on a loaded machine a start (imports, pools) takes long."""
        deadline = time.monotonic() + timeout
        pending = {(p.service, p.port) for p in self.processes if p.proc is not None}
        with httpx.Client(timeout=2) as client:
            while pending:
                for service, port in list(pending):
                    try:
                        if (
                            client.get(f"http://127.0.0.1:{port}/{service}/readyz").status_code
                            == 200
                        ):
                            pending.discard((service, port))
                    except httpx.HTTPError:
                        pass
                self._check_alive()
                if pending and time.monotonic() > deadline:
                    raise RuntimeError(
                        f"not ready after {timeout}s: {sorted(pending)}; see {self.log_dir}"
                    )
                if pending:
                    time.sleep(0.1)
            while True:
                try:
                    client.get(f"{self.gateway_url}/training/healthz")
                    return
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"gateway did not start; see {self.log_dir}") from None
                    time.sleep(0.1)

    def _check_alive(self) -> None:
        for p in self.processes:
            if p.proc is not None and p.proc.poll() is not None:
                log = (self.log_dir / f"{p.service}-{p.port}.log").read_text(errors="replace")
                raise RuntimeError(f"{p.service} on :{p.port} exited:\n{log[-3000:]}")
        if self.gateway is not None and self.gateway.poll() is not None:
            log = (self.log_dir / "gateway.log").read_text(errors="replace")
            raise RuntimeError(f"nginx exited:\n{log[-3000:]}")

    # -- faults (tests and benchmarks) -------------------------------------------------

    def relaunch(self, p: ServiceProcess) -> None:
        """Start a replica again in place of its exited process (whatever it left in
        its process group is killed first, so the port is free)."""
        if p.proc is not None:
            _kill_group(p.proc)
        p.proc = self._spawn(p.service, p.port).proc

    def restart_gateway(self) -> None:
        if self.gateway is not None:
            _kill_group(self.gateway)  # orphaned nginx workers would keep the port
        self.start_gateway()

    def stop_service(self, service: str, *, sig: int = signal.SIGTERM) -> None:
        for p in self.processes:
            if p.service == service and p.proc is not None:
                _terminate(p.proc, sig)
                p.proc = None

    def start_service(self, service: str) -> None:
        for i, p in enumerate(self.processes):
            if p.service == service and p.proc is None:
                self.processes[i] = self._spawn(service, p.port)
        self.wait_ready()

    def stop(self) -> None:
        if self.gateway is not None:
            _terminate(self.gateway, signal.SIGQUIT)
            self.gateway = None
        for p in self.processes:
            if p.proc is not None:
                _terminate(p.proc, signal.SIGTERM)
                p.proc = None
        if self.pg is not None:
            self.pg.stop()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def _terminate(proc: subprocess.Popen[bytes], sig: int) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
