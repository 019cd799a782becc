"""``jifen report NAME``: a dashboard report from the gateway as a table, JSON or CSV.

Every report of docs/dashboard.md has a name here (points-mix is points_api's);
options become the report's query parameters. In a terminal it prints tables
(jifen/report_views.py); piped or saved it writes the JSON exactly as served, so
scripts keep working; ``--format`` chooses. Lists (skill-gaps, plan-behind,
survey-text, feedback) are fetched page by page, so the JSON holds every item (the
CSV always does).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jifen.api import add_gateway_options
from jifen.commands import FILE

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class Report:
    path: str  # may name {plan}, {survey} or {simulation}
    summary: str
    is_list: bool = False
    refuses: tuple[str, ...] = ()  # options it has no parameter for


REPORTS: dict[str, Report] = {
    "participation": Report("/training/v1/reports/participation", "training participation rate"),
    "skill-attainment": Report("/training/v1/reports/skill-attainment",
                               "skill attainment rate, per skill"),
    "skill-gaps": Report("/training/v1/reports/skill-gaps", "who lacks which required skill",
                         is_list=True),
    "time-to-competency": Report("/training/v1/reports/time-to-competency",
                                 "days for new hires to hold their role's skills"),
    "effectiveness": Report("/training/v1/reports/effectiveness",
                            "skill attainment of the top 20% by points vs the bottom 20%"),
    "training-plans": Report("/training/v1/reports/training-plans", "plan completion rate"),
    "plan-behind": Report("/training/v1/training-plans/{plan}/behind",
                          "who is behind on a plan (--plan)", is_list=True),
    "pilot-comparison": Report("/training/v1/reports/pilot-comparison",
                               "pilot departments against the rest"),
    "production-kpis": Report("/training/v1/reports/production-kpis",
                              "defect rate and efficiency beside training, before/after pilot"),
    "satisfaction": Report("/training/v1/reports/satisfaction", "satisfaction share per period"),
    "survey-results": Report("/training/v1/surveys/{survey}/results",
                             "results of a survey per question and department (--survey)"),
    "survey-text": Report("/training/v1/surveys/{survey}/text-answers",
                          "free-text answers of a survey (--survey)", is_list=True),
    "feedback": Report("/training/v1/feedback", "feedback from employees", is_list=True),
    "points-mix": Report("/points/v1/reports/points-mix",
                         "points by category and rule against the target mix, with alerts",
                         refuses=("from_", "to", "group_by")),
    "what-if": Report("/points/v1/simulations/{simulation}/employees",
                      "a rule what-if per employee, actual vs simulated (--simulation; "
                      "`jifen what-if` starts one)", is_list=True,
                      refuses=("period", "from_", "to", "department", "family", "front_line",
                               "group_by")),
}

# option name -> query parameter
OPTIONS = {"period": "period", "from_": "from", "to": "to", "department": "department",
           "family": "family", "front_line": "front_line", "group_by": "group_by",
           "skill": "skill", "fraction": "fraction", "granularity": "granularity",
           "question_code": "question_code", "pilot_start": "pilot_start",
           "status": "status", "topic": "topic", "tag": "tag"}


def configure(p: argparse.ArgumentParser) -> None:
    names = "\n".join(f"  {name:<20} {r.summary}" for name, r in REPORTS.items())
    p.description = "Fetch a dashboard report through the gateway (docs/dashboard.md)."
    p.epilog = (f"reports:\n{names}\n\nexamples:\n"
                "  jifen report participation --period M2026-03 --department AP "
                "--group-by department\n"
                "  jifen report skill-gaps --department AP-MACH1 --format csv --out gaps.csv\n"
                "  jifen report points-mix --period Q2026-4 --department AP-PROD")
    p.add_argument("name", choices=sorted(REPORTS), metavar="NAME", help="the report")
    p.add_argument("--period", help="M2026-03, Q2026-1, Y2026 or ALL")
    p.add_argument("--from", dest="from_", metavar="DATE",
                   help="first day (YYYY-MM-DD) instead of --period")
    p.add_argument("--to", metavar="DATE", help="last day, included")
    p.add_argument("--department", help="department code (sub-departments included)")
    p.add_argument("--family", help="role family: production, technical, quality, ...")
    p.add_argument("--front-line", choices=["true", "false"], help="front-line employees only "
                                                                 "(true) or the others")
    p.add_argument("--group-by", choices=["department", "family", "front_line", "job_role",
                                          "pilot"], help="one row per group")
    p.add_argument("--skill", help="skill-gaps: only this skill")
    p.add_argument("--plan", help="plan-behind: the plan's code")
    p.add_argument("--survey", help="survey-results, survey-text: the survey's code")
    p.add_argument("--simulation", help="what-if: the simulation's id")
    p.add_argument("--fraction", help="effectiveness: size of the top and bottom sets (0.2)")
    p.add_argument("--granularity", choices=["month", "quarter"], help="satisfaction")
    p.add_argument("--question-code", help="satisfaction: one question, e.g. fairness")
    p.add_argument("--pilot-start", metavar="DATE", help="production-kpis: split on this day")
    p.add_argument("--status", help="feedback: open or closed")
    p.add_argument("--topic", help="feedback: rules, courses, rewards or other")
    p.add_argument("--tag", help="feedback: with this tag")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="any other query parameter (repeatable)")
    p.add_argument("--format", choices=["table", "json", "csv"],
                   help="table (the default in a terminal), json (the default when piped or "
                        "saved) or csv (UTF-8 with BOM, opens in Excel)")
    p.add_argument("--out", help="write to this file instead of standard output"
                   ).complete = FILE
    add_gateway_options(p)


def _params(args: argparse.Namespace) -> dict[str, str]:
    refused = [f"--{name.strip('_').replace('_', '-')}" for name in REPORTS[args.name].refuses
               if getattr(args, name, None) is not None]
    if refused:
        raise ValueError(f"{args.name} does not take {', '.join(refused)}")
    params = {query: str(getattr(args, attr)) for attr, query in OPTIONS.items()
              if getattr(args, attr, None) is not None}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--param {item!r}: use KEY=VALUE")
        params[key] = value
    return params


def _path(report: Report, args: argparse.Namespace) -> str:
    for name in ("plan", "survey", "simulation"):
        if "{" + name + "}" in report.path:
            value = getattr(args, name)
            if not value:
                raise ValueError(f"{args.name} needs --{name}")
            return report.path.replace("{" + name + "}", value)
    return report.path


def fetch(client: httpx.Client, path: str, params: dict[str, str], *, fmt: str,
          is_list: bool) -> bytes:
    """The report's bytes: the CSV as served, or JSON (every page of a list)."""
    from jifen.api import get_all, request

    if fmt == "csv":
        return request(client, "GET", path, params={**params, "format": "csv"}).content
    if not is_list:
        return _dump(request(client, "GET", path, params=params).json())
    return _dump({"items": get_all(client, path, params)})


