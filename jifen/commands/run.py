"""``jifen run``: start the whole system locally (what `make run` does): PostgreSQL,
the three services and the gateway. Ctrl-C stops everything it started."""

from __future__ import annotations

import argparse
import signal
import sys
import time


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.split("\n\n")[0].replace("``", "`")
    parser.add_argument("--replicas", type=int, default=1, help="replicas of each service")
    parser.add_argument("--gateway-port", type=int,
                        help="gateway port (default JIFEN_GATEWAY_PORT, else 8080)")


def run(args: argparse.Namespace) -> int:
    from jifen.stack import Stack, StackConfig

    config = StackConfig.from_env()
    config.replicas = args.replicas
    if args.gateway_port:
        config.gateway_port = args.gateway_port
    stack = Stack(config)
    stopping = False

    def _stop(signum, frame):  # noqa: ARG001
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        stack.start()
    except Exception as exc:
        print(f"\njifen run: {exc}", file=sys.stderr)
        stack.stop()
        return 1
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
Press Ctrl-C to stop everything (the data is kept for the next run).""",
        flush=True,
    )
    try:
        while not stopping:
            time.sleep(0.5)
            stack._check_alive()
    except KeyboardInterrupt:
        pass
    except RuntimeError as exc:
        print(f"jifen run: {exc}", file=sys.stderr)
    finally:
        print("\nStopping…", flush=True)
        stack.stop()
        print("Stopped.")
    return 0
