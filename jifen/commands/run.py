"""``jifen run``: start the whole system locally (what `make run` does): PostgreSQL,
the three services and the gateway, and keep them up: a process that crashes is
restarted after a backoff and the rest keeps running (jifen/supervisor.py). Ctrl-C
or SIGTERM stops everything it started."""

from __future__ import annotations

import argparse
import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import FrameType

    from jifen.stack import Stack


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.split("\n\n")[0].replace("``", "`")
    parser.add_argument("--replicas", type=int, default=1, help="replicas of each service")
    parser.add_argument("--gateway-port", type=int,
                        help="gateway port (default JIFEN_GATEWAY_PORT, else 8080)")


def run(args: argparse.Namespace) -> int:
    from jifen.stack import Stack, StackConfig
    from jifen.supervisor import Supervisor

    config = StackConfig.from_env()
    config.replicas = args.replicas
    if args.gateway_port:
        config.gateway_port = args.gateway_port
    stack = Stack(config)
    stopping = False

    def _stop(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    # Ctrl-C at any moment, during the start too, stops what was started so far
    try:
        try:
            stack.start()
        except Exception as exc:
            print(f"\njifen run: {exc}", file=sys.stderr)
            return 1
        _announce(stack)
        supervisor = Supervisor(stack, log=lambda line: print(line, flush=True))
        supervisor.run(lambda: stopping)
    except KeyboardInterrupt:
        pass
    finally:
        print("\nStopping…", flush=True)
        stack.stop()
        print("Stopped.", flush=True)
    return 0


def _announce(stack: Stack) -> None:
    gw = stack.gateway_url
    print(
        f"""
Jifen is up.
  gateway         {gw}
  training_api    {gw}/training/docs   (direct: {stack.direct_url("training")})
  points_api      {gw}/points/docs     (direct: {stack.direct_url("points")})
  rewards_api     {gw}/rewards/docs    (direct: {stack.direct_url("rewards")})
  logs            {stack.log_dir}
Try:
  TOKEN=$(.venv/bin/jifen token --sub HR001 --role hr_admin)
  curl -H "Authorization: Bearer $TOKEN" {gw}/training/v1/departments
A process that crashes is restarted by itself.
Press Ctrl-C to stop everything (the data is kept for the next run).""",
        flush=True,
    )
