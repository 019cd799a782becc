"""``jifen import-employees``: upload an employee file (docs/employee-import.md) with
progress and print the report; exits 1 when rows were rejected or the import failed.
A file the server runs as a job (more than 10,000 rows, or ``--async``) is followed
until it ends, with the rows written as progress."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from jifen.api import add_gateway_options
from jifen.commands import completes_files
from jifen.progress import progress

POLL_SECONDS = 1.0


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.split("\n\n")[0].replace("``", "`")
    completes_files(parser.add_argument("file", help="CSV or XLSX file as exported by Excel"))
    parser.add_argument("--dry-run", action="store_true", help="validate only, write nothing")
    parser.add_argument("--async", dest="as_job", action="store_true",
                        help="have the server run it as a job whatever its size, and follow "
                             "the job (larger files are jobs anyway)")
    add_gateway_options(parser)
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")


def run(args: argparse.Namespace) -> int:
    from jifen import api

    path = Path(args.file)
    if not path.is_file():
        print(f"jifen import-employees: no such file: {path}", file=sys.stderr)
        return 2
    params = {"dry_run": str(args.dry_run).lower()}
    if args.as_job:
        params["async"] = "true"
    with api.client(args, timeout=600) as client:
        try:
            with progress(f"upload {path.name}", total=path.stat().st_size,
                          byte_sizes=True) as bar:
                resp = api.upload(client, "/training/v1/employee-imports", path, bar, params)
            report = resp.json() if resp.status_code != 202 else follow(client, resp.json())
        except api.ApiError as exc:
            print(f"\njifen import-employees: {exc}", file=sys.stderr)
            return 1
    if report is None:
        return 1
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _describe(report)
    return 1 if report["rejected"] else 0


def follow(client: Any, job: dict[str, Any]) -> dict[str, Any] | None:
    """Poll an import job until it ends, with its rows written as progress; its
    report, or None (said why) when it failed."""
    from jifen import api

    with progress("employee rows written", total=job["progress"]["rows_total"],
                  unit="rows") as bar:
        while job["status"] not in ("done", "failed"):
            time.sleep(POLL_SECONDS)
            job = api.request(client, "GET", job["links"]["status"]).json()
            bar.set(job["progress"]["rows_done"], job["progress"]["rows_total"])
    if job["status"] == "failed":
        print(f"jifen import-employees: import job {job['id']} failed: {job['error']}",
              file=sys.stderr)
        return None
    report: dict[str, Any] = job["report"]
    return report


def _describe(report: dict[str, Any]) -> None:
    mode = " (dry run: nothing written)" if report["dry_run"] else ""
    print(f"{report['total_rows']} rows read ({report['encoding']}){mode}: "
          f"{report['created']} created, {report['updated']} updated, "
          f"{report['unchanged']} unchanged, {len(report['rejected'])} rejected")
    for row in report["rejected"]:
        print(f"  line {row['line']}: {row['employee_no'] or '-'}: {row['reason']}")
