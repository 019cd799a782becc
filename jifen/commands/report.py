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
import os
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jifen.api import add_gateway_options
from jifen.commands import completes_files

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
    "attrition-risk": Report("/training/v1/reports/attrition-risk",
                             "employees ranked by attrition risk, with reasons and the model "
                             "card (a page: --param limit=500, --param level=high)",
                             refuses=("period", "from_", "to", "family", "front_line",
                                      "group_by")),
    "training-demand": Report("/training/v1/reports/training-demand",
                              "completions per month forecast, with the backtest error "
                              "beside the naive forecast's (--param by=skill, horizon=6)",
                              refuses=("period", "from_", "to", "family", "front_line",
                                       "group_by")),
    "recommendation-uptake": Report("/training/v1/reports/recommendation-uptake",
                                    "recommendations shown and taken, by group and reason; "
                                    "participation of those who took one"),
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
                "  jifen report points-mix --period Q2026-4 --department AP-PROD\n"
                "  jifen report participation --department AP-PROD --group-by pilot "
                "--chart trend.png\n"
                "  jifen report production-kpis --department AP-MACH1 --chart kpis.svg")
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
    completes_files(p.add_argument("--out", help="write to this file instead of standard output"
                   ))
    p.add_argument("--by-month", action="store_true",
                   help="participation, skill-attainment, pilot-comparison, points-mix: the "
                        "report for each month of --period (or --from/--to; default the last "
                        "12 months), the whole period as the total")
    completes_files(p.add_argument("--chart", metavar="FILE.png|FILE.svg",
                   help="also draw the report's time axis (production-kpis, satisfaction, and "
                        "the --by-month reports, which it implies); needs jifen[charts]"
                   ))
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

    try:
        path, params = _path(REPORTS[args.name], args), _params(args)
        months = _months(args)
    except ValueError as exc:
        print(f"jifen report: {exc}", file=sys.stderr)
        return 2
    fmt = args.format or ("table" if not args.out and sys.stdout.isatty() else "json")
    with api.client(args) as client:
        try:
            if months:
                return _by_month(client, args, path, params, months, fmt)
            content = fetch(client, path, params, fmt="json" if fmt == "table" else fmt,
                            is_list=REPORTS[args.name].is_list)
            doc: Any = json.loads(content) if fmt != "csv" else None  # a JSON document
            if doc is None and args.chart:  # a chart of a CSV download needs the JSON too
                doc = json.loads(fetch(client, path, params, fmt="json", is_list=False))
        except api.ApiError as exc:
            print(f"jifen report {args.name}: {exc}", file=sys.stderr)
            return 1
    if fmt == "table":
        show(args.name, doc, args.out)
    else:
        write(content, args.out)
    return _chart(args, lambda: _own_chart(args.name, doc))


def _months(args: argparse.Namespace) -> list[Any]:
    """The months of a --by-month report (none without it); checks --chart first."""
    from jifen import report_trends

    if args.chart:
        from jifen.charts import check_path

        check_path(args.chart)
        if args.name not in report_trends.CHARTED:
            raise ValueError(f"{args.name} has no time axis to chart; charts: "
                             f"{', '.join(report_trends.CHARTED)}")
    if not (args.by_month or (args.chart and args.name in report_trends.MONTHLY)):
        return []
    if args.name not in report_trends.MONTHLY:
        raise ValueError(f"--by-month: only {', '.join(report_trends.MONTHLY)}")
    first, last = (date.fromisoformat(v) if v else None for v in (args.from_, args.to))
    return report_trends.period_months(args.period, first, last, _today())


def _today() -> date:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(os.environ.get("JIFEN_TIMEZONE") or "Asia/Shanghai")).date()


def _by_month(client: httpx.Client, args: argparse.Namespace, path: str,
              params: dict[str, str], months: list[Any], fmt: str) -> int:
    from jifen import report_trends
    from jifen.api import request

    base = {k: v for k, v in params.items() if k not in ("period", "from", "to")}
    keyed = [{**base, "period": report_trends.month_key(m)} for m in months]
    whole = None if args.name == "points-mix" else {
        **base, "from": months[0].isoformat(), "to": _month_end(months[-1]).isoformat()}
    if fmt == "csv":
        parts = [request(client, "GET", path, params={**q, "format": "csv"}).content
                 for q in [*keyed, *([whole] if whole else [])]]
        write(_join_csv(parts), args.out)
    docs = [request(client, "GET", path, params=q).json() for q in keyed]
    total = request(client, "GET", path, params=whole).json() if whole else None
    if fmt == "json":
        write(_dump({"months": docs, "total": total}), args.out)
    elif fmt == "table":
        _print(report_trends.monthly_table(args.name, months, docs, total), out=args.out)
    return _chart(args, lambda: report_trends.monthly_chart(args.name, months, docs))


def _month_end(first: date) -> date:
    from jifen.report_trends import months_between

    following = months_between(first, date(first.year + 1, first.month, 1))[1]
    return date.fromordinal(following.toordinal() - 1)


def _join_csv(parts: list[bytes]) -> bytes:
    """CSV files of the same report as one: the first header (and BOM) only."""
    lines = parts[0].rstrip(b"\r\n")
    for part in parts[1:]:
        body = part.split(b"\r\n", 1)[1] if b"\r\n" in part else b""
        lines += b"\r\n" + body.rstrip(b"\r\n") if body.strip() else b""
    return lines + b"\r\n"


def _own_chart(name: str, doc: dict[str, Any]) -> Any:
    from jifen import report_trends

    if name == "production-kpis":
        return report_trends.kpi_chart(doc)
    return report_trends.satisfaction_chart(doc)


def _chart(args: argparse.Namespace, build: Any) -> int:
    """Draw the chart asked for with --chart; 1 when matplotlib is missing."""
    if not args.chart:
        return 0
    from jifen.charts import ChartsMissing, save

    try:
        save(build(), args.chart)
    except ChartsMissing as exc:
        print(f"jifen report: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.chart}", file=sys.stderr)
    return 0


def show(name: str, doc: Any, out: str | None) -> None:
    """The report as tables, on standard output or as text in the file ``out``."""
    from jifen.report_views import tables

    _print(*tables(name, doc), out=out)


def _print(*tables: Any, out: str | None) -> None:
    from jifen.tables import print_tables

    if not out:
        print_tables(list(tables))
        return
    with open(out, "w", encoding="utf-8") as fh:
        print_tables(list(tables), fh)
    print(f"wrote {out}", file=sys.stderr)


def write(content: bytes, out: str | None) -> None:
    """To the file ``out`` (saying so on standard error), else to standard output."""
    if out:
        Path(out).write_bytes(content)
        print(f"wrote {out} ({len(content):,} bytes)", file=sys.stderr)
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
