"""`jifen report points-mix` and `jifen mix-targets` as an operator uses them."""

from __future__ import annotations

import json

from jifen.cli import main as jifen
from tests.points_api.mix.plant import MONTH

TARGETS = {
    "categories": {"participation": {"target_percent": 40, "tolerance_percent": 5},
                   "outcome": {"target_percent": 50, "tolerance_percent": 5},
                   "growth": {"target_percent": 10, "tolerance_percent": 5}},
    "sources": [{"label": "实操任务", "rule_ids": ["practical.passed"], "min_percent": 20},
                {"label": "技能应用", "rule_ids": ["skill_application.confirmed"],
                 "max_percent": 30}]}


async def test_report_points_mix_prints_json_and_saves_csv(stack, plant, capsys, tmp_path):
    (tmp_path / "t.json").write_text(json.dumps(TARGETS, ensure_ascii=False), encoding="utf-8")
    assert jifen(["mix-targets", "set", str(tmp_path / "t.json"), "--url", stack.gateway_url]) == 0
    capsys.readouterr()

    code = jifen(["report", "points-mix", "--period", MONTH, "--department", plant.plant,
                        "--url", stack.gateway_url])
    body = json.loads(capsys.readouterr().out)
    saved = tmp_path / "mix.csv"
    csv_code = jifen(["report", "points-mix", "--period", MONTH, "--department", plant.dept,
                            "--format", "csv", "--out", str(saved), "--url", stack.gateway_url])

    assert code == csv_code == 0
    assert body["total_points"] == 218
    assert [a["subject"] for a in body["alerts"] if a["kind"] == "source"] == [
        "实操任务", "技能应用"]
    content = saved.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    assert "实操任务 占 15.5%，低于目标下限 20%" in content.decode("utf-8-sig")


def test_report_points_mix_refuses_options_it_has_no_parameter_for(capsys):
    code = jifen(["report", "points-mix", "--from", "2021-05-01", "--group-by", "family",
                        "--url", "http://127.0.0.1:9"])

    assert code == 2
    assert "points-mix does not take --from, --group-by" in capsys.readouterr().err


async def test_mix_targets_set_show_and_history(stack, capsys, tmp_path):
    path = tmp_path / "targets.json"
    path.write_text(json.dumps(TARGETS, ensure_ascii=False), encoding="utf-8")
    url = ["--url", stack.gateway_url]

    assert jifen(["mix-targets", "set", str(path), "--note", "命令行设置", *url]) == 0
    shown = capsys.readouterr().out
    assert jifen(["mix-targets", "show", *url]) == 0
    again = capsys.readouterr().out
    assert jifen(["mix-targets", "history", "--json", *url]) == 0
    history = json.loads(capsys.readouterr().out)

    assert shown == again
    assert "(命令行设置)" in shown and "JIFEN-CLI" in shown
    assert "  成果积分  50% ± 5" in shown
    assert "  技能应用  <= 30%  (skill_application.confirmed)" in shown
    assert history[0]["note"] == "命令行设置"
    assert [v["version"] for v in history] == sorted((v["version"] for v in history),
                                                     reverse=True)


async def test_mix_targets_set_reports_what_is_wrong(stack, capsys, tmp_path):
    wrong = json.loads(json.dumps(TARGETS))
    wrong["categories"]["growth"]["target_percent"] = 5
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(wrong), encoding="utf-8")

    code = jifen(["mix-targets", "set", str(path), "--url", stack.gateway_url])
    err = capsys.readouterr().err
    not_json = tmp_path / "bad.json"
    not_json.write_text("{", encoding="utf-8")

    assert code == 1
    assert "409" in err and "#/categories: the category targets add up to 95" in err
    assert jifen(["mix-targets", "set", str(not_json), "--url", stack.gateway_url]) == 2
    assert "not JSON" in capsys.readouterr().err
