"""`python -m bench [NAME ...]`: run the benchmarks and print their figures."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys

from bench import backup, dashboard, earning, employees, leaderboard, redemptions, whatif
from bench.harness import WRK_CONNECTIONS, WRK_SECONDS, bench_stack

BENCHMARKS = {"employees": employees.run, "earning": earning.run,
              "redemptions": redemptions.run,
              "leaderboard": leaderboard.run, "dashboard": dashboard.run,
              "whatif": whatif.run, "backup": backup.run}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names",
        nargs="*",
        choices=[[], *BENCHMARKS],
        default=[],
        help="benchmarks to run (default: all)",
    )
    args = parser.parse_args()
    names = args.names or list(BENCHMARKS)
    print(
        f"Jifen benchmarks {dt.date.today()} on {platform.node()} "
        f"({os.cpu_count()} cores, Python {platform.python_version()}); "
        f"wrk {WRK_SECONDS}s x {WRK_CONNECTIONS} connections",
        flush=True,
    )
    with bench_stack() as stack:
        for name in names:
            print(f"\n== {name}", flush=True)
            for line in BENCHMARKS[name](stack):
                print("  " + line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
