"""``jifen reconcile``: check that points balances, holds, redemptions, stock and
limits agree (jifen/reconcile.py says what is checked). Prints each problem, exits 1
when there is any, 0 when clean, 2 when a database cannot be read."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from jifen import config


def configure(p: argparse.ArgumentParser) -> None:
    p.description = __doc__.replace("``", "`")
    p.add_argument("--points-url", default=config.database_url("points"),
                   help="points_api's database URL (default: POINTS_DATABASE_URL, else the "
                        "embedded PostgreSQL on JIFEN_PG_PORT, as `make run` started it)")
    p.add_argument("--rewards-url", default=config.database_url("rewards"),
                   help="rewards_api's database URL (default: REWARDS_DATABASE_URL, else the "
                        "embedded PostgreSQL on JIFEN_PG_PORT)")
    p.add_argument("--training-url", default=config.database_url("training"),
                   help="training_api's database URL, to check that the facts the ledger "
                        "names exist (default: TRAINING_DATABASE_URL, else the embedded "
                        "PostgreSQL on JIFEN_PG_PORT)")
    p.add_argument("--grace", type=float, default=60.0,
                   help="leave out holds and redemptions that changed in the last this many "
                        "seconds (default 60)")
    p.add_argument("--since", type=_moment, metavar="TIME",
                   help="compare only holds, redemptions and ledger entries created since "
                        "this RFC 3339 time (UTC when it has no offset); balances, stock and "
                        "limits are always checked in full")


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 time: {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run(args: argparse.Namespace) -> int:
    import asyncio
    from datetime import timedelta

    import asyncpg

    from jifen.reconcile import reconcile

    try:
        report = asyncio.run(reconcile(args.points_url, args.rewards_url,
                                       grace=timedelta(seconds=args.grace), since=args.since,
                                       training_url=args.training_url))
    except (OSError, asyncpg.PostgresError) as exc:
        urls = (args.points_url, args.rewards_url, args.training_url)
        print(f"jifen reconcile: cannot read the databases "
              f"({', '.join(config.without_password(u) for u in urls)}): {exc}",
              file=sys.stderr)
        return 2
    for finding in report.findings:
        print(finding)
    summary = ", ".join(f"{n} {what}" for what, n in report.counts.items())
    if report.findings:
        print(f"reconcile: {len(report.findings)} problem(s) ({summary} checked)")
        return 1
    print(f"reconcile: clean ({summary} checked)")
    return 0
