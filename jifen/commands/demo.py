"""``jifen demo`` (``make demo``): load the sample plant of the source article (A企业,
1,500 employees, a year of training) through the gateway. See jifen/demo.py."""

from __future__ import annotations

import argparse
import os

from jifen.api import add_gateway_options


def configure(p: argparse.ArgumentParser) -> None:
    p.description = ("Load the sample plant of the source article (A企业, 1,500 employees, "
                     "a year of training) through the gateway.")
    add_gateway_options(p)
    p.add_argument("--seed", type=int, default=2026, help="random seed (default %(default)s)")
    p.add_argument("--employees", type=int, default=1500, help="head count (default 1500)")
    p.add_argument("--facts-per-employee", type=int, default=10,
                   help="at most this many training records per employee (default 10)")
    p.add_argument("--concurrency", type=int, default=12, help="requests in flight (default 12)")
    p.add_argument("--timezone", default=os.environ.get("JIFEN_TIMEZONE", "Asia/Shanghai"),
                   help="the company's time zone, as the services are set (default "
                        "%(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress")


def run(args: argparse.Namespace) -> int:
    import asyncio

    from jifen import demo

    return asyncio.run(demo.run(args))
