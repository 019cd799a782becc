"""Surveys: defined by HR, answered once by employees, results per question and
department, the satisfaction trend, and training preferences."""

import csv
import io

import pytest

from tests.conftest import auth
from tests.factories import uid
from tests.training_api.records import assert_problem
from tests.training_api.reports.small_plant import Plant, months_back, small_plant

QUESTIONS = [
    {"code": "fairness", "kind": "scale", "text": "您认为积分规则公平吗？"},
    {"code": "continue", "kind": "single_choice", "text": "您是否愿意继续参与培训？",
     "options": [{"value": "yes", "label": "愿意"}, {"value": "no", "label": "不愿意"}]},
    {"kind": "text", "text": "您的建议", "required": False},
]


@pytest.fixture
async def plant(gw) -> Plant:
    return await small_plant(gw)


async def new_survey(gw, hr, plant: Plant, **fields) -> str:
    code = uid("SV")
    r = await gw.put(f"/training/v1/surveys/{code}", headers=hr, json={
        "title": "培训满意度调查", "kind": "satisfaction", "opens_at": plant.at(1, 2),
        "audience": {"department_code": plant.plant}, "questions": QUESTIONS, **fields})
    assert r.status_code == 201, r.text
    return code


def answer(scale: int, choice: str, text: str | None = None) -> dict:
    given = [{"question": 1, "scale": scale}, {"question": 2, "choice": choice}]
    if text:
        given.append({"question": 3, "text": text})
    return {"answers": given}


async def test_a_survey_answered_twice_is_refused(gw, hr, plant):
    code = await new_survey(gw, hr, plant)
    me = auth(plant.no["E1"], "employee")
    first = await gw.post(f"/training/v1/surveys/{code}/responses", headers=me,
                          json=answer(5, "yes", "希望多一些实操课"))
    assert first.status_code == 201, first.text
    assert first.json()["employee_no"] == plant.no["E1"]
    again = await gw.post(f"/training/v1/surveys/{code}/responses", headers=me,
                          json=answer(1, "no"))
    assert_problem(again, 409, "survey-already-answered")
    by_hr = await gw.post(f"/training/v1/surveys/{code}/responses", headers=hr,
                          json={**answer(3, "no"), "employee_no": plant.no["E1"]})
    assert_problem(by_hr, 409, "survey-already-answered")
    got = await gw.get(f"/training/v1/surveys/{code}", headers=me)
    assert got.json()["responses"] == 1 and got.json()["questions"][0]["text"] == \
        "您认为积分规则公平吗？"


async def test_results_per_question_and_department(gw, hr, plant):
    code = await new_survey(gw, hr, plant)
    given = {"E1": (5, "yes"), "E2": (4, "yes"), "E3": (2, "no"), "E4": (4, "yes"),
             "E5": (3, "no")}
    for key, (scale, choice) in given.items():
        r = await gw.post(f"/training/v1/surveys/{code}/responses",
                          headers=auth(plant.no[key], "employee"),
                          json=answer(scale, choice, "课程太长" if key == "E3" else None))
        assert r.status_code == 201, r.text
    r = await gw.get(f"/training/v1/surveys/{code}/results", headers=hr,
                     params={"department": plant.plant})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["responses"] == 5
    fairness, willing, text = body["questions"]
    assert fairness["scale"] == {"mean": 3.6, "distribution": {"1": 0, "2": 1, "3": 1, "4": 2,
                                                               "5": 1},
                                 "satisfied": 3, "satisfaction_share": 0.6}
    # A: E1 E2 E3 -> 5, 4, 2; B: E4 E5 -> 4, 3
    assert {d["department_code"]: (d["answers"], d["satisfaction_share"])
            for d in fairness["by_department"]} == {plant.a: (3, 0.6667), plant.b: (2, 0.5)}
    assert [(o["value"], o["label"], o["count"], o["share"]) for o in willing["options"]] == \
        [("yes", "愿意", 3, 0.6), ("no", "不愿意", 2, 0.4)]
    assert {d["department_code"]: d["option_counts"] for d in willing["by_department"]} == \
        {plant.a: {"yes": 2, "no": 1}, plant.b: {"yes": 1, "no": 1}}
    assert text["answers"] == 1
    texts = await gw.get(f"/training/v1/surveys/{code}/text-answers", headers=hr)
    assert [(t["question"], t["text"], t["department_code"]) for t in texts.json()["items"]] == \
        [(3, "课程太长", plant.a)]
    assert "employee_no" not in texts.json()["items"][0]
    only_b = await gw.get(f"/training/v1/surveys/{code}/results", headers=hr,
                          params={"department": plant.b})
    assert only_b.json()["responses"] == 2
    csv_file = await gw.get(f"/training/v1/surveys/{code}/results", headers=hr,
                            params={"department": plant.plant, "format": "csv"})
    rows = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    assert csv_file.content.startswith(b"\xef\xbb\xbf") and rows[0][1] == "题目"
    assert any(row[1] == "您是否愿意继续参与培训？" and row[6] == "愿意" for row in rows)


