"""``jifen backup DIR``: back up the training, points and rewards databases into a
new or empty folder: one pg_dump (custom format) per database from a consistent
snapshot, and manifest.json with versions, alembic revisions, row counts and the
sha256 of each file. The services may keep running. See docs/operations.md."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from jifen.config import SERVICES


def configure(parser: argparse.ArgumentParser) -> None:
    from jifen.commands import completes_files

    parser.description = __doc__.replace("``", "`")
    completes_files(parser.add_argument("directory", metavar="DIR", help="a new or empty folder"))
    add_database_options(parser)


def add_database_options(parser: argparse.ArgumentParser) -> None:
    """``--training-url`` etc.: the databases to back up or restore into."""
    for service in SERVICES:
        parser.add_argument(f"--{service}-url", metavar="URL",
                            help=f"{service}_api's database (default: "
                                 f"{service.upper()}_DATABASE_URL, else the embedded "
                                 "PostgreSQL on JIFEN_PG_PORT, as `make run` started it)")


def database_urls(args: argparse.Namespace) -> dict[str, str | None]:
    return {service: getattr(args, f"{service}_url") for service in SERVICES}


def run(args: argparse.Namespace) -> int:
    import asyncio

    import asyncpg

    from jifen import pgtools
    from jifen.backup import backup, prepare, summary_lines

    directory = Path(args.directory)
    started = time.monotonic()
    try:
        prepare(directory)
        targets = pgtools.targets_from(database_urls(args))
        with pgtools.embedded_for(targets, create=False):
            manifest = asyncio.run(backup(targets, directory))
    except pgtools.ToolError as exc:
        print(f"jifen backup: {exc}", file=sys.stderr)
        return 2
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"jifen backup: cannot read the databases: {exc}", file=sys.stderr)
        return 2
    print(f"backup written to {directory} in {time.monotonic() - started:.1f} s")
    print("\n".join(summary_lines(manifest)))
    return 0
