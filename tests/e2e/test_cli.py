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
                    "mix-targets", "what-if", "demo", "completion", "backup", "restore",
                    "import-history", "gateway", "service-keys", "service-token"):
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
    # not a terminal: a last line with done/total and the rate, no redraws
    assert "\r" not in done.stderr
    assert f"upload 员工.csv: {path.stat().st_size} B/{path.stat().st_size} B in " in done.stderr
    again = run("import-employees", str(path), "--url", stack.gateway_url, "--dry-run")
    assert "3 unchanged" in again.stdout and "dry run" in again.stdout
    # as a job (what a file of more than 10,000 rows becomes): followed to its report
    job = run("import-employees", str(path), "--url", stack.gateway_url, "--async")
    assert job.returncode == 1, job.stderr
    assert "3 unchanged, 1 rejected" in job.stdout and "line 5" in job.stdout
    assert "employee rows written: 4/4 rows in " in job.stderr


HEAVY = ("fastapi", "sqlalchemy", "httpx", "pydantic", "asyncpg", "rich", "matplotlib")


def test_token_and_help_load_no_web_stack():
    """What makes `jifen token` and `jifen --help` answer at once (docs/benchmarks.md)."""
    probe = ("import sys\nfrom jifen.cli import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             f"print([m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)")
    for argv in (["token", "--sub", "HR001", "--role", "hr_admin"], ["--help"],
                 ["report", "--help"], ["what-if", "simulate", "--help"]):
        done = subprocess.run([sys.executable, "-c", probe, *argv], cwd=ROOT, text=True,
                              capture_output=True, timeout=60)
        assert done.stderr.strip().splitlines()[-1] == "[]", (argv, done.stderr)


def test_commands_find_the_stack_as_make_run_started_it(stack):
    """JIFEN_GATEWAY_PORT and JIFEN_PG_PORT, as `make run` honours them."""
    env = {"JIFEN_URL": "", "JIFEN_GATEWAY_PORT": str(stack.config.gateway_port),
           "JIFEN_PG_PORT": str(stack.config.pg_port), "POINTS_DATABASE_URL": "",
           "REWARDS_DATABASE_URL": ""}
    report = run("report", "feedback", "--status", "closed", "--format", "json", **env)
    assert report.returncode == 0, report.stderr
    assert "items" in report.stdout
    reconcile = run("reconcile", "--grace", "3600", **env)
    assert reconcile.returncode in (0, 1), reconcile.stderr  # it read both databases
    assert reconcile.stdout.startswith("reconcile: ") or "OFF" in reconcile.stdout


def test_commands_say_which_url_they_could_not_reach(tmp_path):
    from tests.conftest import free_port

    port = free_port()
    env = {"JIFEN_URL": "", "JIFEN_GATEWAY_PORT": str(port), "JIFEN_PG_PORT": str(port)}
    for argv in (["report", "participation"], ["demo", "--quiet"], ["mix-targets", "show"]):
        done = run(*argv, **env)
        assert done.returncode == 1, (argv, done.stderr)
        assert f"http://127.0.0.1:{port}" in done.stderr, (argv, done.stderr)
    done = run("reconcile", **env)
    assert done.returncode == 2
    assert f"postgresql+asyncpg://postgres@127.0.0.1:{port}/jifen_points" in done.stderr


def test_bash_completion_completes_commands_options_and_report_names(tmp_path):
    script = tmp_path / "jifen.bash"
    script.write_text(run("completion", "bash").stdout)
    probe = (f"source {script}\n"
             "t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); COMP_LINE=\"$*\"; "
             "COMP_POINT=${#COMP_LINE}; COMPREPLY=(); _shtab_jifen; echo \"${COMPREPLY[*]}\"; }\n"
             "t jifen rep\nt jifen report pilot-\nt jifen report participation --for\n"
             "t jifen what-if s\nt jifen completion z\n")
    done = subprocess.run(["bash", "-c", probe], text=True, capture_output=True, timeout=60)
    assert done.stdout.splitlines() == ["report", "pilot-comparison", "--format",
                                        "simulate show", "zsh"], done.stderr


def test_zsh_completion_registers_for_jifen(tmp_path):
    (tmp_path / "_jifen").write_text(run("completion", "zsh").stdout)
    probe = (f"fpath=({tmp_path} $fpath); autoload -U compinit; compinit -u -D; "
             "print -r -- $_comps[jifen]")
    done = subprocess.run(["zsh", "-f", "-c", probe], text=True, capture_output=True,
                          timeout=60)
    assert done.stdout.strip() == "_jifen", done.stderr
    assert subprocess.run(["zsh", "-n", str(tmp_path / "_jifen")]).returncode == 0


def test_report_refuses_a_chart_it_cannot_draw():
    no_axis = run("report", "effectiveness", "--chart", "e.png", "--url", "http://127.0.0.1:9")
    assert no_axis.returncode == 2
    assert "effectiveness has no time axis to chart" in no_axis.stderr
    pdf = run("report", "participation", "--chart", "p.pdf", "--url", "http://127.0.0.1:9")
    assert pdf.returncode == 2 and "write a .png or a .svg file" in pdf.stderr
