"""``jifen restore DIR``: restore a ``jifen backup`` folder into the three
databases. Checks the checksums, refuses a schema newer than this code and
databases that hold rows or are in use (stop the services first, or --force),
restores, compares row counts, runs the migrations forward and ends with
``jifen reconcile``. Exits 0 when clean, 1 when reconcile reports problems, 2 when
refused or failed. See docs/operations.md."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jifen.pgtools import Target


def configure(parser: argparse.ArgumentParser) -> None:
    from jifen.commands import completes_files
    from jifen.commands.backup import add_database_options

    parser.description = __doc__.replace("``", "`")
    completes_files(parser.add_argument("directory", metavar="DIR",
                        help="a folder written by jifen backup"))
    add_database_options(parser)
    parser.add_argument("--force", action="store_true",
                        help="replace databases that hold rows or are in use (what they hold "
                             "is lost)")
    parser.add_argument("--grace", type=float, default=60.0,
                        help="passed to jifen reconcile (default 60)")


def run(args: argparse.Namespace) -> int:
    import asyncio

    import asyncpg

    from jifen import pgtools, schema
    from jifen.commands.backup import database_urls
    from jifen.restore import read_manifest, restore_databases, verify_files, verify_schema

    directory = Path(args.directory)
    started = time.monotonic()
    try:
        manifest = read_manifest(directory)
        verify_files(directory, manifest)
        verify_schema(manifest)
        print(f"backup of {manifest['created_at']}: checksums match", flush=True)
        targets = pgtools.targets_from(database_urls(args))
        with pgtools.embedded_for(targets, create=True):
            asyncio.run(restore_databases(directory, manifest, targets, force=args.force))
            restored = time.monotonic()
            schema.upgrade_urls({t.service: t.url for t in targets})
            print(f"restored in {restored - started:.1f} s, migrations forward in "
                  f"{time.monotonic() - restored:.1f} s; reconciling", flush=True)
            return _reconcile(targets, args.grace)
    except pgtools.ToolError as exc:
        print(f"jifen restore: {exc}", file=sys.stderr)
        return 2
    except (OSError, RuntimeError, asyncpg.PostgresError) as exc:
        print(f"jifen restore: {exc}", file=sys.stderr)
        return 2


def _reconcile(targets: Sequence[Target], grace: float) -> int:
    from jifen.cli import main

    urls = {t.service: t.url for t in targets}
    return main(["reconcile", "--points-url", urls["points"], "--rewards-url", urls["rewards"],
                 "--training-url", urls["training"], "--grace", str(grace)])
