"""Reports as CSV files that Excel opens with Chinese intact, and who may read them."""

import csv
import io

import pytest

from tests.conftest import auth
from tests.training_api.records import assert_problem
from tests.training_api.reports.small_plant import Plant, small_plant

BOM = b"\xef\xbb\xbf"


@pytest.fixture
async def plant(gw) -> Plant:
    return await small_plant(gw)


def parse(content: bytes) -> list[list[str]]:
    assert content.startswith(BOM), content[:20]
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


async def test_csv_has_a_bom_and_keeps_chinese(gw, hr, plant):
    r = await gw.get("/training/v1/reports/participation", headers=hr, params={
        "department": plant.plant, "period": plant.m, "group_by": "department",
        "format": "csv"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    assert f"participation_{plant.m}_{plant.plant}.csv" in r.headers["content-disposition"]
    rows = parse(r.content)
    assert rows[0][:3] == ["期间", "起始日", "截止日"] and "参与率" in rows[0]
    by_code = {row[5]: row for row in rows[1:]}
    assert by_code[plant.a][6] == "试点车间" and by_code[plant.b][6] == "普通车间"
    assert by_code["all"][6] == "合计" and by_code["all"][7:10] == ["8", "5", "0.625"]


async def test_accept_text_csv_works_like_format_csv(gw, hr, plant):
    headers = {**hr, "Accept": "text/csv"}
    r = await gw.get("/training/v1/reports/skill-gaps", headers=headers,
                     params={"department": plant.plant, "period": plant.m, "limit": 1})
    rows = parse(r.content)
    # every row, whatever the page size: E2, E4, E9
    assert [row[0] for row in rows[1:]] == [plant.no["E2"], plant.no["E4"], plant.no["E9"]]
    assert rows[2][1] == "员工E4" and rows[2][9] == "设备操作;质量控制"


@pytest.mark.parametrize("path", [
    "/training/v1/reports/skill-attainment", "/training/v1/reports/time-to-competency",
    "/training/v1/reports/training-plans", "/training/v1/reports/effectiveness",
    "/training/v1/reports/pilot-comparison", "/training/v1/reports/satisfaction"])
async def test_every_report_downloads_as_csv(gw, hr, plant, path):
    r = await gw.get(path, headers=hr, params={"department": plant.plant, "format": "csv"})
    assert r.status_code == 200, r.text
    rows = parse(r.content)
    assert rows and all(len(row) == len(rows[0]) for row in rows)


async def test_employees_and_assessors_cannot_read_the_dashboards(gw, plant):
    for who in (auth(plant.no["E1"], "employee"), auth("ASSESSOR-9", "assessor"),
                auth("lms", "integration")):
        for path in ("/training/v1/reports/participation", "/training/v1/reports/effectiveness",
                     "/training/v1/reports/pilot-comparison",
                     "/training/v1/reports/training-plans", "/training/v1/reports/satisfaction"):
            assert_problem(await gw.get(path, headers=who, params={"department": plant.plant}),
                           403, "forbidden")


async def test_a_manager_reads_their_departments_only(gw, plant):
    manager = auth("M-A", "manager", departments=(plant.a,))
    r = await gw.get("/training/v1/reports/participation", headers=manager,
                     params={"period": plant.m})
    assert r.status_code == 200, r.text
    assert r.json()["scope"]["department_code"] == plant.a  # their one department by default
    assert (r.json()["total"]["employees"], r.json()["total"]["count"]) == (4, 2)
    assert_problem(await gw.get("/training/v1/reports/participation", headers=manager,
                                params={"department": plant.plant}), 403, "not-your-department")
    two = auth("M-AB", "manager", departments=(plant.a, plant.b))
    assert_problem(await gw.get("/training/v1/reports/participation", headers=two), 409,
                   "department-required")
    ok = await gw.get("/training/v1/reports/participation", headers=two,
                      params={"department": plant.b})
    assert ok.status_code == 200


async def test_auditors_read_everything(gw, plant):
    r = await gw.get("/training/v1/reports/skill-attainment", headers=auth("AUD", "auditor"),
                     params={"department": plant.plant, "period": plant.m})
    assert r.status_code == 200 and r.json()["total"]["count"] == 4
