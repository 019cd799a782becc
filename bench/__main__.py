"""`python -m bench [NAME ...]`: run the benchmarks and print their figures."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import signal
import sys

import psutil

from bench import (
    backup,
    dashboard,
    demand,
    earning,
    employees,
    history,
    kit,
    leaderboard,
    recommendations,
    redemptions,
    service_auth,
    supervision,
    whatif,
)
from bench.harness import WRK_CONNECTIONS, WRK_SECONDS, bench_stack

BENCHMARKS = {"employees": employees.run, "earning": earning.run,
              "redemptions": redemptions.run,
              "leaderboard": leaderboard.run, "dashboard": dashboard.run,
              "whatif": whatif.run, "backup": backup.run,
              "history": history.run, "service_auth": service_auth.run,
              "supervision": supervision.run, "demand": demand.run, "kit": kit.run,
              "recommendations": recommendations.run}
# measured in-process: no system is started for them alone
STANDALONE = {"service_auth", "demand", "kit"}


def machine_state() -> str:
    """What else the machine was doing when the run started."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    busy = psutil.cpu_percent(interval=1.0)
    memory = psutil.virtual_memory()
    return (f"load average {load}; CPU {busy:.0f}% busy over 1 s before the run; "
            f"{memory.available / 2**30:.1f} of {memory.total / 2**30:.1f} GiB free")


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
    # a stopped run still stops the system it started (the finally blocks run)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    names = args.names or list(BENCHMARKS)
    print(
        f"Jifen benchmarks {dt.datetime.now():%Y-%m-%d %H:%M} on {platform.node()} "
        f"({os.cpu_count()} cores, Python {platform.python_version()}); "
        f"wrk {WRK_SECONDS}s x {WRK_CONNECTIONS} connections\n{machine_state()}",
        flush=True,
    )
    needs_stack = any(name not in STANDALONE for name in names)
    with bench_stack() if needs_stack else contextlib.nullcontext() as stack:
        for name in names:
            print(f"\n== {name}", flush=True)
            for line in BENCHMARKS[name](stack):
                print("  " + line, flush=True)
    print(f"\nfinished {dt.datetime.now():%H:%M}; {machine_state()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