def _dump(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def run(args: argparse.Namespace) -> int:
    from jifen import api

    report = REPORTS[args.name]
    try:
        path, params = _path(report, args), _params(args)
    except ValueError as exc:
        print(f"jifen report: {exc}", file=sys.stderr)
        return 2
    fmt = args.format or ("table" if not args.out and sys.stdout.isatty() else "json")
    with api.client(args) as client:
        try:
            content = fetch(client, path, params, fmt="json" if fmt == "table" else fmt,
                            is_list=report.is_list)
        except api.ApiError as exc:
            print(f"jifen report {args.name}: {exc}", file=sys.stderr)
            return 1
    if fmt == "table":
        show(args.name, json.loads(content), args.out)
    else:
        write(content, args.out)
    return 0


def show(name: str, doc: Any, out: str | None) -> None:
    """The report as tables, on standard output or as text in the file ``out``."""
    from jifen.report_views import tables
    from jifen.tables import print_tables

    if not out:
        print_tables(tables(name, doc))
        return
    with open(out, "w", encoding="utf-8") as fh:
        print_tables(tables(name, doc), fh)
    print(f"wrote {out}", file=sys.stderr)


def write(content: bytes, out: str | None) -> None:
    """To the file ``out`` (saying so on standard error), else to standard output."""
    if out:
        Path(out).write_bytes(content)
        print(f"wrote {out} ({len(content):,} bytes)", file=sys.stderr)
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
