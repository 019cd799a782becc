"""``jifen service-token CALLER CALLEE``: a token signed as service CALLER for
service CALLEE, to call one of CALLEE's internal routes by hand at its own address.
The key is CALLER_SERVICE_KEY from the environment (e.g. TRAINING_SERVICE_KEY), else
the development key."""

from __future__ import annotations

import argparse
import os

SERVICES = ("training", "points", "rewards")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.split("\n\n")[0].replace("``", "`")
    parser.add_argument("caller", choices=SERVICES, help="the calling service")
    parser.add_argument("callee", choices=SERVICES, help="the service called")
    parser.add_argument("--ttl", type=int, default=120,
                        help="lifetime in seconds (services refuse more than 600)")


def run(args: argparse.Namespace) -> int:
    from shared.service_auth import DEV_SERVICE_KEYS, mint_service_token

    key = os.environ.get(f"{args.caller.upper()}_SERVICE_KEY") or DEV_SERVICE_KEYS[args.caller]
    print(mint_service_token(key=key, caller=args.caller, audience=args.callee,
                             ttl_seconds=args.ttl))
    return 0
