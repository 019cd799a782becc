"""The nginx gateway, rendered and run for real.

The upstreams here are tiny threaded HTTP servers that echo what nginx sent
them; they stand in for the three services so these tests exercise nginx alone
and stay fast. nginx itself is never mocked: when it is missing the tests fail
with the install hint from ``nginx_binary``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from jifen import gateway
from jifen.gateway import (
    COMPOSE_CONFIG_PATH,
    nginx_binary,
    nginx_command,
    render_compose_config,
    render_config,
)

PROBLEM_JSON = "application/problem+json"


# --- upstream stand-ins ------------------------------------------------------------------


class EchoServer(ThreadingHTTPServer):
    """Answers every request with JSON describing what it received."""

    daemon_threads = True

    def __init__(self, name: str) -> None:
        super().__init__(("127.0.0.1", 0), EchoHandler)
        self.name = name
        self.seen: list[dict[str, object]] = []

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as nginx's upstream keepalive expects
    server: EchoServer

    def _echo(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = {
            "server": self.server.name,
            "method": self.command,
            "path": self.path,
            "body_bytes": len(body),
            "request_id": self.headers.get_all("X-Request-ID"),
            "forwarded_for": self.headers.get("X-Forwarded-For"),
            "forwarded_proto": self.headers.get("X-Forwarded-Proto"),
            "connection": self.headers.get("Connection"),
        }
        self.server.seen.append(seen)
        payload = json.dumps(seen).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        # A service sets its own X-Request-ID; the gateway must not let it double up.
        self.send_header("X-Request-ID", "set-by-upstream")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _echo

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def upstreams() -> Iterator[dict[str, EchoServer]]:
    servers = {name: EchoServer(name)
               for name in ("training-a", "training-b", "points", "rewards")}
    threads = [threading.Thread(target=server.serve_forever, daemon=True)
               for server in servers.values()]
    for thread in threads:
        thread.start()
    yield servers
    for server in servers.values():
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _forget_seen(upstreams: dict[str, EchoServer]) -> None:
    for server in upstreams.values():
        server.seen.clear()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def upstream_map(servers: dict[str, EchoServer], **override: list[str]) -> dict[str, list[str]]:
    mapping = {
        "training": [servers["training-a"].address, servers["training-b"].address],
        "points": [servers["points"].address],
        "rewards": [servers["rewards"].address],
    }
    mapping.update(override)
    return mapping


# --- the gateway process ---------------------------------------------------------------


StartGateway = Callable[..., str]


@pytest.fixture
def start_gateway(tmp_path: Path, upstreams: dict[str, EchoServer]) -> Iterator[StartGateway]:
    """Render a config, start nginx on a free loopback port, return its base URL."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(**options: object) -> str:
        port = free_port()
        options.setdefault("upstreams", upstream_map(upstreams))
        conf = render_config(listen_port=port, runtime_dir=tmp_path / f"gw{len(processes)}",
                             **options)  # type: ignore[arg-type]
        proc = subprocess.Popen(nginx_command(conf), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        processes.append(proc)
        _wait_listening(proc, port, conf)
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in processes:
        _stop(proc)


def _wait_listening(proc: subprocess.Popen[bytes], port: int, conf: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _, err = proc.communicate()
            log = conf.parent / "logs" / "error.log"
            detail = log.read_text() if log.exists() else ""
            pytest.fail(f"nginx exited with {proc.returncode}: {err.decode()}\n{detail}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    pytest.fail(f"nginx did not listen on port {port} within 60 s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()  # SIGTERM: nginx's fast shutdown, workers included
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this test started, nothing else
            proc.wait(timeout=5)
    proc.communicate()


def raw_request(base: str, head: bytes) -> tuple[int, str, bytes]:
    """Send a request head no HTTP client would send (without its final CRLF).

    Returns (status, lower-cased response headers, body).
    """
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + b"\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    header_block, _, body = data.partition(b"\r\n\r\n")
    return int(header_block.split(b" ", 2)[1]), header_block.decode("latin-1").lower(), body


def assert_problem(response: httpx.Response, status: int, slug: str, instance: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["type"] == f"https://jifen.dev/problems/{slug}"
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    assert problem["instance"] == instance
    assert len(response.headers.get_list("x-request-id")) == 1
    return problem


# --- configuration ---------------------------------------------------------------------


def test_missing_nginx_fails_with_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gateway.shutil, "which", lambda name: None)
    monkeypatch.setattr(gateway, "FALLBACK_BINARIES", ("/nonexistent/nginx",))
    with pytest.raises(RuntimeError, match="apt-get install -y nginx-light"):
        nginx_binary()


def test_rendered_config_passes_nginx_t(tmp_path: Path, upstreams: dict[str, EchoServer]) -> None:
    runtime = tmp_path / "runtime"
    conf = render_config(listen_port=free_port(), upstreams=upstream_map(upstreams),
                         runtime_dir=runtime, workers=2)

    result = subprocess.run([*nginx_command(conf), "-t"], capture_output=True, text=True,
                            timeout=30, check=False)

    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
    text = conf.read_text()
    assert conf == runtime.resolve() / "nginx.conf"
    assert (runtime / "temp").is_dir() and (runtime / "logs").is_dir()
    for directive in ("client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path",
                      "uwsgi_temp_path", "scgi_temp_path", "pid", "error_log", "access_log"):
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(directive + " "))
        assert str(runtime.resolve()) in line, line
    assert ("user root;" in text) == (os.geteuid() == 0)
    assert "worker_processes 2;" in text
    assert "{{" not in text


def test_render_rejects_bad_upstreams(tmp_path: Path) -> None:
    good = {"training": ["127.0.0.1:1"], "points": ["127.0.0.1:2"], "rewards": ["127.0.0.1:3"]}
    with pytest.raises(ValueError, match="keys"):
        render_config(listen_port=8080, upstreams={"training": ["a:1"]}, runtime_dir=tmp_path)
    with pytest.raises(ValueError, match="host:port"):
        render_config(listen_port=8080, upstreams={**good, "points": ["evil:1; include /x"]},
                      runtime_dir=tmp_path)
    with pytest.raises(ValueError, match="no replica"):
        render_config(listen_port=8080, upstreams={**good, "rewards": []}, runtime_dir=tmp_path)


def test_compose_config_is_the_rendered_template() -> None:
    committed = COMPOSE_CONFIG_PATH.read_text(encoding="utf-8")
    assert committed == render_compose_config(), (
        "gateway/nginx.compose.conf drifted from the template; regenerate it with "
        "`python -m jifen.gateway > gateway/nginx.compose.conf`"
    )
    for upstream in ("server training:8001", "server points:8002", "server rewards:8003"):
        assert upstream in committed


# --- the running gateway ---------------------------------------------------------------


def test_routes_by_prefix_with_path_unchanged(start_gateway: StartGateway) -> None:
    base = start_gateway()
    with httpx.Client(base_url=base) as client:
        points = client.get("/points/v1/accounts/E001?limit=5&cursor=a%2Fb")
        rewards = client.post("/rewards/v1/redemptions", json={"reward": "mug"})
        training = client.put("/training/v1/employees/E001", json={"name": "王芳"})
        bare = client.get("/rewards")

    assert bare.json()["server"] == "rewards" and bare.json()["path"] == "/rewards"
    assert points.json()["server"] == "points"
    assert points.json()["path"] == "/points/v1/accounts/E001?limit=5&cursor=a%2Fb"
    assert rewards.json()["server"] == "rewards"
    assert rewards.json()["method"] == "POST"
    assert training.json()["server"].startswith("training-")
    seen = points.json()
    assert seen["forwarded_for"] == "127.0.0.1"
    assert seen["forwarded_proto"] == "http"
    assert seen["connection"] is None  # upstream keep-alive: no "Connection: close"


def test_request_id_generated_passed_through_and_single(start_gateway: StartGateway) -> None:
    base = start_gateway()
    with httpx.Client(base_url=base) as client:
        generated = client.get("/training/v1/employees")
        given = client.get("/points/v1/x", headers={"X-Request-ID": "req-42.abc"})
        oversized = client.get("/points/v1/x", headers={"X-Request-ID": "x" * 300})

    ids = generated.headers.get_list("x-request-id")
    assert len(ids) == 1 and len(ids[0]) == 32
    assert generated.json()["request_id"] == ids  # the service saw the same single id
    assert given.headers.get_list("x-request-id") == ["req-42.abc"]
    assert given.json()["request_id"] == ["req-42.abc"]
    replaced = oversized.headers.get_list("x-request-id")
    assert len(replaced) == 1 and len(replaced[0]) == 32
    assert oversized.json()["request_id"] == replaced


def test_unknown_paths_are_problem_404(start_gateway: StartGateway,
                                       upstreams: dict[str, EchoServer]) -> None:
    base = start_gateway()
    with httpx.Client(base_url=base) as client:
        for path in ("/nope/v1/x?a=1", "/metrics", "/trainingx/v1", "/index.html"):
            problem = assert_problem(client.get(path), 404, "not-found", path)
            assert len(problem["request_id"]) == 32
        # An id the client sent is the one in the problem and the header.
        answer = client.get("/nope", headers={"X-Request-ID": "trace-7"})
        assert answer.json()["request_id"] == "trace-7"
        assert answer.headers["x-request-id"] == "trace-7"
        # The problem locations are not reachable from outside.
        assert_problem(client.get("/_gateway/problems/502"), 404, "not-found",
                       "/_gateway/problems/502")
    # A raw quote or backslash in the URI still yields valid JSON: instance stops before it.
    status, _, body = raw_request(base, b'GET /nope/a"b\\c HTTP/1.1\r\nHost: x')
    assert status == 404 and json.loads(body)["instance"] == "/nope/a"
    assert not any(server.seen for server in upstreams.values())


def test_malformed_requests_are_problems(start_gateway: StartGateway) -> None:
    base = start_gateway()
    cases = [
        (b"GARBAGE", 400, "bad-request"),
        (b"GET /" + b"a" * 40_000 + b" HTTP/1.1\r\nHost: x", 414, "uri-too-long"),
        (b"GET /points/x HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000,
         431, "request-header-too-large"),
    ]
    for request, expected, slug in cases:
        status, headers, body = raw_request(base, request)
        assert status == expected, body
        assert "content-type: application/problem+json" in headers
        problem = json.loads(body)
        assert problem["status"] == expected
        assert problem["type"] == f"https://jifen.dev/problems/{slug}"


def test_cors_preflight(start_gateway: StartGateway) -> None:
    base = start_gateway()
    with httpx.Client(base_url=base) as client:
        answer = client.options("/points/v1/ledger", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
        normal = client.get("/points/v1/ledger")

    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "*"
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        assert method in answer.headers["access-control-allow-methods"]
    for header in ("Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"):
        assert header in answer.headers["access-control-allow-headers"]
    assert answer.headers["access-control-expose-headers"] == "X-Request-ID"
    assert normal.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-methods" not in normal.headers


def test_body_over_limit_is_problem_413(start_gateway: StartGateway,
                                        upstreams: dict[str, EchoServer]) -> None:
    base = start_gateway(max_body_mb=1)
    with httpx.Client(base_url=base) as client:
        small = client.post("/training/v1/notes", content=b"x" * 500_000)
        large = client.post("/training/v1/notes?draft=1", content=b"x" * 2_000_000)

    assert small.status_code == 200 and small.json()["body_bytes"] == 500_000
    problem = assert_problem(large, 413, "payload-too-large", "/training/v1/notes?draft=1")
    assert "1 MB" in problem["detail"]
    assert all(seen["body_bytes"] == 500_000
               for seen in upstreams["training-a"].seen + upstreams["training-b"].seen)


def test_over_rate_is_problem_429(start_gateway: StartGateway) -> None:
    base = start_gateway(rate_per_second=1, burst=1)
    with httpx.Client(base_url=base) as client:
        answers = [client.get("/points/v1/leaderboard") for _ in range(6)]

    statuses = [answer.status_code for answer in answers]
    assert statuses[:2] == [200, 200], statuses  # the first plus the burst of one
    limited = [answer for answer in answers if answer.status_code == 429]
    assert len(limited) >= 3, statuses
    assert_problem(limited[0], 429, "rate-limited", "/points/v1/leaderboard")
    assert limited[0].headers["retry-after"] == "1"


def _bearer(signature: str) -> dict[str, str]:
    """A token-shaped header: the gateway keys its limit on the signature and verifies
    nothing (the services do)."""
    return {"Authorization": f"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.{signature}"}


def test_rate_is_counted_per_token_not_per_address(start_gateway: StartGateway) -> None:
    base = start_gateway(rate_per_second=1, burst=1)
    first, second = _bearer("A" * 43), _bearer("B" * 43)
    with httpx.Client(base_url=base) as client:
        busy = [client.get("/points/v1/x", headers=first).status_code for _ in range(4)]
        other = client.get("/points/v1/x", headers=second)
        anonymous = client.get("/points/v1/x")

    assert busy[:2] == [200, 200] and 429 in busy[2:], busy
    # another client on the same address has its own budget, and so has the address
    assert other.status_code == 200
    assert anonymous.status_code == 200


def test_requests_without_a_token_are_counted_per_address(start_gateway: StartGateway) -> None:
    base = start_gateway(rate_per_second=1, burst=1)
    with httpx.Client(base_url=base) as client:
        statuses = [client.get("/points/v1/x").status_code for _ in range(4)]
        malformed = client.get("/points/v1/x", headers={"Authorization": "Bearer not-a-jwt"})

    assert statuses[:2] == [200, 200] and 429 in statuses[2:], statuses
    assert malformed.status_code == 429  # not a token: counted with its address


def test_one_address_is_capped_whatever_its_tokens(start_gateway: StartGateway) -> None:
    base = start_gateway(rate_per_second=100, burst=100, address_rate_per_second=1,
                         address_burst=2)
    with httpx.Client(base_url=base) as client:
        answers = [client.get("/points/v1/x", headers=_bearer(f"{i:043d}")) for i in range(6)]

    statuses = [answer.status_code for answer in answers]
    assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:], statuses
    problem = assert_problem(answers[-1], 429, "rate-limited", "/points/v1/x")
    assert "1 (burst 2) from this address" in problem["detail"]


def test_upstream_down_is_problem_502(start_gateway: StartGateway,
                                      upstreams: dict[str, EchoServer]) -> None:
    dead = f"127.0.0.1:{free_port()}"  # nothing listens there
    base = start_gateway(upstreams=upstream_map(upstreams, rewards=[dead]))
    with httpx.Client(base_url=base) as client:
        answer = client.get("/rewards/v1/catalogue")
        still_up = client.get("/points/v1/x")

    assert_problem(answer, 502, "bad-gateway", "/rewards/v1/catalogue")
    assert still_up.status_code == 200


def test_replicas_share_traffic_and_cover_for_a_dead_one(
        start_gateway: StartGateway, upstreams: dict[str, EchoServer]) -> None:
    base = start_gateway()
    with httpx.Client(base_url=base) as client:
        servers = {client.get(f"/training/v1/courses/{i}").json()["server"] for i in range(10)}
    assert servers == {"training-a", "training-b"}

    dead = f"127.0.0.1:{free_port()}"
    base = start_gateway(upstreams=upstream_map(
        upstreams, training=[dead, upstreams["training-a"].address]))
    with httpx.Client(base_url=base) as client:
        answers = [client.get(f"/training/v1/courses/{i}") for i in range(4)]
    assert [answer.status_code for answer in answers] == [200] * 4


def test_access_log_is_json_with_request_id(start_gateway: StartGateway, tmp_path: Path,
                                            upstreams: dict[str, EchoServer]) -> None:
    base = start_gateway()
    with httpx.Client(base_url=base) as client:
        client.get("/points/v1/x", headers={"X-Request-ID": "log-me"})

    log = tmp_path / "gw0" / "logs" / "access.log"
    deadline = time.monotonic() + 5
    while not (log.exists() and log.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.02)
    entry = json.loads(log.read_text().splitlines()[-1])
    assert entry["request_id"] == "log-me"
    assert entry["uri"] == "/points/v1/x"
    assert entry["status"] == 200
    assert entry["upstream_addr"] == upstreams["points"].address
    assert isinstance(entry["request_time"], float)
