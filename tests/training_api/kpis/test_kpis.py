"""Production KPIs: posted by the ERP or imported, and shown beside training metrics
before and after the pilot's start."""

from datetime import timedelta

import pytest

from tests.conftest import auth
from tests.factories import create_department
from tests.training_api.import_jobs import follow_job
from tests.training_api.records import assert_problem
from tests.training_api.reports.small_plant import Plant, months_back, small_plant

ERP = auth("erp", "integration")


@pytest.fixture
async def plant(gw) -> Plant:
    return await small_plant(gw)


async def test_report_shows_kpis_beside_training_before_and_after_the_pilot(gw, hr, plant):
    months = [months_back(plant.month, n) for n in (2, 1, 0)]
    for month, (defect, share, efficiency) in zip(
            months, [("1.2", "40", "100"), ("1.0", "30", "105"), ("0.8", "20", "110")],
            strict=True):
        r = await gw.put(f"/training/v1/departments/{plant.a}/kpis/{month:%Y-%m}", headers=ERP,
                         json={"defect_rate": defect, "skill_defect_share": share,
                               "efficiency": efficiency})
        assert r.status_code in (200, 201), r.text
    pilot = await gw.put(f"/training/v1/departments/{plant.a}/pilot", headers=hr, json={
        "started_on": plant.day(15, 1), "note": "积分体系试点"})
    assert pilot.status_code in (200, 201) and pilot.json()["is_pilot"] is True

    r = await gw.get("/training/v1/reports/production-kpis", headers=hr, params={
        "department": plant.a, "from": str(months[0]), "to": plant.day(28)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["pilot_started_on"] == plant.day(15, 1)
    rows = [(m["phase"], m["defect_rate"], m["employees"], m["participation_rate"],
             m["front_line_participation_rate"], m["attainment_rate"]) for m in body["months"]]
    # A: E1 E2 E3 (and E8 from M); trained: M-1 E2 E3, M E1 E8; all skills: M-1 E3, M E1 E3 E8
    assert rows == [("before", "1.2000", 3, 0.0, 0.0, 0.0),
                    ("after", "1.0000", 3, 0.6667, 0.5, 0.3333),
                    ("after", "0.8000", 4, 0.5, 0.5, 0.75)]
    assert (body["before"]["months"], body["before"]["defect_rate"],
            body["before"]["skill_defect_share"]) == (1, 1.2, 40.0)
    assert (body["after"]["months"], body["after"]["defect_rate"],
            body["after"]["efficiency"]) == (2, 0.9, 107.5)
    assert body["change"]["defect_rate"] == pytest.approx(-0.3)
    assert body["change"]["skill_defect_share"] == -15.0
    assert body["change"]["participation_rate"] == pytest.approx(0.5833, abs=1e-3)
    csv_file = await gw.get("/training/v1/reports/production-kpis", headers=hr, params={
        "department": plant.a, "from": str(months[0]), "to": plant.day(28), "format": "csv"})
    text = csv_file.content.decode("utf-8-sig")
    assert csv_file.content.startswith(b"\xef\xbb\xbf")
    assert "试点前" in text and "试点后平均" in text

    override = await gw.get("/training/v1/reports/production-kpis", headers=hr, params={
        "department": plant.a, "from": str(months[0]), "to": plant.day(28),
        "pilot_start": str(plant.month)})
    assert [m["phase"] for m in override.json()["months"]] == ["before", "before", "after"]

    # the current month has no figures yet: it is a month of the phase, not one with figures
    current = (plant.month.replace(day=28) + timedelta(days=4)).replace(day=1)
    longer = (await gw.get("/training/v1/reports/production-kpis", headers=hr, params={
        "department": plant.a, "from": str(months[0]), "to": str(current)})).json()
    assert [m["phase"] for m in longer["months"]] == ["before", "after", "after", "after"]
    assert longer["months"][-1]["defect_rate"] is None
    assert (longer["after"]["months"], longer["after"]["defect_rate"]) == (2, 0.9)
    assert longer["change"]["months"] == 2


async def test_kpis_are_upserted_and_read_back(gw, hr):
    dept = (await create_department(gw, name="铸造车间"))["code"]
    first = await gw.put(f"/training/v1/departments/{dept}/kpis/2026-03", headers=ERP,
                         json={"defect_rate": 1.25, "efficiency": 98.5})
    assert first.status_code == 201, first.text
    assert first.json()["defect_rate"] == "1.2500" and first.json()["source"] == "api"
    second = await gw.put(f"/training/v1/departments/{dept}/kpis/2026-03", headers=ERP,
                          json={"defect_rate": 1.1})
    assert second.status_code == 200 and second.json()["efficiency"] is None
    got = await gw.get(f"/training/v1/departments/{dept}/kpis/2026-03", headers=hr)
    assert got.json()["defect_rate"] == "1.1000"
    listed = await gw.get(f"/training/v1/departments/{dept}/kpis", headers=hr,
                          params={"from": "2026-01", "to": "2026-12"})
    assert [k["month"] for k in listed.json()] == ["2026-03"]
    assert_problem(await gw.get(f"/training/v1/departments/{dept}/kpis/2026-04", headers=hr),
                   404, "kpi-not-found")
    for bad in ({}, {"defect_rate": 101}, {"efficiency": "NaN"}, {"defect_rate": -1}):
        assert_problem(await gw.put(f"/training/v1/departments/{dept}/kpis/2026-05",
                                    headers=ERP, json=bad), 422)
    assert (await gw.put(f"/training/v1/departments/{dept}/kpis/2026-13", headers=ERP,
                         json={"defect_rate": 1})).status_code == 422
    assert_problem(await gw.put(f"/training/v1/departments/{dept}/kpis/2026-05",
                                headers=auth("E1", "employee"), json={"defect_rate": 1}), 403)


async def test_kpis_import_from_an_excel_csv_in_gbk(gw, hr):
    dept = (await create_department(gw, name="热处理车间"))["code"]
    content = (f"部门编码,月份,次品率,技能原因次品占比,生产效率\n"
               f"{dept},2026年3月,1.5%,45,98\n{dept},2026/4,1.3,40,101\n"
               f"NOPE,2026-03,1,1,1\n{dept},2026-13,1,1,1\n{dept},2026-05,abc,1,1\n"
               ).encode("gbk")
    dry = await gw.post("/training/v1/kpi-imports", headers=hr, params={"dry_run": "true"},
                        files={"file": ("kpi.csv", content, "text/csv")})
    assert dry.status_code == 200, dry.text
    assert (dry.json()["created"], dry.json()["encoding"]) == (2, "gb18030")
    assert (await gw.get(f"/training/v1/departments/{dept}/kpis", headers=hr)).json() == []
    r = await gw.post("/training/v1/kpi-imports", headers=hr,
                      files={"file": ("kpi.csv", content, "text/csv")})
    report = r.json()
    assert (report["total_rows"], report["valid_rows"], report["created"]) == (5, 2, 2)
    assert [(x["line"], x["reason"].split(":")[0]) for x in report["rejected"]] == [
        (4, "unknown department_code 'NOPE'"), (5, "month"), (6, "defect_rate")]
    listed = (await gw.get(f"/training/v1/departments/{dept}/kpis", headers=hr)).json()
    assert [(k["month"], k["defect_rate"], k["source"]) for k in listed] == [
        ("2026-03", "1.5000", "import"), ("2026-04", "1.3000", "import")]
    again = await gw.post("/training/v1/kpi-imports", headers=hr,
                          files={"file": ("kpi.csv", content, "text/csv")})
    assert (again.json()["created"], again.json()["updated"]) == (0, 2)
    unreadable = await gw.post("/training/v1/kpi-imports", headers=hr,
                               files={"file": ("kpi.csv", b"a,b\n1,2\n", "text/csv")})
    assert unreadable.status_code == 200, unreadable.text
    assert [(r["line"], r["department_code"]) for r in unreadable.json()["rejected"]] == [
        (0, None)]  # the file as a whole: no department column
    assert unreadable.json()["created"] == 0


async def test_the_kpi_report_needs_a_department(gw, hr):
    assert_problem(await gw.get("/training/v1/reports/production-kpis", headers=hr), 409,
                   "department-required")


async def test_a_kpi_import_runs_as_a_job_when_asked(gw, hr):
    dept = (await create_department(gw, name="涂装车间"))["code"]
    content = f"部门编码,月份,次品率\n{dept},2026-02,2.5\nNOPE,2026-02,1\n".encode()
    accepted = await gw.post("/training/v1/kpi-imports", headers=ERP, params={"async": "true"},
                             files={"file": ("kpi.csv", content, "text/csv")})
    job = await follow_job(gw, ERP, accepted)
    assert (job["status"], job["created_by"]) == ("done", "erp")
    assert (job["report"]["created"], [x["line"] for x in job["report"]["rejected"]]) == (1, [3])
    listed = (await gw.get(f"/training/v1/departments/{dept}/kpis", headers=hr)).json()
    assert [(k["month"], k["defect_rate"]) for k in listed] == [("2026-02", "2.5000")]
    assert (await gw.get(job["links"]["status"],
                         headers=auth("E1", "employee"))).status_code == 403
