"""Each training metric against the answer worked out by hand for the small plant
(see small_plant.py for who did what)."""

import pytest

from tests.training_api.reports.small_plant import Plant, last_day, months_back, small_plant


@pytest.fixture
async def plant(gw) -> Plant:
    return await small_plant(gw)


def groups(body: dict) -> dict[str, tuple]:
    return {g["key"]: (g["employees"], g["count"], g["rate"], g["front_line_employees"],
                       g["front_line_count"], g["front_line_rate"]) for g in body["groups"]}


async def test_participation_counts_active_employees_with_a_standing_record(gw, hr, plant):
    r = await gw.get("/training/v1/reports/participation", headers=hr, params={
        "department": plant.plant, "period": plant.m, "group_by": "department"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["period"]["key"] == plant.m and body["period"]["timezone"] == "Asia/Shanghai"
    total = body["total"]
    # 8 active (E6 left); E1 E5 E7 E8 E9 trained in M; front-line: E1 E2 E4 E5 E7 E9
    assert (total["employees"], total["count"], total["rate"]) == (8, 5, 0.625)
    assert (total["front_line_employees"], total["front_line_count"],
            total["front_line_rate"]) == (6, 4, 0.6667)
    assert groups(body) == {plant.a: (4, 2, 0.5, 2, 1, 0.5), plant.b: (4, 3, 0.75, 4, 3, 0.75)}
    assert {g["key"]: g["label"] for g in body["groups"]} == {plant.a: "试点车间",
                                                              plant.b: "普通车间"}


async def test_participation_by_family_and_front_line_and_the_month_before(gw, hr, plant):
    before = months_back(plant.month, 1)
    r = await gw.get("/training/v1/reports/participation", headers=hr, params={
        "department": plant.plant, "from": before.isoformat(),
        "to": last_day(before).isoformat(), "group_by": "family"})
    body = r.json()
    # hired by the end of M-1: E1-E5; trained in M-1: E2 (question, exam) and E3 (exam)
    assert (body["total"]["employees"], body["total"]["count"]) == (5, 2)
    assert body["period"]["key"] is None
    assert groups(body)["technical"][:2] == (1, 1)  # E3
    r = await gw.get("/training/v1/reports/participation", headers=hr, params={
        "department": plant.plant, "period": plant.m, "front_line": "false"})
    assert (r.json()["total"]["employees"], r.json()["total"]["count"]) == (2, 1)  # E3, E8


async def test_skill_attainment_and_who_lacks_which_skill(gw, hr, plant):
    r = await gw.get("/training/v1/reports/skill-attainment", headers=hr, params={
        "department": plant.plant, "period": plant.m, "group_by": "department"})
    assert r.status_code == 200, r.text
    body = r.json()
    # roles with a model: E1 E2 E3 E4 E7 E8 E9; all held: E1 E3 E7 E8; E5's role needs nothing
    assert (body["total"]["employees"], body["total"]["count"], body["total"]["rate"]) == \
        (7, 4, 0.5714)
    assert (body["total"]["front_line_employees"], body["total"]["front_line_count"]) == (5, 2)
    assert body["without_model"] == 1
    assert groups(body)[plant.a][:3] == (4, 3, 0.75)
    assert groups(body)[plant.b][:3] == (3, 1, 0.3333)
    assert [(s["skill_code"], s["required_of"], s["holding"], s["lacking"], s["rate"])
            for s in body["skills"]] == [(plant.s1, 7, 6, 1, 0.8571), (plant.s2, 5, 2, 3, 0.4)]

    gaps = await gw.get("/training/v1/reports/skill-gaps", headers=hr, params={
        "department": plant.plant, "period": plant.m, "limit": 2})
    page = gaps.json()
    assert [(e["employee_no"], e["missing_skills"]) for e in page["items"]] == [
        (plant.no["E2"], [plant.s2]), (plant.no["E4"], [plant.s1, plant.s2])]
    assert page["items"][1]["missing_skill_names"] == ["设备操作", "质量控制"]
    rest = await gw.get("/training/v1/reports/skill-gaps", headers=hr, params={
        "department": plant.plant, "period": plant.m, "cursor": page["next_cursor"]})
    assert [e["employee_no"] for e in rest.json()["items"]] == [plant.no["E9"]]
    assert rest.json()["next_cursor"] is None
    only_s1 = await gw.get("/training/v1/reports/skill-gaps", headers=hr, params={
        "department": plant.plant, "period": plant.m, "skill": plant.s1})
    assert [e["employee_no"] for e in only_s1.json()["items"]] == [plant.no["E4"]]


async def test_skill_attainment_at_the_end_of_an_earlier_month(gw, hr, plant):
    r = await gw.get("/training/v1/reports/skill-attainment", headers=hr, params={
        "department": plant.a, "period": f"M{months_back(plant.month, 1):%Y-%m}"})
    # E1 E2 E3 were hired; only E3 (role R2: S1) held everything at the end of M-1
    assert (r.json()["total"]["employees"], r.json()["total"]["count"]) == (3, 1)


async def test_time_to_competency_of_the_months_new_hires(gw, hr, plant):
    r = await gw.get("/training/v1/reports/time-to-competency", headers=hr, params={
        "department": plant.plant, "period": plant.m})
    assert r.status_code == 200, r.text
    body = r.json()
    cohort = f"{plant.month:%Y-%m}"
    # E7: 10 days (S2 proven on day 11), E8: 20 days, E9 lacks S2
    assert [(c["cohort"], c["hires"], c["competent"], c["not_yet"], c["median_days"])
            for c in body["cohorts"]] == [(cohort, 3, 2, 1, 15.0)]
    assert body["cohorts"][0]["distribution"] == {
        "<=7": 0, "<=14": 1, "<=21": 1, "<=28": 0, "<=42": 0, "<=56": 0, "<=91": 0, ">91": 0}
    assert body["total"]["cohort"] == "all" and body["total"]["median_days"] == 15.0


async def test_effectiveness_compares_the_top_and_bottom_by_points(gw, hr, plant):
    r = await gw.get("/training/v1/reports/effectiveness", headers=hr,
                     params={"department": plant.plant})
    assert r.status_code == 200, r.text
    body = r.json()
    # 8 active employees (E10, hired in a future year, is not ranked with his 0 points);
    # top 20% = 1: E1 (65 points, holds all); bottom: E9 (0, lacks S2)
    assert body["employees"] == 8 and body["period"]["key"] == "ALL"
    assert (body["top"]["employees"], body["top"]["attained"], body["top"]["rate"],
            body["top"]["min_points"]) == (1, 1, 1.0, 65)
    assert (body["bottom"]["employees"], body["bottom"]["attained"], body["bottom"]["rate"],
            body["bottom"]["max_points"]) == (1, 0, 0.0, 0)
    assert body["difference"] == 1.0 and body["relative_difference"] is None

    half = (await gw.get("/training/v1/reports/effectiveness", headers=hr, params={
        "department": plant.plant, "fraction": "0.5"})).json()
    # top 4: E1 65, E3 40, E7 30, E8 15 -> all attained; bottom 4: E2 13, E5 10, E4 0, E9 0,
    # of whom E2 E4 E9 have a competency model and none holds it all
    assert (half["top"]["employees"], half["top"]["measured"], half["top"]["attained"]) == \
        (4, 4, 4)
    assert (half["bottom"]["employees"], half["bottom"]["measured"],
            half["bottom"]["attained"]) == (4, 3, 0)
    assert (half["top"]["min_points"], half["bottom"]["max_points"]) == (15, 13)


async def test_effectiveness_widens_a_range_to_whole_months(gw, hr, plant):
    r = await gw.get("/training/v1/reports/effectiveness", headers=hr, params={
        "department": plant.plant, "from": plant.day(3), "to": plant.day(20)})
    month = await gw.get("/training/v1/reports/effectiveness", headers=hr, params={
        "department": plant.plant, "period": plant.m})
    assert r.status_code == month.status_code == 200, r.text
    assert (r.json()["period"]["first_day"], r.json()["period"]["last_day"]) == (
        plant.month.isoformat(), last_day(plant.month).isoformat())  # points are per month
    assert (r.json()["top"], r.json()["bottom"]) == (month.json()["top"], month.json()["bottom"])


async def test_pilot_against_the_rest(gw, hr, plant):
    r = await gw.get("/training/v1/reports/pilot-comparison", headers=hr, params={
        "department": plant.plant, "period": plant.m})
    assert r.status_code == 200, r.text
    body = r.json()
    assert plant.a in body["pilot_departments"]
    pilot, rest = body["pilot"], body["rest"]
    # pilot A: E1 E2 E3 E8; trained in M: E1 E8; all skills: E1 E3 E8; plan assignments
    # T1 x4 + T2 x2 (E3 E8), completed: E1 and E3 on T1, E3 on T2; points in M: 65 + 15
    assert (pilot["employees"], pilot["participation_rate"], pilot["attainment_rate"]) == \
        (4, 0.5, 0.75)
    assert (pilot["plan_assignments"], pilot["plan_completion_rate"]) == (6, 0.5)
    assert (pilot["points_employees"], pilot["total_points"], pilot["points_per_head"]) == \
        (4, 80, 20.0)
    # the rest, B: E4 E5 E7 E9 (not E10, hired later); trained: E5 E7 E9; all skills: E7 of
    # E4 E7 E9; points 10 + 30, per head of the row's 4 employees
    assert (rest["employees"], rest["participation_rate"], rest["attainment_rate"]) == \
        (4, 0.75, 0.3333)
    assert (rest["plan_assignments"], rest["plan_completion_rate"]) == (4, 0.0)
    assert (rest["points_employees"], rest["total_points"], rest["points_per_head"]) == \
        (4, 40, 10.0)


async def test_a_report_period_is_checked(gw, hr, plant):
    for params in ({"period": "M2026-13"}, {"from": "1999-12-31"}, {"to": "2026-02-30"},
                   {"from": plant.day(1), "to": plant.day(2)[:7]}):
        r = await gw.get("/training/v1/reports/participation", headers=hr,
                         params={"department": plant.plant, **params})
        assert r.status_code == 422, (params, r.text)


async def test_period_and_from_to_combine_and_a_reversed_range_counts_nothing(gw, hr, plant):
    path, base = "/training/v1/reports/participation", {"department": plant.plant}
    narrowed = await gw.get(path, headers=hr, params={**base, "period": plant.m,
                                                      "from": plant.day(10)})
    reversed_ = await gw.get(path, headers=hr, params={**base, "from": plant.day(20),
                                                       "to": plant.day(3)})
    assert narrowed.status_code == reversed_.status_code == 200, narrowed.text
    assert (narrowed.json()["period"]["first_day"], narrowed.json()["period"]["last_day"],
            narrowed.json()["period"]["key"]) == (plant.day(10), last_day(plant.month).isoformat(),
                                                  None)
    assert reversed_.json()["total"]["count"] == 0
    r = await gw.get("/training/v1/reports/participation", headers=hr,
                     params={"department": "NO-SUCH-DEPT"})
    assert r.status_code == 404
