"""The nginx API gateway: renders ``gateway/nginx.conf.template`` and finds nginx.

``render_config`` writes a configuration whose every writable path (pid, logs,
temp files) lives under one runtime directory, so that the same gateway runs as
root in CI and as a normal user on a laptop. ``render_compose_config`` renders
the same template for the containers of ``docker-compose.yml``; the committed
``gateway/nginx.compose.conf`` is its output and a test keeps the two equal.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "gateway" / "nginx.conf.template"
COMPOSE_CONFIG_PATH = TEMPLATE_PATH.with_name("nginx.compose.conf")
SERVICES = ("training", "points", "rewards")
PROBLEM_BASE = "https://jifen.dev/problems/"
INSTALL_HINT = (
    "nginx is required for the API gateway but was not found on PATH or at /usr/sbin/nginx; "
    "install it with `apt-get install -y nginx-light` (Debian/Ubuntu) or your system's "
    "nginx package"
)
# Where distributions put nginx when /usr/sbin is not on a user's PATH.
FALLBACK_BINARIES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
COMPOSE_UPSTREAMS = {
    "training": ["training:8001"],
    "points": ["points:8002"],
    "rewards": ["rewards:8003"],
}

_ADDRESS = re.compile(r"^[A-Za-z0-9.\-]+:[0-9]{1,5}$|^\[[0-9A-Fa-f:.]+\]:[0-9]{1,5}$")
_HOST = re.compile(r"^[A-Za-z0-9.\-]+$|^\[[0-9A-Fa-f:.]+\]$")
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# the per-address limit, unless given: this many clients' worth from one machine
ADDRESS_LIMIT_FACTOR = 10
_PROBLEM_URI = "/_gateway/problems/"

# (code nginx raises, status answered, slug, title, detail): the only errors the
# gateway answers itself. nginx's internal 494 becomes the standard 431.
# "{...}" in a detail is filled from the render parameters.
_PROBLEMS = (
    (400, 400, "bad-request", "Bad request", "The gateway could not parse the request."),
    (404, 404, "not-found", "Not found",
     "No public route answers this path; API paths start with /training/, /points/ or "
     "/rewards/, and routes between services are not public."),
    (413, 413, "payload-too-large", "Request body too large",
     "The request body is larger than the gateway limit of {max_body_mb} MB."),
    (414, 414, "uri-too-long", "URI too long",
     "The request URI is longer than the gateway accepts."),
    (429, 429, "rate-limited", "Too many requests",
     "More than {rate_per_second} requests per second (burst {burst}) from this client, or "
     "{address_rate_per_second} (burst {address_burst}) from this address; retry later."),
    (494, 431, "request-header-too-large", "Request headers too large",
     "A request header is longer than the gateway accepts."),
    (500, 500, "internal-error", "Internal gateway error",
     "The gateway failed to handle the request."),
    (502, 502, "bad-gateway", "Bad gateway",
     "The service behind this path could not be reached; retry later."),
    (503, 503, "service-unavailable", "Service unavailable",
     "The service behind this path is unavailable; retry later."),
    (504, 504, "gateway-timeout", "Gateway timeout",
     "The service behind this path did not answer in time."),
)


def nginx_binary() -> str:
    """Path of the nginx executable; RuntimeError with an install hint when there is none."""
    found = shutil.which("nginx")
    if found:
        return found
    for candidate in FALLBACK_BINARIES:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError(INSTALL_HINT)


def nginx_command(conf: Path) -> list[str]:
    """The command that runs nginx in the foreground with ``conf``.

    The prefix (``-p``) is the config's directory so nothing resolves to the
    compiled-in /etc/nginx or /var/log/nginx; ``-e stderr`` keeps nginx from
    opening the compiled-in error log before it has read ``conf``.
    """
    conf = Path(conf).resolve()
    return [nginx_binary(), "-p", f"{conf.parent}/", "-e", "stderr", "-c", str(conf),
            "-g", "daemon off;"]


def check_config(conf: Path) -> str:
    """Run ``nginx -t`` on ``conf``; return nginx's report or raise RuntimeError with it."""
    result = subprocess.run([*nginx_command(conf), "-t"], capture_output=True, text=True,
                            timeout=30, check=False)
    report = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise RuntimeError(f"nginx rejected {conf}:\n{report}")
    return report


