"""``jifen token``: mint a signed JWT for local use and scripts, signed with
JIFEN_JWT_SECRET / JIFEN_JWT_ISSUER / JIFEN_JWT_AUDIENCE (the development defaults
match `make run`)."""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.split("\n\n")[0].replace("``", "`")
    parser.add_argument("--sub", required=True,
                        help="subject: an employee number or integration name")
    parser.add_argument("--role", action="append", required=True,
                        help="role (repeatable): employee, manager, assessor, hr_admin, "
                             "auditor, integration (services sign their calls with keys of "
                             "their own: see service-token)")
    parser.add_argument("--department", action="append",
                        help="department code a manager manages (repeatable)")
    parser.add_argument("--name", help="display name claim")
    parser.add_argument("--ttl", type=int, default=3600 * 8,
                        help="lifetime in seconds (default 8 h)")


def run(args: argparse.Namespace) -> int:
    from jifen.config import token_settings
    from shared.tokens import mint_token

    secret, issuer, audience = token_settings()
    try:
        token = mint_token(secret=secret, sub=args.sub, roles=args.role, issuer=issuer,
                           audience=audience, ttl_seconds=args.ttl,
                           departments=args.department or (), name=args.name)
    except ValueError as exc:
        print(f"jifen token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0
