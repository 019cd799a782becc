"""``jifen mix-targets``: read and set the target mix the points-mix report checks.

    jifen mix-targets show [--json]
    jifen mix-targets set targets.json [--note "试点后提高成果积分占比"]
    jifen mix-targets history [--json]

The file of ``set`` is the body of ``PUT /points/v1/points-mix/targets`` ('-' reads
standard input):

    {"categories": {"participation": {"target_percent": 40, "tolerance_percent": 5},
                    "outcome": {"target_percent": 50, "tolerance_percent": 5},
                    "growth": {"target_percent": 10, "tolerance_percent": 5}},
     "sources": [{"label": "实操任务", "rule_ids": ["practical.passed"], "min_percent": 20}]}
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jifen.api import ApiError, add_gateway_options, get_all, request
from jifen.commands import completes_files

if TYPE_CHECKING:
    import httpx

PATH = "/points/v1/points-mix/targets"
CATEGORY_LABELS = {"participation": "参与度积分", "outcome": "成果积分", "growth": "成长积分"}


def configure(p: argparse.ArgumentParser) -> None:
    p.description = ("Read or set the target mix of points (category shares and named "
                     "sources) that `jifen report points-mix` checks.")
    p.epilog = __doc__.split("\n\n", 1)[1]
    common = argparse.ArgumentParser(add_help=False)
    add_gateway_options(common)
    common.add_argument("--json", action="store_true", help="print JSON")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("show", parents=[common], help="the targets in force")
    s = sub.add_parser("set", parents=[common], help="set new targets from a JSON file")
    completes_files(s.add_argument("file", help="JSON body of the targets; - for standard input"
                   ))
    s.add_argument("--note", help="why they change (kept with the version)")
    sub.add_parser("history", parents=[common], help="every version, newest first")


def describe(targets: dict[str, Any]) -> str:
    """The targets as an HR user reads them."""
    if targets["is_default"]:
        head = "目标积分结构: 默认值 (HR 尚未设置)"
    else:
        head = (f"目标积分结构 v{targets['version']}: {targets['updated_by']} "
                f"{targets['updated_at']}" + (f" ({targets['note']})" if targets["note"] else ""))
    lines = [head]
    for category, label in CATEGORY_LABELS.items():
        c = targets["categories"][category]
        lines.append(f"  {label}  {c['target_percent']}% ± {c['tolerance_percent']}")
    for s in targets["sources"]:
        bounds = " ".join(part for part in (
            f">= {s['min_percent']}%" if s["min_percent"] is not None else "",
            f"<= {s['max_percent']}%" if s["max_percent"] is not None else "") if part)
        lines.append(f"  {s['label']}  {bounds}  ({', '.join(s['rule_ids'])})")
    return "\n".join(lines)


def _body(args: argparse.Namespace) -> dict[str, Any]:
    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8-sig")
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{args.file}: not JSON ({exc})") from exc
    if not isinstance(body, dict):
        raise ValueError(f"{args.file}: expected a JSON object")
    if args.note is not None:
        body["note"] = args.note
    return body


def _act(client: httpx.Client, args: argparse.Namespace) -> Any:
    if args.action == "show":
        return request(client, "GET", PATH).json()
    if args.action == "set":
        return request(client, "PUT", PATH, json=_body(args)).json()
    return get_all(client, f"{PATH}/history")


def run(args: argparse.Namespace) -> int:
    from jifen import api

    with api.client(args, timeout=60) as client:
        try:
            result = _act(client, args)
        except (ApiError, ValueError, OSError) as exc:
            print(f"jifen mix-targets {args.action}: {exc}", file=sys.stderr)
            return 2 if isinstance(exc, ValueError | OSError) else 1
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    elif args.action == "history":
        print("\n\n".join(describe(t) for t in result) or "目标积分结构: 尚无设置记录 (默认值生效)")
    else:
        print(describe(result))
    return 0