def render_config(*, listen_port: int, upstreams: dict[str, list[str]], runtime_dir: Path,
                  rate_per_second: int = 200, burst: int = 400, max_body_mb: int = 20,
                  listen_host: str = "127.0.0.1", workers: int = 1,
                  address_rate_per_second: int | None = None,
                  address_burst: int | None = None,
                  peer_port: int | None = None) -> Path:
    """Write ``runtime_dir/nginx.conf`` for a gateway in front of ``upstreams``; return its path.

    ``upstreams`` maps each of training, points and rewards to its replicas as
    ``host:port``. The temp and log directories are created under
    ``runtime_dir``. ``user root;`` is rendered only when running as root, so
    that workers can reach a runtime directory under a private home.

    ``rate_per_second`` and ``burst`` limit each client (a bearer token, or the
    address of a request without one); ``address_rate_per_second`` and
    ``address_burst`` (default: ten times those) limit each address whatever the
    tokens it sends.
    ``peer_port``, when given, adds a second listener on 127.0.0.1 through which
    replicated services call each other (internal routes included); it is never
    the public port.
    """
    if not _HOST.match(listen_host):
        raise ValueError(f"listen_host {listen_host!r} is not a host name or address")
    _check_port(listen_port)
    if peer_port is not None:
        _check_port(peer_port)
    runtime_dir = Path(runtime_dir).resolve()
    temp_dir, log_dir = runtime_dir / "temp", runtime_dir / "logs"
    for directory in (runtime_dir, temp_dir, log_dir):
        directory.mkdir(parents=True, exist_ok=True)
    text = _render(
        origin="Rendered by jifen.gateway.render_config from gateway/nginx.conf.template.",
        user="root" if os.geteuid() == 0 else None,
        workers=workers,
        pid_path=runtime_dir / "nginx.pid",
        error_log=log_dir / "error.log",
        access_log=log_dir / "access.log",
        temp_dir=temp_dir,
        listen=f"{listen_host}:{listen_port}",
        upstreams=upstreams,
        rate_per_second=rate_per_second,
        burst=burst,
        max_body_mb=max_body_mb,
        address_rate_per_second=address_rate_per_second,
        address_burst=address_burst,
        peer_listen=f"127.0.0.1:{peer_port}" if peer_port is not None else None,
    )
    conf = runtime_dir / "nginx.conf"
    conf.write_text(text, encoding="utf-8")
    return conf


def render_compose_config() -> str:
    """The gateway configuration for the nginx container of ``docker-compose.yml``.

    Same template, with the compose service names as upstreams, the official
    nginx image's user and cache directory, and logs on the container's
    stdout/stderr.
    """
    return _render(
        origin=("Static config for the gateway container of docker-compose.yml; it mirrors "
                "gateway/nginx.conf.template.\n# Regenerate with: python -m jifen.gateway "
                "> gateway/nginx.compose.conf (a test fails when it drifts)."),
        user="nginx",
        workers="auto",
        pid_path="/var/run/nginx.pid",
        error_log="stderr",
        access_log="/dev/stdout",
        temp_dir="/var/cache/nginx",
        listen="0.0.0.0:8080",
        upstreams=COMPOSE_UPSTREAMS,
        rate_per_second=200,
        burst=400,
        max_body_mb=20,
    )


def render_kubernetes_config(*, rate_per_second: int = 200, burst: int = 400,
                             max_body_mb: int = 20) -> str:
    """The gateway configuration for its Kubernetes pod (deploy/k8s/base/gateway.yaml):
    the same template, the APIs' Services as upstreams (the names and ports of
    compose), the unprivileged nginx image (no ``user``; pid and temp files under
    the pod's /tmp), logs on stdout/stderr."""
    return _render(
        origin=("Rendered by `jifen gateway render --target kubernetes` from "
                "gateway/nginx.conf.template."),
        user=None,
        workers="auto",
        pid_path="/tmp/nginx.pid",
        error_log="stderr",
        access_log="/dev/stdout",
        temp_dir="/tmp",
        listen="0.0.0.0:8080",
        upstreams=COMPOSE_UPSTREAMS,
        rate_per_second=rate_per_second,
        burst=burst,
        max_body_mb=max_body_mb,
    )


