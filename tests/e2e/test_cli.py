"""The `jifen` command as an operator uses it."""

import os
import subprocess
import sys
from pathlib import Path

import jwt

from shared.settings import DEV_JWT_SECRET
from tests.factories import create_org, uid

ROOT = Path(__file__).resolve().parents[2]
JIFEN = [sys.executable, "-m", "jifen.cli"]


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*JIFEN, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_help_documents_every_command():
    out = run("--help").stdout
    for command in ("token", "run", "import-employees", "openapi", "reconcile", "report",
                    "mix-targets", "what-if", "demo"):
        assert command in out
        assert run(command, "--help").returncode == 0
    for action in ("simulate", "show", "employees", "apply"):
        assert run("what-if", action, "--help").returncode == 0


def test_token_is_accepted_by_the_services(stack):
    done = run("token", "--sub", "HR001", "--role", "hr_admin", "--role", "auditor")
    assert done.returncode == 0
    token = done.stdout.strip()
    claims = jwt.decode(token, DEV_JWT_SECRET, algorithms=["HS256"], audience="jifen")
    assert claims["sub"] == "HR001" and claims["roles"] == ["hr_admin", "auditor"]
    import httpx

    r = httpx.get(
        f"{stack.gateway_url}/training/v1/departments", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200


def test_unknown_role_is_refused():
    done = run("token", "--sub", "X", "--role", "superuser")
    assert done.returncode == 2 and "unknown role" in done.stderr


async def test_import_employees_with_progress(stack, gw, tmp_path):
    org = await create_org(gw)
    nos = [uid("CLI") for _ in range(3)]
    path = tmp_path / "员工.csv"
    path.write_text(
        "工号,姓名,部门编码,岗位编码\n"
        + "".join(f"{no},孙悟,{org['department']['code']},{org['role']['code']}\n" for no in nos)
        + f"{uid('CLI')},猪八,NOPE,{org['role']['code']}\n",
        encoding="utf-8-sig",
    )
    done = run("import-employees", str(path), "--url", stack.gateway_url)
    assert done.returncode == 1, done.stderr  # one row was rejected
    assert "3 created" in done.stdout and "line 5" in done.stdout
    assert "upload" in done.stderr  # the progress bar
    again = run("import-employees", str(path), "--url", stack.gateway_url, "--dry-run")
    assert "3 unchanged" in again.stdout and "dry run" in again.stdout
