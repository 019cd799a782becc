"""``jifen what-if``: try a rule-set version on past events, read the comparison,
apply the difference.

    jifen what-if simulate 3 --period M2026-10 [--department AP]   # progress, then summary
    jifen what-if show SIMULATION_ID
    jifen what-if employees SIMULATION_ID --order gain [--format csv --out diff.csv]
    jifen what-if apply SIMULATION_ID --reason "实操考核调整为 40 分，补发 10 月差额"
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from jifen.api import ApiError, add_gateway_options, request
from jifen.commands import completes_files

if TYPE_CHECKING:
    import httpx

CATEGORY_WORDS = {"participation": "参与分", "outcome": "成果分", "growth": "成长分"}


def configure(p: argparse.ArgumentParser) -> None:
    p.description = ("Replay a rule-set version (a draft or a published one) over a window of "
                     "past training events and compare with what was actually earned; then, "
                     "after review, apply the difference once as adjustment entries.")
    p.epilog = __doc__.split("\n\n", 1)[1]
    common = argparse.ArgumentParser(add_help=False)
    add_gateway_options(common)
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    s = sub.add_parser("simulate", parents=[common],
                       help="start a simulation and wait for its summary")
    s.add_argument("version", type=int, help="rule-set version to try")
    s.add_argument("--period", help="M2026-10, Q2026-3 or Y2026")
    s.add_argument("--from", dest="from_", metavar="DATE", help="first day instead of --period")
    s.add_argument("--to", metavar="DATE", help="last day, included")
    s.add_argument("--department", help="only this department and its sub-departments")
    s.add_argument("--json", action="store_true", help="print the simulation as JSON")

    s = sub.add_parser("show", parents=[common], help="print a simulation's status and summary")
    s.add_argument("simulation_id")
    s.add_argument("--json", action="store_true", help="print the simulation as JSON")

    s = sub.add_parser("employees", parents=[common],
                       help="per employee: actual against simulated points")
    s.add_argument("simulation_id")
    s.add_argument("--order", choices=["employee_no", "gain", "loss"], default="employee_no")
    s.add_argument("--changed-only", action="store_true", help="only employees who change")
    s.add_argument("--milestone-changes", action="store_true",
                   help="only employees who would newly meet or miss a points bar")
    s.add_argument("--format", choices=["json", "csv"], default="json",
                   help="json (default) or csv (UTF-8 with BOM, opens in Excel)")
    completes_files(s.add_argument("--out", help="write to this file instead of standard output"
                   ))

    s = sub.add_parser("apply", parents=[common], help="pay the simulated difference (once)")
    s.add_argument("simulation_id")
    s.add_argument("--reason", required=True, help="kept on every adjustment entry")
    s.add_argument("--json", action="store_true", help="print the simulation as JSON")


def simulate(client: httpx.Client, args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {key: value for key, value in (
        ("period", args.period), ("from", args.from_), ("to", args.to),
        ("department", args.department)) if value is not None}
    started = request(client, "POST", f"/points/v1/rule-sets/{args.version}/simulations",
                      json=body).json()
    return wait(client, started["id"])


def wait(client: httpx.Client, simulation_id: str, *, poll: float = 0.5) -> dict[str, Any]:
    """Poll until the simulation ends, showing the events replayed."""
    from jifen.progress import progress

    path = f"/points/v1/simulations/{simulation_id}"
    with progress("replaying events", unit="ev") as bar:
        while True:
            sim = request(client, "GET", path).json()
            bar.set(sim["progress"]["events_done"], sim["progress"]["events_total"])
            if sim["status"] != "running":
                ended: dict[str, Any] = sim
                return ended
            time.sleep(poll)


def describe(sim: dict[str, Any]) -> str:
    window = sim["window"]
    lines = [f"simulation {sim['id']}: rule set {sim['rule_set_version']}, "
             f"{window['from']} – {window['to']}"
             + (f", department {sim['department']}" if sim["department"] else ""),
             f"status: {sim['status']}"]
    if sim["error"]:
        lines.append(f"error: {sim['error']}")
    summary = sim["summary"]
    if summary:
        actual, simulated = summary["actual"], summary["simulated"]
        lines += [f"events replayed: {summary['events']:,}; employees: {summary['employees']:,}"
                  f" ({summary['employees_changed']:,} would change)",
                  f"points: actual {actual['total']:,} → simulated {simulated['total']:,} "
                  f"({summary['difference']:+,})", "by category (share of the total):"]
        for category, word in CATEGORY_WORDS.items():
            lines.append(f"  {word} {actual['by_category'].get(category, 0):>10,} "
                         f"{_share(actual['shares'].get(category))} → "
                         f"{simulated['by_category'].get(category, 0):>10,} "
                         f"{_share(simulated['shares'].get(category))}")
        changed = [r for r in summary["rules"] if r["difference"]]
        if changed:
            lines.append("rules that pay differently:")
            lines += [f"  {r['rule_id']} {r['rule_name'] or ''}: {r['actual_points']:,} → "
                      f"{r['simulated_points']:,} ({r['difference']:+,})" for r in changed]
        moved = [m for m in summary["milestones"] if m["gained"] or m["lost"]]
        if moved:
            lines.append("points bars of positions and certifications:")
            lines += [f"  {m['kind']} {m['code']} {m['name']} (≥ {m['min_points']:,}): "
                      f"{m['gained']} would newly meet it, {m['lost']} would no longer"
                      for m in moved]
        notes = summary["notes"]
        if notes["confirmer_points_clamped"]:
            lines.append(f"note: {notes['confirmer_points_clamped']} confirmed points lay "
                         "outside this version's range and were taken at its nearest end")
        if notes["streak_rules_without_qualifications"]:
            lines.append("note: nobody qualifies for the streak rules "
                         + ", ".join(notes["streak_rules_without_qualifications"]))
    if sim["application"]:
        a = sim["application"]
        lines.append(f"applied {a['applied_at']} by {a['applied_by']}: {a['entries']} entries,"
                     f" {a['points']:+,} points ({a['reason']})")
    elif sim["status"] == "done":
        lines.append(f"to pay the difference: jifen what-if apply {sim['id']} --reason \"...\"")
    return "\n".join(lines)


def _share(value: float | None) -> str:
    return "   -  " if value is None else f"{value * 100:5.1f}%"


def run(args: argparse.Namespace) -> int:
    from jifen import api
    from jifen.commands.report import fetch, write

    with api.client(args, timeout=600) as client:
        try:
            if args.action == "employees":
                write(fetch(client, f"/points/v1/simulations/{args.simulation_id}/employees",
                            _employee_params(args), fmt=args.format, is_list=True), args.out)
                return 0
            if args.action == "simulate":
                sim = simulate(client, args)
            elif args.action == "show":
                sim = request(client, "GET", f"/points/v1/simulations/{args.simulation_id}").json()
            else:
                sim = request(client, "POST", f"/points/v1/simulations/{args.simulation_id}/apply",
                              json={"reason": args.reason}).json()
        except ApiError as exc:
            print(f"jifen what-if {args.action}: {exc}", file=sys.stderr)
            return 1
    print(json.dumps(sim, ensure_ascii=False, indent=2) if args.json else describe(sim))
    return 0 if sim["status"] != "failed" else 1


def _employee_params(args: argparse.Namespace) -> dict[str, str]:
    params = {"order": args.order}
    if args.changed_only:
        params["changed_only"] = "true"
    if args.milestone_changes:
        params["milestone_changes"] = "true"
    return params
