"""``jifen import-employees``: upload an employee file (docs/employee-import.md) with
progress and print the report; exits 1 when rows were rejected."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from jifen.api import add_gateway_options
from jifen.commands import FILE
from jifen.progress import progress


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.split("\n\n")[0].replace("``", "`")
    parser.add_argument("file", help="CSV or XLSX file as exported by Excel").complete = FILE
    parser.add_argument("--dry-run", action="store_true", help="validate only, write nothing")
    add_gateway_options(parser)
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")


def run(args: argparse.Namespace) -> int:
    from jifen import api

    path = Path(args.file)
    if not path.is_file():
        print(f"jifen import-employees: no such file: {path}", file=sys.stderr)
        return 2
    with api.client(args, timeout=600) as client, progress(
            f"upload {path.name}", total=path.stat().st_size, byte_sizes=True) as bar:
        try:
            resp = api.upload(client, "/training/v1/employee-imports", path, bar,
                              params={"dry_run": str(args.dry_run).lower()})
        except api.ApiError as exc:
            print(f"\njifen import-employees: {exc}", file=sys.stderr)
            return 1
    report = resp.json()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _describe(report)
    return 1 if report["rejected"] else 0


def _describe(report: dict) -> None:
    mode = " (dry run: nothing written)" if report["dry_run"] else ""
    print(f"{report['total_rows']} rows read ({report['encoding']}){mode}: "
          f"{report['created']} created, {report['updated']} updated, "
          f"{report['unchanged']} unchanged, {len(report['rejected'])} rejected")
    for row in report["rejected"]:
        print(f"  line {row['line']}: {row['employee_no'] or '-'}: {row['reason']}")
