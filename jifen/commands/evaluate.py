"""``jifen evaluate recommendations``: the offline evaluation of the recommendations
(docs/recommendations.md#offline-evaluation): a time split of the plant's history,
hit rate@5 and NDCG@5 of Jifen's ranker against the most popular courses in the
employee's role and random courses. By default the history in the training
database (`make run`, with `make demo` loaded or the plant's own records) ranked
with HR's current weights; ``--source demo`` generates the demo plant instead
(no database needed) and ranks with the default weights."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, timedelta
from typing import Any


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.split("\n\n")[0].replace("``", "`")
    parser.epilog = ("examples:\n  jifen evaluate recommendations\n"
                     "  jifen evaluate recommendations --source demo --seed 2026 "
                     "--employees 1500\n"
                     "  jifen evaluate recommendations --cutoff 2026-09-01 --horizon 60")
    parser.add_argument("what", choices=["recommendations"], help="what to evaluate")
    parser.add_argument("--source", choices=["database", "demo"], default="database",
                        help="the training database's history (default) or a generated "
                             "demo plant")
    parser.add_argument("--cutoff", type=date.fromisoformat, metavar="DATE",
                        help="train on what happened before this day (default: --horizon "
                             "days before today)")
    parser.add_argument("--horizon", type=int, default=90,
                        help="days after the cut-off whose first completions are the "
                             "answers (default 90)")
    parser.add_argument("--timezone", default="Asia/Shanghai",
                        help="the company calendar (the services' TIMEZONE)")
    parser.add_argument("--training-url", metavar="URL",
                        help="database: training_api's database (default: "
                             "TRAINING_DATABASE_URL, else the embedded PostgreSQL of `make "
                             "run` on JIFEN_PG_PORT)")
    parser.add_argument("--seed", type=int, default=2026, help="demo: the plant's seed")
    parser.add_argument("--employees", type=int, default=1500, help="demo: head count")
    parser.add_argument("--today", type=date.fromisoformat, metavar="DATE",
                        help="demo: the plant's last day (default today)")
    parser.add_argument("--format", choices=["table", "json"],
                        help="table (the default in a terminal) or json (when piped)")


def _demo(args: argparse.Namespace) -> tuple[Any, str]:
    from services.training_api.recommendations.plant_history import history

    today = args.today or date.today()
    h = history(args.seed, today, count=args.employees)
    return h, f"示例工厂（种子 {args.seed}，{args.employees:,} 人，截至 {today}）"


async def _database(args: argparse.Namespace) -> tuple[Any, str]:
    from jifen import config
    from services.training_api.recommendations import db_history, ranker
    from services.training_api.recommendations.repository import settings_row
    from services.training_api.recommendations.schemas import RecommendationSettingsUpdate
    from shared.db import create_engine, make_sessionmaker

    url = args.training_url or config.database_url("training")
    engine = create_engine(url, pool_size=1, max_overflow=0, application_name="jifen-evaluate")
    try:
        async with make_sessionmaker(engine)() as session:
            h = await db_history.history(session, tz=args.timezone)
            row = await settings_row(session)
    finally:
        await engine.dispose()
    s = RecommendationSettingsUpdate(**(row.values if row else {}))
    h.weights = ranker.Weights(**s.weights.model_dump(), diversity=s.diversity)
    return h, f"训练数据库（{config.without_password(url)}）"


def run(args: argparse.Namespace) -> int:
    import asyncio
    from zoneinfo import ZoneInfo

    import sqlalchemy.exc

    from services.training_api.recommendations.evaluation import evaluate

    today = args.today or datetime.now(ZoneInfo(args.timezone)).date()
    cutoff = args.cutoff or today - timedelta(days=args.horizon)
    if args.horizon < 1:
        print("jifen evaluate: --horizon must be at least 1 day", file=sys.stderr)
        return 2
    try:
        h, source = _demo(args) if args.source == "demo" else asyncio.run(_database(args))
    except (OSError, sqlalchemy.exc.SQLAlchemyError) as exc:
        print(f"jifen evaluate: cannot read the training database ({exc}); is `make run` "
              "running? (or pass --training-url, or --source demo)", file=sys.stderr)
        return 1
    progress = None if not sys.stderr.isatty() else \
        (lambda share: print(f"\r{share:.0%}", end="", file=sys.stderr))
    result = evaluate(h, cutoff=cutoff, horizon_days=args.horizon, progress=progress)
    if progress:
        print("\r", end="", file=sys.stderr)
    doc = _doc(result, source, h.weights)
    fmt = args.format or ("table" if sys.stdout.isatty() else "json")
    if fmt == "json":
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        _print(doc)
    return 0 if result.employees else 1


def _doc(result: Any, source: str, weights: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return {"source": source, "cutoff": result.cutoff.isoformat(),
            "horizon_days": result.horizon_days, "employees": result.employees,
            "weights": asdict(weights),
            "hit_rate_at_5": {"ranker": result.ranker.hit_rate,
                              "popularity_in_role": result.popularity.hit_rate,
                              "random": result.random.hit_rate},
            "ndcg_at_5": {"ranker": result.ranker.ndcg,
                          "popularity_in_role": result.popularity.ndcg,
                          "random": result.random.ndcg}}


def _print(doc: dict[str, Any]) -> None:
    from jifen.tables import Rate, RatePoints, Table, print_tables

    hit, ndcg = doc["hit_rate_at_5"], doc["ndcg_at_5"]
    rows = [[label, Rate(hit[key]), f"{ndcg[key]:.3f}",
             None if key == "ranker" else RatePoints(hit["ranker"] - hit[key])]
            for key, label in (("ranker", "Jifen 排序"), ("popularity_in_role", "同岗位最热门"),
                               ("random", "随机"))]
    notes = [f"{doc['source']}；截止 {doc['cutoff']} 之前的记录用于计算，之后 "
             f"{doc['horizon_days']} 天内首次完成的课程为答案；每人推荐 5 门，三种方法都只推荐"
             "员工可学的课程；随机为 5 次抽样的平均",
             "权重：" + "，".join(f"{k} {v:g}" for k, v in doc["weights"].items())]
    if not doc["employees"]:
        notes.append("截止之后没有员工完成新课程：无从评估（换一个 --cutoff 或 --horizon）")
    print_tables([Table(f"推荐评估 · {doc['employees']:,} 名员工",
                        ["方法", "命中率@5", "NDCG@5", "Jifen 领先"], rows, notes=notes)])
