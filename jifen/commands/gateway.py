"""``jifen gateway render``: the nginx configuration of the gateway for containers,
from the same template as ``jifen run``'s (gateway/nginx.conf.template): for
Kubernetes (the gateway pod renders it at start) or docker-compose."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.replace("``", "`")
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    render = sub.add_parser("render", help="print or write the gateway's nginx configuration")
    render.add_argument("--target", choices=("kubernetes", "compose"), default="kubernetes",
                        help="where the gateway runs (default kubernetes)")
    render.add_argument("--rate-per-second", type=int, default=200,
                        help="requests per second per client (kubernetes; default 200)")
    render.add_argument("--burst", type=int, default=400,
                        help="burst above the rate (kubernetes; default 400)")
    render.add_argument("--max-body-mb", type=int, default=20,
                        help="largest request body in MB (kubernetes; default 20)")
    render.add_argument("--out", metavar="FILE", help="write here instead of standard output")


def run(args: argparse.Namespace) -> int:
    from jifen.gateway import render_compose_config, render_kubernetes_config

    try:
        text = (render_compose_config() if args.target == "compose" else
                render_kubernetes_config(rate_per_second=args.rate_per_second,
                                         burst=args.burst, max_body_mb=args.max_body_mb))
    except ValueError as exc:
        print(f"jifen gateway render: {exc}", file=sys.stderr)
        return 2
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
