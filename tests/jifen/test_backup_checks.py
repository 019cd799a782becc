"""What ``jifen backup`` and ``jifen restore`` refuse, and how they pick pg_dump
and pg_restore and connect: on made-up inputs and on the running system."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from jifen import pgtools, schema
from jifen.pgtools import Target, Tool, ToolError
from jifen.restore import read_manifest, verify_files, verify_schema

ROOT = Path(__file__).resolve().parents[2]


def jifen(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jifen.cli", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=300, env={**os.environ, **(env or {})})


def tool(major: int) -> Tool:
    return Tool(Path(f"/opt/pg{major}/bin/pg_dump"), major, f"{major}.2")


def test_the_same_major_version_is_preferred_then_the_nearest_newer():
    tools = [tool(18), tool(15), tool(16)]
    assert pgtools.choose(tools, at_least=16, program="pg_dump").major == 16
    assert pgtools.choose(tools, at_least=17, program="pg_dump").major == 18
    with pytest.raises(ToolError, match="pg_dump of PostgreSQL 19 or newer"):
        pgtools.choose(tools, at_least=19, program="pg_dump")


def test_the_embedded_wheel_provides_both_programs():
    for program in ("pg_dump", "pg_restore"):
        found = pgtools.installed(program)
        assert found and max(t.major for t in found) >= 17


def test_the_password_travels_in_the_environment_not_the_command_line():
    target = Target("points", "postgresql+asyncpg://jifen:s3cret@db.example:6432/jifen_points"
                              "?ssl=require")
    uri, env = target.libpq()
    assert "s3cret" not in uri and env["PGPASSWORD"] == "s3cret"
    assert uri == "postgresql://jifen@db.example:6432/jifen_points?sslmode=require"
    assert "s3cret" not in target.shown()
    assert target.dsn("postgres").endswith("@db.example:6432/postgres?ssl=require")


def test_urls_come_from_options_then_the_services_variables(monkeypatch):
    monkeypatch.setenv("POINTS_DATABASE_URL", "postgresql+asyncpg://u@h/p_env")
    targets = pgtools.targets_from({"training": "postgresql://u@h/t_opt", "points": None,
                                    "rewards": None})
    by = {t.service: t for t in targets}
    assert by["training"].url == "postgresql+asyncpg://u@h/t_opt"
    assert by["points"].database == "p_env"
    assert by["rewards"].database == "jifen_rewards"
    for bad in ("mysql://u@h/db", "postgresql://u@h", "not a url"):
        with pytest.raises(ToolError):
            pgtools.targets_from({"training": bad})


def a_backup(tmp_path: Path, **changes) -> Path:
    databases = {}
    for service in pgtools.SERVICES:
        (tmp_path / f"{service}.dump").write_bytes(f"dump of {service}".encode())
        from jifen.backup import sha256_of

        databases[service] = {"file": f"{service}.dump",
                              "bytes": len(f"dump of {service}"),
                              "sha256": sha256_of(tmp_path / f"{service}.dump"),
                              "alembic_revision": schema.code_head(service)}
    manifest = {"format": "jifen-backup/1", "databases": databases, **changes}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def test_a_complete_backup_passes_the_checks(tmp_path):
    folder = a_backup(tmp_path)
    manifest = read_manifest(folder)
    verify_files(folder, manifest)
    verify_schema(manifest)


def test_a_damaged_or_incomplete_backup_is_refused(tmp_path):
    folder = a_backup(tmp_path)
    (folder / "points.dump").write_bytes(b"dump of pointz")  # same size, other bytes
    with pytest.raises(ToolError, match="points.dump does not match its sha256"):
        verify_files(folder, read_manifest(folder))
    (folder / "points.dump").unlink()
    with pytest.raises(ToolError, match="points.dump is missing"):
        verify_files(folder, read_manifest(folder))
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(ToolError, match="not valid JSON"):
        read_manifest(folder)
    (folder / "manifest.json").unlink()
    with pytest.raises(ToolError, match="not a complete jifen backup"):
        read_manifest(folder)


def test_a_schema_newer_than_the_code_is_refused(tmp_path):
    folder = a_backup(tmp_path)
    manifest = read_manifest(folder)
    manifest["databases"]["rewards"]["alembic_revision"] = "9999_from_the_future"
    with pytest.raises(ToolError, match="rewards: the backup's schema is at revision "
                                        "9999_from_the_future, which this code does not know"):
        verify_schema(manifest)


def test_backup_never_writes_into_a_folder_that_holds_files(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    done = jifen("backup", str(tmp_path))
    assert done.returncode == 2 and "is not empty" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def stack_urls(stack) -> dict[str, str]:
    return {f"{s.upper()}_DATABASE_URL": stack.database_url(s) for s in pgtools.SERVICES}


def test_restore_refuses_databases_in_use_and_holding_rows(stack, tmp_path):
    """A backup of the running system by URL, restored onto itself: refused, and
    nothing is touched."""
    done = jifen("backup", str(tmp_path / "b"), env=stack_urls(stack))
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert set(manifest["databases"]) == set(pgtools.SERVICES)
    for service, db in manifest["databases"].items():
        assert db["alembic_revision"] == schema.code_head(service)
        assert db["row_counts"]["alembic_version"] == 1 and len(db["sha256"]) == 64
    refused = jifen("restore", str(tmp_path / "b"), env=stack_urls(stack))
    assert refused.returncode == 2
    assert "other connection(s)" in refused.stderr and "stop the services first" in refused.stderr
    assert "checksums match" in refused.stdout

    filled = Target("training", stack.database_url("training")).dsn("jifen_ops_filled")
    asyncio.run(_database_with_a_row(Target("training", stack.database_url("training"))))
    refused = jifen("restore", str(tmp_path / "b"), "--training-url", filled,
                    env=stack_urls(stack))
    assert refused.returncode == 2
    assert "is not empty: notes (1); restore into empty databases" in refused.stderr


async def _database_with_a_row(server: Target) -> None:
    admin = await asyncpg.connect(server.dsn("postgres"))
    try:
        await admin.execute("DROP DATABASE IF EXISTS jifen_ops_filled")
        await admin.execute("CREATE DATABASE jifen_ops_filled")
    finally:
        await admin.close()
    conn = await asyncpg.connect(server.dsn("jifen_ops_filled"))
    try:
        await conn.execute("CREATE TABLE notes (line text); INSERT INTO notes VALUES ('x')")
    finally:
        await conn.close()