def _render(*, origin: str, user: str | None, workers: int | str, pid_path: Path | str,
            error_log: Path | str, access_log: Path | str, temp_dir: Path | str, listen: str,
            upstreams: dict[str, list[str]], rate_per_second: int, burst: int,
            max_body_mb: int, address_rate_per_second: int | None = None,
            address_burst: int | None = None,
            peer_listen: str | None = None) -> str:
    if address_rate_per_second is None and isinstance(rate_per_second, int):
        address_rate_per_second = ADDRESS_LIMIT_FACTOR * rate_per_second
    if address_burst is None and isinstance(burst, int):
        address_burst = ADDRESS_LIMIT_FACTOR * burst
    given: dict[str, object] = {
        "rate_per_second": rate_per_second, "burst": burst, "max_body_mb": max_body_mb,
        "address_rate_per_second": address_rate_per_second, "address_burst": address_burst}
    limits: dict[str, int] = {}
    for name, value in given.items():  # callers pass settings read from files: check them
        minimum = 0 if name.endswith("burst") else 1
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
        limits[name] = value
    if workers != "auto" and (not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    values = {
        "origin": origin,
        "user_directive": f"user {user};" if user else "# no user directive: not run as root",
        "workers": str(workers),
        "pid_path": str(pid_path),
        "error_log": str(error_log),
        "access_log": str(access_log),
        "temp_dir": str(temp_dir),
        "listen": listen,
        "upstreams": _upstream_blocks(upstreams),
        "error_pages": _error_pages(),
        "problem_locations": _problem_locations(limits),
        "peer_server": _peer_server(peer_listen, max_body_mb),
        **{name: str(value) for name, value in limits.items()},
    }
    template = _template_path().read_text(encoding="utf-8")
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def _template_path() -> Path:
    # Next to the package in a checkout; from the working directory when jifen
    # is installed into site-packages and run from the repository (or /app).
    for candidate in (TEMPLATE_PATH, Path.cwd() / "gateway" / TEMPLATE_PATH.name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"gateway template not found at {TEMPLATE_PATH} or under ./gateway/; "
        "run from the repository root")


def _check_port(port: int) -> None:
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"port {port!r} is not between 1 and 65535")


def _upstream_blocks(upstreams: dict[str, list[str]]) -> str:
    if set(upstreams) != set(SERVICES):
        raise ValueError(
            f"upstreams must have exactly the keys {SERVICES}, got {sorted(upstreams)}")
    blocks = []
    for service in SERVICES:
        replicas = upstreams[service]
        if not replicas:
            raise ValueError(f"upstreams[{service!r}] lists no replica")
        lines = [f"    upstream jifen_{service} {{"]
        for address in replicas:
            if not _ADDRESS.match(address):
                raise ValueError(f"upstream address {address!r} is not host:port")
            _check_port(int(address.rsplit(":", 1)[1]))
            lines.append(f"        server {address} max_fails=1 fail_timeout=5s;")
        # Idle upstream connections are dropped before uvicorn's 5 s keep-alive
        # would close them, so nginx never reuses a connection the service shut.
        lines += ["        keepalive 64;", "        keepalive_timeout 4s;", "    }", ""]
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def _peer_server(listen: str | None, max_body_mb: int) -> str:
    """The listener replicated services call each other through: every path of the
    three prefixes, internal routes included, without the public limits. Services
    still authenticate each call with their own keys."""
    if listen is None:
        return ""
    routes = "\n".join(
        f"        location /{service}/ {{\n            proxy_pass http://jifen_{service};\n"
        "        }" for service in SERVICES)
    return (
        "\n    # Calls between replicated services (never the public port).\n"
        "    server {\n"
        f"        listen {listen};\n"
        "        server_name _;\n"
        f"        client_max_body_size {max_body_mb}m;\n"
        "        proxy_http_version 1.1;\n"
        '        proxy_set_header Connection "";\n'
        "        proxy_set_header Host $host;\n"
        "        proxy_set_header X-Request-ID $jifen_request_id;\n"
        "        proxy_connect_timeout 2s;\n"
        "        proxy_read_timeout 60s;\n"
        "        proxy_next_upstream error timeout;\n"
        f"{routes}\n"
        "        location / {\n            return 404;\n        }\n"
        "    }\n")


def _error_pages() -> str:
    # URIs rather than named locations: nginx cannot redirect a request whose
    # request line it failed to parse (400, 414) to a named location.
    # "=status" is needed where the answered status differs from nginx's code.
    return "\n".join(
        f"        error_page {code} {'' if code == status else f'={status} '}{_PROBLEM_URI}{code};"
        for code, status, *_ in _PROBLEMS) + "\n"


def _problem_locations(limits: dict[str, int]) -> str:
    blocks = []
    for code, status, slug, title, detail in _PROBLEMS:
        fixed = json.dumps({"type": PROBLEM_BASE + slug, "title": title, "status": status,
                            "detail": detail.format(**limits)}, ensure_ascii=True)
        # The fixed members come from json.dumps; instance and request_id are
        # nginx variables restricted to JSON-safe characters by their maps.
        body = fixed[:-1] + ', "instance": "$jifen_instance", "request_id": "$jifen_request_id"}'
        if "'" in body or "\\" in body:
            raise ValueError(f"problem text for {status} cannot be quoted for nginx")
        blocks.append(
            f"        location = {_PROBLEM_URI}{code} {{\n"
            "            internal;\n"
            "            default_type application/problem+json;\n"
            f"            return {status} '{body}';\n"
            "        }"
        )
    return "\n".join(blocks)


if __name__ == "__main__":
    print(render_compose_config(), end="")
