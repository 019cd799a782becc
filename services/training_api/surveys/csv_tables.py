"""CSV tables of survey results and the satisfaction report."""

from __future__ import annotations

from typing import Any

from services.training_api.surveys import schemas
from shared.export import CsvTable, file_name

KINDS = {"single_choice": "单选", "scale": "评分(1-5)", "text": "填空"}


def results(r: schemas.SurveyResults) -> CsvTable:
    header = ["题号", "题目", "题型", "部门编码", "部门", "选项/分值", "选项名称", "人数",
              "占比", "平均分", "满意率(4-5分)"]
    rows: list[list[Any]] = []
    for q in r.questions:
        head = [q.position, q.text, KINDS[q.kind]]
        if q.options is not None:
            rows += [head + ["", "全部", o.value, o.label, o.count, o.share, "", ""]
                     for o in q.options]
        elif q.scale is not None:
            rows += [head + ["", "全部", v, "", n, round(n / q.answers, 4) if q.answers else None,
                             "", ""] for v, n in q.scale.distribution.items()]
            rows.append(head + ["", "全部", "", "", q.answers, "", q.scale.mean,
                                q.scale.satisfaction_share])
        else:
            rows.append(head + ["", "全部", "", "", q.answers, "", "", ""])
        for d in q.by_department:
            if d.option_counts is not None:
                rows += [head + [d.department_code, d.department_name, value, "", n,
                                 round(n / d.answers, 4) if d.answers else None, "", ""]
                         for value, n in d.option_counts.items()]
            else:
                rows.append(head + [d.department_code, d.department_name, "", "", d.answers,
                                    "", "", d.satisfaction_share])
    return CsvTable(file_name("survey", r.survey_code, r.period.key,
                              r.scope.department_code), header, rows)


def satisfaction(r: schemas.SatisfactionReport) -> CsvTable:
    header = ["期间", "题目编码", "回答数", "满意数(4-5分)", "满意率"]
    rows = [[row.period if row.period != "all" else "合计", row.question_code or "全部",
             row.answers, row.satisfied, row.satisfaction_share] for row in r.rows]
    return CsvTable(file_name("satisfaction", r.period.key, r.scope.department_code),
                    header, rows)


def text_answers(code: str, items: list[schemas.TextAnswer]) -> CsvTable:
    header = ["题号", "部门编码", "部门", "回答日期", "内容"]
    return CsvTable(file_name("survey-text", code), header, [
        [a.question, a.department_code, a.department_name, a.answered_at, a.text]
        for a in items])
