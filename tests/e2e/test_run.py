"""`jifen run` (what `make run` does): everything up, a crashed service restarted
while the rest stays up, Ctrl-C stops all of it, and a second run finds the data of
the first."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from jifen.config import service_token_env
from shared.auth import mint_token
from shared.settings import DEV_JWT_SECRET
from tests.conftest import auth, free_port

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60  # seconds a request may take on a loaded machine


def start(env: dict[str, str], *, until: str = "Press Ctrl-C") -> subprocess.Popen[str]:
    """`jifen run` until it prints ``until`` (by default: it is up); its output is read
    by a thread of its own, so a start that hangs silently fails after the deadline
    instead of blocking."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "jifen.cli", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    up = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if until in line:
                up.set()
                return  # stop() reads the rest

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 300  # a loaded machine starts slowly
    while not up.wait(0.5):
        if not reader.is_alive() or time.monotonic() > deadline:
            break
    if up.is_set():
        return proc
    proc.kill()
    raise AssertionError(f"jifen run did not print {until!r} (exit code {proc.wait()}):\n"
                         + "".join(lines))


def stop(proc: subprocess.Popen[str]) -> str:
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, out[-3000:]
    _, alive = psutil.wait_procs(children, timeout=30)
    alive = [c for c in alive if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"left running: {alive}"
    return out


def wait_for(check, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


@pytest.fixture
def run_dir() -> Iterator[Path]:
    """The data folder of a `jifen run`, outside pytest's temporary tree: PostgreSQL
    runs as another user when the suite runs as root, and every pytest session that
    starts makes its own tree private again, which would lock a running server out of
    its data."""
    path = Path(tempfile.mkdtemp(prefix="jifen-run-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def run_env(base: Path, **more: str) -> dict[str, str]:
    return {
        **os.environ,
        "JIFEN_DATA_DIR": str(base / "var"),
        "JIFEN_PG_PORT": str(free_port()),
        "JIFEN_GATEWAY_PORT": str(free_port()),
        "JIFEN_TRAINING_PORT": str(free_port()),
        "JIFEN_POINTS_PORT": str(free_port()),
        "JIFEN_REWARDS_PORT": str(free_port()),
        **more,
    }


def test_ctrl_c_during_the_start_stops_what_was_started(run_dir):
    """Interrupted while it migrates (PostgreSQL is up, nothing else yet), jifen run
    stops PostgreSQL and exits cleanly instead of leaving it running."""
    env = run_env(run_dir)
    proc = start(env, until="• migrations")
    out = stop(proc)
    assert "Stopped." in out
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", int(env["JIFEN_PG_PORT"]))) != 0, out


def test_run_restarts_a_crash_stops_cleanly_and_keeps_data(run_dir):
    secret = "run-test-" + os.urandom(16).hex()
    # what the CLI signs with: the services take it too
    env = run_env(run_dir, JIFEN_JWT_SECRET=secret)
    gateway = env["JIFEN_GATEWAY_PORT"]
    hr = {"Authorization": "Bearer " + mint_token(
        secret=secret, sub="HR001", roles=["hr_admin"], issuer="jifen", audience="jifen",
        ttl_seconds=600)}
    url = f"http://127.0.0.1:{gateway}/training/v1/skills/RUN-CHECK"
    proc = start(env)
    try:
        r = httpx.put(url, headers=hr, json={"name": "持久化"}, timeout=TIMEOUT)
        assert r.status_code == 201, r.text
        points = f"http://127.0.0.1:{gateway}/points/v1/rule-sets"
        assert httpx.get(points, headers=hr, timeout=TIMEOUT).status_code == 200
        dev_signed = auth("HR001", "hr_admin")  # the development secret is not in use
        assert httpx.get(points, headers=dev_signed, timeout=TIMEOUT).status_code == 401
        points = next(c for c in psutil.Process(proc.pid).children(recursive=True)
                      if "services.points_api.main:app" in " ".join(c.cmdline()))
        points.kill()  # SIGKILL: a crash, not a shutdown
        ready = f"http://127.0.0.1:{env['JIFEN_POINTS_PORT']}/points/readyz"
        assert wait_for(lambda: httpx.get(ready, timeout=5).status_code == 200, within=300)
        assert httpx.get(url, headers=hr, timeout=TIMEOUT).status_code == 200  # still up
    finally:
        out = stop(proc)
    assert "points on :" in out and "exited (killed by SIGKILL); restarting in 1 s" in out
    assert "restarted" in out and "Stopped." in out
    proc = start(env)
    try:
        r = httpx.get(url, headers=hr, timeout=TIMEOUT)
        assert r.status_code == 200 and r.json()["name"] == "持久化"
    finally:
        stop(proc)


def test_run_refuses_a_service_jwt_secret_that_differs_from_the_clis(monkeypatch):
    monkeypatch.setenv("JIFEN_JWT_SECRET", "one-secret-" + "x" * 32)
    monkeypatch.delenv("POINTS_JWT_SECRET", raising=False)
    env = service_token_env()
    assert {env[f"{s}_JWT_SECRET"] for s in ("TRAINING", "POINTS", "REWARDS")} == {
        "one-secret-" + "x" * 32}
    monkeypatch.setenv("POINTS_JWT_SECRET", DEV_JWT_SECRET)
    with pytest.raises(SystemExit, match="POINTS_JWT_SECRET differs from JIFEN_JWT_SECRET"):
        service_token_env()
