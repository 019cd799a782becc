"""A consistent backup of the three databases (``jifen backup DIR``; its options
are in jifen/commands/backup.py).

Each database is dumped by pg_dump (custom format) from a snapshot this command
exports and holds open: the manifest's row counts and alembic revision are read
in that same snapshot, so they describe exactly what the dump holds. The three
snapshots are taken one right after the other; the moment of each is recorded,
so that ``jifen restore`` can send again the events that crossed between
services in the milliseconds between them (consumers ignore what they already
applied). ``manifest.json`` is written last: a folder without it is not a
backup.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import asyncpg

from jifen import pgtools
from jifen.pgtools import Target, ToolError

MANIFEST = "manifest.json"
FORMAT = "jifen-backup/1"
# what `jifen backup` prints per database; the manifest counts every table
KEY_TABLES = {
    "training": ("employee", "training_fact", "outbox_event"),
    "points": ("account", "ledger_entry", "hold", "webhook_delivery", "outbox_event"),
    "rewards": ("reward_item", "redemption", "outbox_event"),
}


@dataclass
class Snapshot:
    """A database held at one moment by an open repeatable-read transaction."""

    target: Target
    conn: asyncpg.Connection
    snapshot_id: str
    taken_at: datetime
    facts: dict[str, Any]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def file_facts(path: Path) -> dict[str, Any]:
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": sha256_of(path)}


def jifen_version() -> str:
    try:
        return version("jifen")
    except PackageNotFoundError:
        return "unknown"


async def table_counts(conn: asyncpg.Connection) -> dict[str, int]:
    """Exact row count of every table in the public schema."""
    names = [r["tablename"] for r in await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = await conn.fetchval(f'SELECT count(*) FROM public."{name}"')
    return counts


async def alembic_revision(conn: asyncpg.Connection) -> str | None:
    if not await conn.fetchval("SELECT to_regclass('public.alembic_version') IS NOT NULL"):
        return None
    revision: str | None = await conn.fetchval("SELECT version_num FROM alembic_version")
    return revision


async def _hold(target: Target) -> Snapshot:
    conn = await asyncpg.connect(target.dsn())
    try:
        await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot_id = await conn.fetchval("SELECT pg_export_snapshot()")
        taken_at = await conn.fetchval("SELECT clock_timestamp()")
        revision = await alembic_revision(conn)
        if revision is None:
            raise ToolError(f"{target.service}: {target.shown()} has no alembic_version table; "
                            "it is not a Jifen database (or was never migrated)")
        facts = {
            "database": target.database,
            "server_version": await conn.fetchval("SHOW server_version"),
            "server_major": conn.get_server_version().major,
            "alembic_revision": revision,
            "row_counts": await table_counts(conn),
        }
    except BaseException:
        await conn.close()
        raise
    return Snapshot(target, conn, snapshot_id, taken_at, facts)


async def _dump(snap: Snapshot, tool: pgtools.Tool, out: Path) -> dict[str, Any]:
    uri, env = snap.target.libpq()
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        str(tool.path), "--format=custom", f"--snapshot={snap.snapshot_id}", f"--file={out}",
        f"--dbname={uri}", env=env, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise ToolError(f"{snap.target.service}: pg_dump failed: {err.decode(errors='replace')}")
    return {
        **snap.facts,
        **await asyncio.to_thread(file_facts, out),
        "snapshot_at": snap.taken_at.astimezone(UTC).isoformat(),
        "pg_dump_version": tool.version,
        "pg_dump_major": tool.major,
        "seconds": round(time.monotonic() - started, 3),
    }


def prepare(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        raise ToolError(f"{directory} is not empty; give a new or empty folder (a backup never "
                        "overwrites another)")
    directory.mkdir(parents=True, exist_ok=True)


async def backup(targets: list[Target], directory: Path) -> dict[str, Any]:
    """Dump the three databases into ``directory`` (new or empty); return the manifest."""
    prepare(directory)
    dumps = pgtools.installed("pg_dump")
    snapshots: list[Snapshot] = []
    try:
        for target in targets:  # back to back, so the three moments are close together
            snapshots.append(await _hold(target))
        tools = [pgtools.choose(dumps, at_least=s.facts["server_major"], program="pg_dump")
                 for s in snapshots]
        results = await asyncio.gather(*(
            _dump(s, tool, directory / f"{s.target.service}.dump")
            for s, tool in zip(snapshots, tools, strict=True)))
    except BaseException:
        for target in targets:  # a failed backup leaves no half-written dump behind
            (directory / f"{target.service}.dump").unlink(missing_ok=True)
        raise
    finally:
        for s in snapshots:
            await s.conn.close()
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "jifen_version": jifen_version(),
        "databases": {s.target.service: r for s, r in zip(snapshots, results, strict=True)},
    }
    tmp = directory / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, directory / MANIFEST)
    return manifest


def summary_lines(manifest: dict[str, Any]) -> list[str]:
    lines = []
    for service, db in manifest["databases"].items():
        counts = ", ".join(f"{db['row_counts'].get(t, 0):,} {t}" for t in KEY_TABLES[service])
        lines.append(f"  {service:<9} {db['file']:<14} {db['bytes'] / 1e6:8.2f} MB  "
                     f"revision {db['alembic_revision']}  PostgreSQL {db['server_version']}  "
                     f"({counts})")
    return lines
