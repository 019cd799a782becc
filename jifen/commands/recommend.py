"""``jifen recommend EMPLOYEE_NO``: an employee's recommended courses (推荐课程) from the
gateway, best first, with their reasons: a table in a terminal, JSON when piped, or
CSV. Read as HR (the default token), so it does not count as shown to the employee."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from jifen.api import add_gateway_options

FORMATS = {"online": "线上", "offline": "线下", "practical": "实操", "live": "直播"}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.split("\n\n")[0].replace("``", "`")
    parser.epilog = "example:\n  jifen recommend E10001 --limit 10"
    parser.add_argument("employee_no", metavar="EMPLOYEE_NO")
    parser.add_argument("--limit", type=int, default=5, help="how many courses (1-50, 5)")
    parser.add_argument("--format", choices=["table", "json", "csv"],
                        help="table (the default in a terminal), json (the default when "
                             "piped) or csv (UTF-8 with BOM, opens in Excel)")
    add_gateway_options(parser)


HEADER = ["排名", "课程代码", "课程", "形式", "得分", "推荐理由"]


def rows(doc: dict[str, Any]) -> list[list[Any]]:
    return [[i["rank"], i["course_code"], i["title"], FORMATS.get(i["format"], i["format"]),
             f"{i['score']:.2f}", "；".join(r["text"] for r in i["reasons"]) or "–"]
            for i in doc["items"]]


def csv_text(doc: dict[str, Any]) -> str:
    """The list as CSV (header, one row per course), with a BOM for Excel."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows(doc))
    return "\ufeff" + out.getvalue()


def table(doc: dict[str, Any]) -> Any:
    from jifen.tables import Table

    built = doc.get("model_built_at")
    return Table(
        f"推荐课程 · {doc['employee_no']}（岗位 {doc['job_role_code']}）", HEADER, rows(doc),
        notes=[f"同事数据更新于 {built[:16].replace('T', ' ')} UTC" if built
               else "同事数据尚未生成（首次构建完成前只按个人和岗位信息排序）"])


def run(args: argparse.Namespace) -> int:
    from urllib.parse import quote

    from jifen import api
    from jifen.tables import print_tables

    fmt = args.format or ("table" if sys.stdout.isatty() else "json")
    with api.client(args) as client:
        try:
            doc = api.request(client, "GET",
                              f"/training/v1/employees/{quote(args.employee_no, safe='')}"
                              "/recommendations", params={"limit": args.limit}).json()
        except api.ApiError as exc:
            print(f"jifen recommend: {exc}", file=sys.stderr)
            return 1
    if fmt == "json":
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        sys.stdout.write(csv_text(doc))
    elif doc["items"]:
        print_tables([table(doc)])
    else:
        print(f"{args.employee_no}: 没有可推荐的课程（都已完成、不开放或已标记不感兴趣）")
    return 0