async def test_satisfaction_per_period_across_surveys(gw, hr, plant):
    earlier = months_back(plant.month, 1)
    code = await new_survey(gw, hr, plant, opens_at=plant.at(1, 3))
    answers = {"E1": (plant.at(5, 1), 2), "E2": (plant.at(6, 1), 5), "E3": (plant.at(5), 5),
               "E4": (plant.at(6), 4), "E5": (plant.at(7), 1)}
    for key, (at, scale) in answers.items():
        r = await gw.post(f"/training/v1/surveys/{code}/responses", headers=hr, json={
            **answer(scale, "yes"), "employee_no": plant.no[key], "answered_at": at})
        assert r.status_code == 201, r.text
    r = await gw.get("/training/v1/reports/satisfaction", headers=hr, params={
        "department": plant.plant, "from": str(earlier), "to": plant.day(28)})
    assert r.status_code == 200, r.text
    rows = {(row["period"], row["question_code"]): (row["answers"], row["satisfied"],
                                                   row["satisfaction_share"])
            for row in r.json()["rows"]}
    # surveys of other tests in this plant are answered now, after M: not in the range
    assert rows[(f"{earlier:%Y-%m}", "fairness")] == (2, 1, 0.5)
    assert rows[(f"{plant.month:%Y-%m}", "fairness")] == (3, 2, 0.6667)
    assert rows[("all", None)] == (5, 3, 0.6)
    quarter = await gw.get("/training/v1/reports/satisfaction", headers=hr, params={
        "department": plant.plant, "from": str(earlier), "to": plant.day(28),
        "granularity": "quarter", "question_code": "fairness"})
    assert all(row["question_code"] in ("fairness", None) for row in quarter.json()["rows"])
    assert quarter.json()["rows"][-1]["answers"] == 5


async def test_answers_must_fit_the_questions_the_window_and_the_audience(gw, hr, plant):
    code = await new_survey(gw, hr, plant, closes_at=plant.at(1))
    me = auth(plant.no["E2"], "employee")
    bad = await gw.post(f"/training/v1/surveys/{code}/responses", headers=hr, json={
        "employee_no": plant.no["E2"], "answered_at": plant.at(3, 1),
        "answers": [{"question": 1, "choice": "yes"}, {"question": 2, "choice": "maybe"},
                    {"question": 9, "scale": 3}]})
    body = assert_problem(bad, 409, "invalid-answers")
    assert [e["pointer"] for e in body["errors"]] == ["#/answers/0", "#/answers/1",
                                                      "#/answers/2"]
    missing = await gw.post(f"/training/v1/surveys/{code}/responses", headers=hr, json={
        "employee_no": plant.no["E2"], "answered_at": plant.at(3, 1),
        "answers": [{"question": 2, "choice": "yes"}]})
    assert [(e["pointer"], e["detail"]) for e in assert_problem(missing, 409)["errors"]] == \
        [("#/answers", "question 1 must be answered")]
    assert_problem(await gw.post(f"/training/v1/surveys/{code}/responses", headers=me,
                                 json=answer(4, "yes")), 409, "survey-not-open")
    assert_problem(await gw.post(f"/training/v1/surveys/{code}/responses", headers=me, json={
        **answer(4, "yes"), "employee_no": plant.no["E3"]}), 403, "answering-for-others")
    outsider = await gw.put(f"/training/v1/surveys/{uid('SV')}", headers=hr, json={
        "title": "试点车间调查", "kind": "general", "audience": {"department_code": plant.a},
        "questions": QUESTIONS})
    assert_problem(await gw.post(f"/training/v1/surveys/{outsider.json()['code']}/responses",
                                 headers=auth(plant.no["E4"], "employee"),
                                 json=answer(4, "yes")), 403, "not-in-audience")
    mine = await gw.get("/training/v1/surveys", headers=auth(plant.no["E4"], "employee"),
                        params={"limit": 500})
    assert outsider.json()["code"] not in [s["code"] for s in mine.json()["items"]]


