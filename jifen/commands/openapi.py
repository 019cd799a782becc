"""``jifen openapi``: write openapi/training.json, points.json, rewards.json from the
code (or check that they are current)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="openapi", help="output folder")
    parser.add_argument("--check", action="store_true",
                        help="fail if the files are out of date")


def run(args: argparse.Namespace) -> int:
    from jifen.openapi import export

    changed = export(Path(args.out), check=args.check)
    if args.check and changed:
        print("openapi/ is out of date: run `make openapi`", file=sys.stderr)
        for name in changed:
            print(f"  {name}", file=sys.stderr)
        return 1
    return 0
