"""docker-compose.yml, checked by a real Compose implementation.

No Docker engine is needed: ``config`` only parses, interpolates and validates
the file. A missing validator is a failure, not a skip, so that a broken
compose file cannot slip through on a machine without one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from shared.service_auth import generate_key, public_key_of

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
SECRET = "test-secret-0123456789abcdef0123456789abcdef"
SERVICE_KEYS = {name: generate_key() for name in ("training", "points", "rewards")}
KEY_ENV = {
    **{f"JIFEN_{name.upper()}_SERVICE_KEY": key for name, key in SERVICE_KEYS.items()},
    **{f"JIFEN_{name.upper()}_SERVICE_PUBLIC_KEY": public_key_of(key)
       for name, key in SERVICE_KEYS.items()},
}
SERVICES = {"training": 8001, "points": 8002, "rewards": 8003}
INSTALL_HINT = (
    "no Compose implementation found to validate docker-compose.yml: install "
    "`apt-get install -y docker-compose` or the Docker Compose v2 plugin (`docker compose`)"
)


def compose_command() -> list[str]:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30,
                               check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy]
    pytest.fail(INSTALL_HINT)


def run_config(tmp_path: Path, *args: str, secret: str | None = SECRET,
               keys: dict[str, str] = KEY_ENV) -> subprocess.CompletedProcess[str]:
    # An empty env file: a developer's .env must not change what is validated.
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIFEN_", "COMPOSE_"))}
    if secret is not None:
        env["JIFEN_JWT_SECRET"] = secret
    env.update(keys)
    return subprocess.run(
        [*compose_command(), "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config", *args],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=60, check=False,
    )


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> dict:
    result = run_config(tmp_path_factory.mktemp("compose"))
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def published_ports(service: dict) -> list[tuple[int, int]]:
    """(published, target) pairs, from either Compose's long or short port syntax."""
    pairs = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            pairs.append((int(port["published"]), int(port["target"])))
        else:
            published, target = str(port).split("/")[0].rsplit(":", 2)[-2:]
            pairs.append((int(published), int(target)))
    return pairs


def test_compose_file_is_valid(tmp_path: Path) -> None:
    result = run_config(tmp_path, "-q")
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_run_without_a_jwt_secret(tmp_path: Path) -> None:
    result = run_config(tmp_path, "-q", secret=None)
    assert result.returncode != 0
    assert "set JIFEN_JWT_SECRET" in result.stderr + result.stdout


def test_compose_refuses_to_run_without_service_keys(tmp_path: Path) -> None:
    keys = {k: v for k, v in KEY_ENV.items() if k != "JIFEN_POINTS_SERVICE_KEY"}
    result = run_config(tmp_path, "-q", keys=keys)
    assert result.returncode != 0
    assert "made by jifen service-keys" in result.stderr + result.stdout


def test_each_service_holds_its_own_key_and_its_callers_public_keys(config: dict) -> None:
    callers = {"training": {"points"}, "points": {"training", "rewards"},
               "rewards": {"training"}}
    for name in SERVICES:
        env = config["services"][name]["environment"]
        keys = {k for k in env if k.endswith("_SERVICE_KEY")}
        assert keys == {f"{name.upper()}_SERVICE_KEY"}, name
        assert env[f"{name.upper()}_SERVICE_KEY"] == SERVICE_KEYS[name]
        public = json.loads(env[f"{name.upper()}_SERVICE_PUBLIC_KEYS"])
        assert public == {c: public_key_of(SERVICE_KEYS[c]) for c in callers[name]}
    migrate = config["services"]["migrate"]["environment"]
    assert not [k for k in migrate if "KEY" in k or "SECRET" in k]


def test_services_and_ports(config: dict) -> None:
    services = config["services"]
    assert set(services) == {"postgres", "migrate", "training", "points", "rewards", "gateway"}
    # Only the gateway is published; services, database and /metrics stay internal.
    assert published_ports(services["gateway"]) == [(8080, 8080)]
    for name, service in services.items():
        if name != "gateway":
            assert not service.get("ports"), name
    assert services["gateway"]["image"].startswith("nginx:1.27")
    assert any(volume.endswith("gateway/nginx.compose.conf:/etc/nginx/nginx.conf:ro")
               for volume in services["gateway"]["volumes"])
    assert services["postgres"]["image"] == "postgres:16"
    assert any("deploy/postgres-init.sql:/docker-entrypoint-initdb.d/" in volume
               for volume in services["postgres"]["volumes"])
    assert set(services["gateway"]["depends_on"]) == set(SERVICES)


def test_migrate_runs_every_service_migration_after_postgres(config: dict) -> None:
    migrate = config["services"]["migrate"]
    command = " ".join(migrate["command"])
    for name in SERVICES:
        assert f"alembic -c migrations/{name}/alembic.ini upgrade head" in command
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_services_wait_for_migrations_and_check_health(config: dict) -> None:
    for name, port in SERVICES.items():
        service = config["services"][name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert f"services.{name}_api.main:app" in service["command"]
        assert str(port) in service["command"]
        assert f"http://127.0.0.1:{port}/{name}/healthz" in " ".join(service["healthcheck"]["test"])
        env = service["environment"]
        prefix = name.upper()
        assert env[f"{prefix}_ENVIRONMENT"] == "production"
        assert env[f"{prefix}_JWT_SECRET"] == SECRET
        assert env[f"{prefix}_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert env[f"{prefix}_DATABASE_URL"].endswith(f"@postgres:5432/jifen_{name}")
        for peer, peer_port in SERVICES.items():
            assert env[f"{prefix}_{peer.upper()}_URL"] == f"http://{peer}:{peer_port}"


def test_files_the_compose_file_needs_exist() -> None:
    init_sql = (ROOT / "deploy" / "postgres-init.sql").read_text()
    for name in SERVICES:
        assert f"CREATE DATABASE jifen_{name};" in init_sql
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert "pip install ." in dockerfile
    assert "\nUSER " in dockerfile and "\nCMD " in dockerfile
    assert (ROOT / ".dockerignore").is_file()
    assert (ROOT / "gateway" / "nginx.compose.conf").is_file()
