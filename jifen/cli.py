"""``jifen``: the command-line tool for operators and scripts.

Run ``jifen --help`` or ``jifen COMMAND --help``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

DEFAULT_GATEWAY = os.environ.get("JIFEN_URL", "http://127.0.0.1:8080")


def _settings_for_token():
    from shared.settings import DEV_JWT_SECRET

    return (
        os.environ.get("JIFEN_JWT_SECRET", DEV_JWT_SECRET),
        os.environ.get("JIFEN_JWT_ISSUER", "jifen"),
        os.environ.get("JIFEN_JWT_AUDIENCE", "jifen"),
    )


def cmd_token(args: argparse.Namespace) -> int:
    from shared.auth import mint_token

    secret, issuer, audience = _settings_for_token()
    try:
        token = mint_token(
            secret=secret,
            sub=args.sub,
            roles=args.role,
            issuer=issuer,
            audience=audience,
            ttl_seconds=args.ttl,
            departments=args.department or (),
            name=args.name,
        )
    except ValueError as exc:
        print(f"jifen token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
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


def cmd_import_employees(args: argparse.Namespace) -> int:
    from jifen.client import import_employees

    return import_employees(
        Path(args.file),
        url=args.url,
        token=args.token or _default_token(),
        dry_run=args.dry_run,
        as_json=args.json,
    )


def cmd_openapi(args: argparse.Namespace) -> int:
    from jifen.openapi import export

    changed = export(Path(args.out), check=args.check)
    if args.check and changed:
        print("openapi/ is out of date: run `make openapi`", file=sys.stderr)
        for name in changed:
            print(f"  {name}", file=sys.stderr)
        return 1
    return 0


# commands implemented by their own module's ``main(argv)``, which parses their options
DELEGATED = {
    "reconcile": ("jifen.reconcile",
                  "check balances against entries, holds against redemptions, stock against "
                  "reservations"),
    "report": ("jifen.report", "print or save a dashboard report (JSON or CSV)"),
    "mix-targets": ("jifen.mixtargets", "read or set the target mix the points-mix report "
                                        "checks"),
    "what-if": ("jifen.whatif", "replay a rule-set version over past events; apply the "
                                "difference"),
    "demo": ("jifen.demo", "load the sample plant (1,500 employees, a year of training)"),
}


def _default_token() -> str:
    from shared.auth import mint_token

    secret, issuer, audience = _settings_for_token()
    return mint_token(
        secret=secret,
        sub="jifen-cli",
        roles=["hr_admin"],
        issuer=issuer,
        audience=audience,
        ttl_seconds=3600,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jifen",
        description="Jifen (积分): training points for manufacturing.",
        epilog="Environment: JIFEN_URL (gateway, default http://127.0.0.1:8080), "
        "JIFEN_JWT_SECRET / JIFEN_JWT_ISSUER / JIFEN_JWT_AUDIENCE (token signing; the "
        "development defaults match `make run`).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "token",
        help="print a JWT the running services accept",
        description="Mint a signed JWT for local use and scripts.",
    )
    p.add_argument("--sub", required=True, help="subject: an employee number or integration name")
    p.add_argument(
        "--role",
        action="append",
        required=True,
        help="role (repeatable): employee, manager, assessor, hr_admin, auditor, "
        "integration, service",
    )
    p.add_argument(
        "--department", action="append", help="department code a manager manages (repeatable)"
    )
    p.add_argument("--name", help="display name claim")
    p.add_argument("--ttl", type=int, default=3600 * 8, help="lifetime in seconds (default 8 h)")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser(
        "run",
        help="start PostgreSQL, the three services and the gateway",
        description="Start the whole system locally (what `make run` does). "
        "Ctrl-C stops everything it started.",
    )
    p.add_argument("--replicas", type=int, default=1, help="replicas of each service")
    p.add_argument("--gateway-port", type=int, help="gateway port (default 8080)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "import-employees",
        help="bulk import employees from a CSV/XLSX file",
        description="Upload an employee file (docs/employee-import.md) with a "
        "progress bar and print the report.",
    )
    p.add_argument("file", help="CSV or XLSX file as exported by Excel")
    p.add_argument("--dry-run", action="store_true", help="validate only, write nothing")
    p.add_argument("--url", default=DEFAULT_GATEWAY, help="gateway URL")
    p.add_argument("--token", help="bearer token (default: a development hr_admin token)")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.set_defaults(func=cmd_import_employees)

    p = sub.add_parser(
        "openapi",
        help="export the OpenAPI documents",
        description="Write openapi/training.json, points.json, rewards.json.",
    )
    p.add_argument("--out", default="openapi", help="output folder")
    p.add_argument("--check", action="store_true", help="fail if the files are out of date")
    p.set_defaults(func=cmd_openapi)

    for name, (_module, summary) in DELEGATED.items():
        sub.add_parser(name, help=summary, description=f"{summary}. See `jifen {name} --help`.")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in DELEGATED:
        import importlib

        return int(importlib.import_module(DELEGATED[argv[0]][0]).main(argv[1:]) or 0)
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
