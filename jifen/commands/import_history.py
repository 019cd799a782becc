"""``jifen import-history``: upload a legacy system's training records
(docs/history-import.md), follow the import job with progress, and print its
reconciliation: rows read, imported and rejected, points per category (legacy
against Jifen), the employees whose points differ. Exits 0 when every row was
imported, 1 when rows were rejected or the job failed, 2 when nothing was sent."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from jifen.api import add_gateway_options
from jifen.commands import completes_files

POLL_SECONDS = 1.0
CATEGORIES = {"participation": "参与度", "outcome": "成果", "growth": "成长", "total": "合计"}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.split("\n\n")[0].replace("``", "`") + "."
    completes_files(parser.add_argument("file", help="CSV or XLSX file as exported by Excel"))
    parser.add_argument("--mode", choices=("replay", "opening"), default="replay",
                        help="replay: each record earns points under the rules in force at "
                             "its date (default); opening: records earn nothing, legacy "
                             "points up to --cut-over become opening balances")
    parser.add_argument("--cut-over", type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help="the cut-over date of opening balances (with --mode opening)")
    parser.add_argument("--dry-run", action="store_true", help="check and count; write nothing")
    parser.add_argument("--report-csv", metavar="PATH",
                        help="also save the reconciliation as CSV (UTF-8 with BOM, for Excel)")
    parser.add_argument("--no-wait", action="store_true",
                        help="print the job's status URL and return at once")
    add_gateway_options(parser)
    parser.add_argument("--json", action="store_true", help="print the final status as JSON")


def run(args: argparse.Namespace) -> int:
    from jifen import api
    from jifen.progress import progress

    path = Path(args.file)
    if not path.is_file():
        print(f"jifen import-history: no such file: {path}", file=sys.stderr)
        return 2
    params = {"mode": args.mode, "dry_run": str(args.dry_run).lower()}
    if args.cut_over:
        params["cut_over"] = args.cut_over.isoformat()
    with api.client(args, timeout=600) as client:
        try:
            with progress(f"upload {path.name}", total=path.stat().st_size,
                          byte_sizes=True) as bar:
                job = api.upload(client, "/training/v1/history-imports", path, bar,
                                 params).json()
            if args.no_wait:
                print(f"{args.url.rstrip('/')}{job['links']['status']}")
                return 0
            job = follow(client, job)
            _finish(client, job, args)
        except api.ApiError as exc:
            print(f"\njifen import-history: {exc}", file=sys.stderr)
            return 1 if "job" in locals() else 2
    return 0 if job["status"] == "done" and not job["counts"]["rejected"] else 1


def follow(client: Any, job: dict[str, Any]) -> dict[str, Any]:
    """Poll the job until it ends, with a progress bar per phase that has a size."""
    from jifen import api
    from jifen.progress import progress

    bars: dict[str, Any] = {}
    try:
        while job["status"] not in ("done", "failed"):
            time.sleep(POLL_SECONDS)
            job = api.request(client, "GET", job["links"]["status"]).json()
            _show(job["progress"], bars, progress)
    finally:
        for bar in bars.values():
            bar.close()
    return job


def _show(p: dict[str, Any], bars: dict[str, Any], progress: Any) -> None:
    """Rows while importing, then events applied by points_api; a bar keeps moving
    to its end after its phase."""
    if p["rows_total"] is not None and (bars or p["phase"] == "importing"):
        bars.setdefault("rows", progress("history rows", total=p["rows_total"], unit="rows"))
    if p["events_total"] and p["phase"] not in ("importing", "replacing", "opening"):
        bars.setdefault("events", progress("points applied", total=p["events_total"],
                                           unit="events"))
    if "rows" in bars:
        bars["rows"].set(p["rows_done"], p["rows_total"])
    if "events" in bars:
        bars["events"].set(p["events_delivered"], p["events_total"])


def _finish(client: Any, job: dict[str, Any], args: argparse.Namespace) -> None:
    import json

    from jifen import api

    if args.json:
        print(json.dumps(job, ensure_ascii=False, indent=2))
    else:
        describe(job)
    if job["status"] != "done":
        return
    if args.report_csv:
        csv = api.request(client, "GET", job["links"]["report"], params={"format": "csv"})
        Path(args.report_csv).write_bytes(csv.content)
        print(f"report saved to {args.report_csv}")
    if not args.json and job["counts"]["rejected"]:
        rejected = api.request(client, "GET", job["links"]["rejected_rows"],
                               params={"limit": "20"}).json()
        for row in rejected["items"]:
            print(f"  line {row['line']}: {row['legacy_id'] or '-'}: {row['reason']}")
        if rejected["next_cursor"]:
            print(f"  … all of them: {job['links']['rejected_rows']}?format=csv")


def describe(job: dict[str, Any]) -> None:
    """The outcome as a person reads it: counts, rate, points per category."""
    from jifen.tables import Signed, Table, print_tables

    c, p = job["counts"], job["progress"]
    mode = "dry run: nothing written" if job["dry_run"] else job["mode"]
    if job["status"] == "failed":
        print(f"history import {job['id']} failed: {job['error']}")
        return
    rate = f", {p['rows_per_second']:,.0f} rows/s" if p.get("rows_per_second") else ""
    print(f"history import {job['id']} ({mode}): {c['rows_read']:,} rows read, "
          f"{c['imported']:,} imported ({c['created']:,} new, {c['updated']:,} corrected, "
          f"{c['unchanged']:,} unchanged), {c['rejected']:,} rejected; "
          f"{job['seconds'] or 0:.1f} s{rate}")
    if not job.get("totals"):
        return
    table = Table(title="积分核对 (原系统 vs Jifen)", columns=["类别", "原系统", "Jifen", "差额"])
    for key, label in CATEGORIES.items():
        side = job["totals"][key]
        difference = None
        if side["legacy"] is not None and side["jifen"] is not None:
            difference = Signed(side["jifen"] - side["legacy"])
        row = [label, side["legacy"], side["jifen"], difference]
        (table.totals if key == "total" else table.rows).append(row)
    print_tables([table])