async def test_an_answered_survey_keeps_its_questions(gw, hr, plant):
    code = await new_survey(gw, hr, plant)
    await gw.post(f"/training/v1/surveys/{code}/responses",
                  headers=auth(plant.no["E1"], "employee"), json=answer(5, "yes"))
    same = {"title": "新标题", "kind": "satisfaction", "opens_at": plant.at(1, 2),
            "audience": {"department_code": plant.plant}, "questions": QUESTIONS}
    assert (await gw.put(f"/training/v1/surveys/{code}", headers=hr, json=same)).status_code \
        == 200
    changed = {**same, "questions": QUESTIONS[:2]}
    assert_problem(await gw.put(f"/training/v1/surveys/{code}", headers=hr, json=changed), 409,
                   "survey-has-responses")
    closed = await gw.post(f"/training/v1/surveys/{code}/close", headers=hr)
    assert closed.json()["status"] == "closed"
    assert_problem(await gw.post(f"/training/v1/surveys/{code}/responses",
                                 headers=auth(plant.no["E2"], "employee"),
                                 json=answer(5, "yes")), 409, "survey-not-open")


async def test_training_needs_answers_set_the_employees_preferences(gw, hr, plant):
    code = uid("NEED")
    r = await gw.put(f"/training/v1/surveys/{code}", headers=hr, json={
        "title": "培训需求调研", "kind": "training_needs", "questions": [
            {"kind": "single_choice", "text": "培训形式", "preference": "format",
             "options": [{"value": "online", "label": "线上视频"},
                         {"value": "practical", "label": "线下实操"}]},
            {"kind": "single_choice", "text": "培训时长", "preference": "length",
             "options": [{"value": "15min", "label": "15分钟以内"},
                         {"value": "60min", "label": "1小时"}]},
            {"kind": "single_choice", "text": "培训时间", "preference": "time_of_day",
             "options": [{"value": "before_shift", "label": "班前"},
                         {"value": "after_shift", "label": "班后"}]}]})
    assert r.status_code == 201, r.text
    no = plant.no["E7"]
    me = auth(no, "employee")
    before = await gw.get(f"/training/v1/employees/{no}/preferences", headers=me)
    assert before.json()["format"] is None
    done = await gw.post(f"/training/v1/surveys/{code}/responses", headers=me, json={"answers": [
        {"question": 1, "choice": "practical"}, {"question": 2, "choice": "15min"},
        {"question": 3, "choice": "before_shift"}]})
    assert done.status_code == 201, done.text
    assert done.json()["preferences_updated"] == ["format", "length", "time_of_day"]
    prefs = (await gw.get(f"/training/v1/employees/{no}/preferences", headers=me)).json()
    assert (prefs["format"]["value"], prefs["format"]["label"]) == ("practical", "线下实操")
    assert prefs["length"]["label"] == "15分钟以内" and prefs["time_of_day"]["value"] == \
        "before_shift"
    assert prefs["format"]["survey_code"] == code
    assert_problem(await gw.get(f"/training/v1/employees/{no}/preferences",
                                headers=auth(plant.no["E1"], "employee")), 404)
    manager = auth("M-B", "manager", departments=(plant.b,))
    assert (await gw.get(f"/training/v1/employees/{no}/preferences",
                         headers=manager)).status_code == 200


async def test_survey_definitions_are_checked(gw, hr, plant):
    base = {"title": "调查", "kind": "general", "questions": QUESTIONS}
    for bad in ({**base, "questions": []},
                {**base, "questions": [{"kind": "single_choice", "text": "只有一个选项",
                                        "options": [{"value": "a", "label": "A"}]}]},
                {**base, "questions": [{"kind": "scale", "text": "评分",
                                        "preference": "format"}]},
                {**base, "kind": "unknown"}):
        assert_problem(await gw.put(f"/training/v1/surveys/{uid('SV')}", headers=hr, json=bad),
                       422)
    assert_problem(await gw.put(f"/training/v1/surveys/{uid('SV')}",
                                headers=auth(plant.no["E1"], "employee"), json=base), 403)
    assert_problem(await gw.get("/training/v1/surveys/NO-SUCH-SURVEY", headers=hr), 404,
                   "survey-not-found")
