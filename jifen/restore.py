"""Putting a ``jifen backup`` back (``jifen restore DIR``; its options are in
jifen/commands/restore.py).

In order: the manifest and the sha256 of every file are checked; a backup whose
schema is newer than this code is refused; each database is created if missing
and must be empty (no rows in any table) and unused (no other connection) unless
``--force``; its public schema is emptied and the dump restored in one
transaction; the restored row counts are compared with the manifest; events
that crossed between services around the moments of the three snapshots are
queued again (consumers ignore the ones they had applied, so none is lost
between snapshots); the migrations run forward to this code's head; and
``jifen reconcile`` checks the result. Exits 0 when everything agrees, 1 when
reconcile reports problems, 2 when the restore was refused or failed.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from jifen import pgtools, schema
from jifen.backup import FORMAT, MANIFEST, sha256_of, table_counts
from jifen.config import SERVICES
from jifen.pgtools import Target, ToolError

# Events delivered this long before the earliest snapshot are queued again: a
# delivery is marked at the start of its transaction, which may be this much
# before the consumer applied it (peer timeouts, clock differences between servers).
REQUEUE_MARGIN = timedelta(minutes=5)


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise ToolError(f"{path} does not exist: {directory} is not a complete jifen backup")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ToolError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ToolError(f"{path} is not a {FORMAT} manifest")
    missing = [s for s in SERVICES if s not in manifest.get("databases", {})]
    if missing:
        raise ToolError(f"the manifest has no entry for {', '.join(missing)}")
    return manifest


def verify_files(directory: Path, manifest: dict[str, Any]) -> None:
    """Every dump file is there, with the size and sha256 the manifest recorded."""
    for service in SERVICES:
        entry = manifest["databases"][service]
        path = directory / Path(entry["file"]).name
        if not path.is_file():
            raise ToolError(f"{path} is missing")
        if path.stat().st_size != entry["bytes"] or sha256_of(path) != entry["sha256"]:
            raise ToolError(f"{path} does not match its sha256 in the manifest: the backup "
                            "is damaged or was changed; restore another one")


def verify_schema(manifest: dict[str, Any]) -> None:
    """Refuse a backup made by newer code: its migrations are unknown here."""
    for service in SERVICES:
        revision = manifest["databases"][service]["alembic_revision"]
        if not schema.knows(service, revision):
            raise ToolError(
                f"{service}: the backup's schema is at revision {revision}, which this code "
                f"does not know (its newest is {schema.code_head(service)}): the backup comes "
                "from a newer Jifen; restore it with that version or newer")


async def prepare_database(target: Target, *, source_major: int, force: bool) -> None:
    """Create the database if missing; refuse one in use or holding rows (unless
    forced) or of an older PostgreSQL than the backup's; empty its public schema."""
    await _create_if_missing(target)
    conn = await asyncpg.connect(target.dsn())
    try:
        major = conn.get_server_version().major
        if major < source_major:
            raise ToolError(f"{target.service}: the backup comes from PostgreSQL {source_major} "
                            f"and {target.shown()} runs {major}; restore into PostgreSQL "
                            f"{source_major} or newer")
        others = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")
        if others and not force:
            raise ToolError(f"{target.service}: {others} other connection(s) use "
                            f"{target.shown()}; stop the services first (or --force)")
        filled = {t: n for t, n in (await table_counts(conn)).items()
                  if n and t != "alembic_version"}
        if filled and not force:
            shown = ", ".join(f"{t} ({n:,})" for t, n in sorted(filled.items())[:5])
            raise ToolError(f"{target.service}: {target.shown()} is not empty: {shown}; restore "
                            "into empty databases, or --force to replace what is there")
        if await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"):
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


async def _create_if_missing(target: Target) -> None:
    try:
        conn = await asyncpg.connect(target.dsn())
    except asyncpg.InvalidCatalogNameError:
        admin = await asyncpg.connect(target.dsn("postgres"))
        try:
            await admin.execute(f'CREATE DATABASE "{target.database}"')
        finally:
            await admin.close()
        print(f"  {target.service:<9} created database {target.database}", flush=True)
        return
    await conn.close()


async def pg_restore(target: Target, dump: Path, tool: pgtools.Tool) -> None:
    uri, env = target.libpq()
    proc = await asyncio.create_subprocess_exec(
        str(tool.path), "--no-owner", "--no-privileges", "--single-transaction",
        "--exit-on-error", f"--dbname={uri}", str(dump), env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise ToolError(f"{target.service}: pg_restore failed (the database was left empty): "
                        f"{err.decode(errors='replace')[-2000:]}")


async def check_counts(target: Target, expected: dict[str, int]) -> None:
    conn = await asyncpg.connect(target.dsn())
    try:
        restored = await table_counts(conn)
    finally:
        await conn.close()
    wrong = [f"{t}: {restored.get(t)} restored, {n} backed up"
             for t, n in expected.items() if restored.get(t) != n]
    if wrong:
        raise ToolError(f"{target.service}: the restored rows differ from the manifest: "
                        + "; ".join(wrong))


async def requeue_crossing_events(target: Target, since: datetime) -> int:
    """Queue again the events to our own services marked delivered since ``since``."""
    conn = await asyncpg.connect(target.dsn())
    try:
        if not await conn.fetchval("SELECT to_regclass('public.outbox_event') IS NOT NULL"):
            return 0
        status = await conn.execute(
            "UPDATE outbox_event SET delivered_at = NULL, available_at = now() "
            "WHERE delivered_at >= $1 AND destination = ANY($2::text[])", since, list(SERVICES))
    finally:
        await conn.close()
    return int(status.split()[-1])


def snapshot_window_start(manifest: dict[str, Any]) -> datetime:
    moments = [datetime.fromisoformat(manifest["databases"][s]["snapshot_at"]) for s in SERVICES]
    return min(moments) - REQUEUE_MARGIN


async def restore_databases(directory: Path, manifest: dict[str, Any], targets: list[Target],
                            *, force: bool) -> None:
    """Everything between the checks and the migrations, database by database."""
    restores = pgtools.installed("pg_restore")
    since = snapshot_window_start(manifest)
    for target in targets:
        entry = manifest["databases"][target.service]
        started = time.monotonic()
        tool = pgtools.choose(restores, at_least=entry["pg_dump_major"], program="pg_restore")
        await prepare_database(target, source_major=entry["server_major"], force=force)
        await pg_restore(target, directory / Path(entry["file"]).name, tool)
        await check_counts(target, entry["row_counts"])
        requeued = await requeue_crossing_events(target, since)
        print(f"  {target.service:<9} restored {sum(entry['row_counts'].values()):,} rows into "
              f"{target.shown()} in {time.monotonic() - started:.1f} s; {requeued} event(s) "
              "queued again", flush=True)
