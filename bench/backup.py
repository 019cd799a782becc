"""Backup and restore of the demo plant: ``jifen demo`` through the gateway, then
``jifen backup`` of the three databases while the services run, and ``jifen
restore`` into three new databases on the same server (checksums, pg_restore,
row counts, migrations, reconcile), each timed as an operator runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jifen.stack import REPO_ROOT, Stack

SERVICES = ("training", "points", "rewards")


def _jifen(*args: str, env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "jifen.cli", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, env={**os.environ, **(env or {})},
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"jifen {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return time.monotonic() - started, done.stdout


def run(stack: Stack) -> list[str]:
    demo_seconds, _ = _jifen("demo", "--url", stack.gateway_url, "--quiet")
    urls = {f"{s.upper()}_DATABASE_URL": stack.database_url(s) for s in SERVICES}
    with tempfile.TemporaryDirectory(prefix="jifen-bench-backup-") as tmp:
        folder = Path(tmp) / "backup"
        backup_seconds, _ = _jifen("backup", str(folder), env=urls)
        manifest = json.loads((folder / "manifest.json").read_text())
        size = sum(db["bytes"] for db in manifest["databases"].values())
        rows = sum(sum(db["row_counts"].values()) for db in manifest["databases"].values())
        copies = {f"--{s}-url": stack.database_url(s) + "_restored" for s in SERVICES}
        restore_seconds, out = _jifen("restore", str(folder),
                                      *(x for pair in copies.items() for x in pair))
    points = manifest["databases"]["points"]["row_counts"]
    return [
        f"demo plant loaded through the gateway in {demo_seconds:.0f} s: {rows:,} rows, "
        f"{points['ledger_entry']:,} ledger entries",
        f"jifen backup (services running): {backup_seconds:.1f} s, {size / 1e6:.1f} MB",
        f"jifen restore into new databases (checksums, pg_restore, counts, migrations, "
        f"reconcile): {restore_seconds:.1f} s; {out.strip().splitlines()[-1]}",
    ]
