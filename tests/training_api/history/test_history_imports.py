"""History imports through the gateway: replay and opening balances, dry runs,
rejected rows, idempotency by legacy id, corrections by compensating entries, the
reconciliation report and its CSV, permissions and bad input."""

from __future__ import annotations

import csv
import io

from tests.conftest import auth
from tests.factories import HR
from tests.training_api.history.helpers import (
    HEADER,
    IMPORTS,
    csv_file,
    entries,
    finished,
    history_plant,
    report,
    run_import,
    start,
)
from tests.training_api.records import assert_problem


def legacy_rows(p: dict, *, exam_score: int = 85) -> list[list]:
    e0, e1 = p["employees"]
    x = p["prefix"]
    return [
        [f"{x}-1", e0, "课程完成", "2021-03-05", p["course"], "", "", "", "", "", 16, ""],
        [f"{x}-2", e0, "考试", "2021-03-06", "", p["exam"], exam_score, "", "", "", 15, "成果"],
        [f"{x}-3", e1, "实操考核", "2022/5/1", "", "", "", p["skill"], "通过", 2, 30, ""],
        [f"{x}-4", e1, "技能等级", "2022-06-01", "", "", "", p["skill"], "", 3, 0, "成长"],
        [f"{x}-5", "NOBODY1", "课程完成", "2021-03-05", p["course"], "", "", "", "", "", 5, ""],
        [f"{x}-6", e0, "考试", "2021-13-01", "", p["exam"], 85, "", "", "", "", ""],
    ]


def earned(items: list[dict], kind: str = "earn") -> list[tuple[str, int]]:
    return sorted((e["rule_id"] or e["reason"], e["points"]) for e in items if e["kind"] == kind)


async def test_replay_earns_under_the_rules_of_each_date_and_reconciles(gw):
    p = await history_plant(gw)
    e0, e1 = p["employees"]
    job = await run_import(gw, csv_file(legacy_rows(p)))
    assert job["status"] == "done", job["error"]
    assert job["counts"] == {"rows_read": 6, "imported": 4, "created": 4, "updated": 0,
                             "unchanged": 0, "rejected": 2}
    assert job["progress"]["phase"] == "done" and job["progress"]["percent"] == 100
    assert job["progress"]["events_delivered"] == job["progress"]["events_total"] == 4
    r = await gw.get(job["links"]["rejected_rows"], headers=HR)
    assert [(row["line"], row["reason"]) for row in r.json()["items"]] == [
        (6, "unknown employee_no 'NOBODY1' (import the employees first)"),
        (7, "occurred_at (column '日期'): '2021-13-01' is not a valid calendar date")]

    assert earned(await entries(gw, e0)) == [("course.per_class_hour", 16), ("exam.score", 10)]
    assert earned(await entries(gw, e1)) == [("practical.passed", 30)]
    history_entry = (await entries(gw, e0))[0]
    assert history_entry["occurred_at"].startswith("2021-03-0")
    notes = await gw.get(f"/points/v1/accounts/{e0}/notifications", headers=HR)
    assert notes.json()["items"] == []  # replayed history is announced to nobody
    skills = await gw.get(f"/training/v1/employees/{e1}/skills", headers=HR)
    [held] = skills.json()["skills"]
    assert (held["skill_code"], held["level"]) == (p["skill"], 3)

    doc = await report(gw, job)
    assert doc["totals"]["total"] == {"legacy": 61, "jifen": 56}
    assert doc["totals"]["outcome"] == {"legacy": 45, "jifen": 40}
    assert doc["employees_with_difference"] == 1
    by_no = {e["employee_no"]: e for e in doc["items"]}
    assert (by_no[e0]["records"], by_no[e0]["legacy_points"], by_no[e0]["jifen_points"],
            by_no[e0]["difference"]) == (2, 31, 26, -5)
    assert by_no[e1]["by_category"]["outcome"] == {"legacy": 30, "jifen": 30}


async def test_the_report_downloads_as_csv_for_excel(gw):
    p = await history_plant(gw)
    job = await run_import(gw, csv_file(legacy_rows(p)))
    r = await gw.get(job["links"]["report_csv"], headers=HR)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["工号", "姓名", "记录数", "原系统积分", "Jifen积分", "差额"]
    total = next(row for row in rows if row and row[0] == "合计")
    assert total[3:6] == ["61", "56", "-5"]
    assert ["拒绝行数", "2"] in rows
    rejected = await gw.get(job["links"]["rejected_rows"], headers=HR, params={"format": "csv"})
    assert rejected.content.startswith(b"\xef\xbb\xbf\xe8\xa1\x8c\xe5\x8f\xb7")  # BOM, 行号


async def test_the_same_file_twice_changes_nothing_and_a_correction_compensates(gw):
    p = await history_plant(gw)
    e0 = p["employees"][0]
    await run_import(gw, csv_file(legacy_rows(p)))
    before = await entries(gw, e0)

    again = await run_import(gw, csv_file(legacy_rows(p)))
    assert again["counts"]["unchanged"] == 4 and again["counts"]["created"] == 0
    assert await entries(gw, e0) == before

    corrected = await run_import(gw, csv_file(legacy_rows(p, exam_score=95)))
    assert (corrected["counts"]["updated"], corrected["counts"]["unchanged"]) == (1, 3)
    after = await entries(gw, e0)
    assert {e["id"] for e in before} <= {e["id"] for e in after}  # history is never edited
    [reversal] = [e for e in after if e["kind"] == "reverse"]
    assert reversal["points"] == -10 and "历史数据更正" in reversal["reason"]
    assert earned(after) == [("course.per_class_hour", 16), ("exam.score", 10),
                             ("exam.score", 15)]
    assert sum(e["points"] for e in after) == 16 + 15  # the corrected score's band, once
    assert (await report(gw, corrected))["totals"]["outcome"]["jifen"] == 45


async def test_a_dry_run_checks_and_counts_but_writes_nothing(gw):
    p = await history_plant(gw)
    job = await run_import(gw, csv_file(legacy_rows(p)), dry_run="true")
    assert job["status"] == "done" and job["dry_run"] is True
    assert (job["counts"]["created"], job["counts"]["rejected"]) == (4, 2)
    assert job["totals"]["total"] == {"legacy": 61, "jifen": None}
    assert await entries(gw, p["employees"][0]) == []
    real = await run_import(gw, csv_file(legacy_rows(p)))
    assert real["counts"]["created"] == 4


async def test_opening_balances_post_per_category_and_records_earn_nothing(gw):
    p = await history_plant(gw)
    e0, e1 = p["employees"]
    x = p["prefix"]

    def rows(course_points: int) -> list[list]:
        return [
            [f"{x}-1", e0, "课程完成", "2020-03-05", p["course"], "", "", "", "", "",
             course_points, ""],
            [f"{x}-2", e0, "考试", "2021-03-06", "", p["exam"], 95, "", "", "", 15, ""],
            [f"{x}-3", e0, "技能等级", "2021-06-01", "", "", "", p["skill"], "", 2, 40, "成长"],
            [f"{x}-4", e1, "课程完成", "2025-12-31", p["course"], "", "", "", "", "", 8, ""],
            [f"{x}-5", e1, "课程完成", "2026-01-02", p["course"], "", "", "", "", "", 8, ""],
        ]

    job = await run_import(gw, csv_file(rows(100)), mode="opening", cut_over="2025-12-31")
    assert job["status"] == "done", job["error"]
    assert (job["counts"]["created"], job["counts"]["rejected"]) == (4, 1)
    r = await gw.get(job["links"]["rejected_rows"], headers=HR)
    assert "after the cut-over date 2025-12-31" in r.json()["items"][0]["reason"]
    opening = [e for e in await entries(gw, e0)]
    assert sorted((e["kind"], e["category"], e["points"]) for e in opening) == [
        ("opening", "growth", 40), ("opening", "outcome", 15),
        ("opening", "participation", 100)]
    assert all("期初余额" in e["reason"] for e in opening)
    account = (await gw.get(f"/points/v1/accounts/{e0}", headers=HR)).json()
    assert account["qualifying_points"] == 155 and account["month_points"] == 0
    assert (await report(gw, job))["totals"]["total"] == {"legacy": 163, "jifen": 163}
    completions = await gw.get("/training/v1/course-completions", headers=HR,
                               params={"employee_no": e0})
    assert len(completions.json()["items"]) == 1  # kept for the dashboard

    unchanged = await run_import(gw, csv_file(rows(100)), mode="opening", cut_over="2025-12-31")
    assert unchanged["counts"]["unchanged"] == 4 and len(await entries(gw, e0)) == 3
    corrected = await run_import(gw, csv_file(rows(120)), mode="opening",
                                 cut_over="2025-12-31")
    assert corrected["counts"]["updated"] == 1
    [correction] = [e for e in await entries(gw, e0) if e["points"] == 20]
    assert correction["kind"] == "opening" and "期初余额更正" in correction["reason"]


async def test_who_may_import_and_read(gw):
    p = await history_plant(gw)
    content = csv_file(legacy_rows(p)[:1])
    assert_problem(await start(gw, content, headers={}), 401)
    for role in ("employee", "manager", "auditor", "assessor"):
        assert_problem(await start(gw, content, headers=auth("X1", role)), 403)
    job = await run_import(gw, content, headers=auth("erp", "integration"))
    for role, status in (("auditor", 200), ("hr_admin", 200), ("employee", 403),
                         ("manager", 403)):
        for path in ("", "/rejected-rows", "/report"):
            r = await gw.get(f"{job['links']['status']}{path}", headers=auth("X2", role))
            assert r.status_code == status, (role, path, r.text)
        r = await gw.get(IMPORTS, headers=auth("X2", role))
        assert r.status_code == status


async def test_bad_input_is_a_problem(gw):
    p = await history_plant(gw)
    good = csv_file(legacy_rows(p)[:1])
    assert_problem(await start(gw, good, mode="bogus"), 422)
    assert_problem(await start(gw, good, mode="opening"), 409, "history-import-options")
    assert_problem(await start(gw, good, cut_over="2025-12-31"), 409, "history-import-options")
    assert_problem(await start(gw, good, mode="opening", cut_over="2099-01-01"), 409,
                   "history-import-options")
    assert_problem(await start(gw, good, mode="opening", cut_over="2999-01-01"), 422)
    assert_problem(await start(gw, good, mode="opening", cut_over="2025-02-30"), 422)
    # a file whose header cannot be read: accepted, and the job failed at once, saying why
    no_points = csv_file([r[:10] for r in legacy_rows(p)[:1]], header=HEADER[:10])
    for content, kwargs, why in ((b"", {}, "empty"),
                                 ("工号,日期\nE1,2021-01-01\n".encode(), {}, "missing"),
                                 (no_points, {"mode": "opening", "cut_over": "2025-12-31"},
                                  "points column")):
        r = await start(gw, content, **kwargs)
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "failed" and why in r.json()["error"], r.json()
    r = await gw.post(IMPORTS, headers=HR)
    assert_problem(r, 422)
    missing = "/training/v1/history-imports/6b1f0c3e-1d2a-4e5f-8a9b-0c1d2e3f4a5b"
    for path in ("", "/rejected-rows", "/report"):
        assert_problem(await gw.get(missing + path, headers=HR), 404, "history-import-not-found")
    assert_problem(await gw.get(f"{IMPORTS}/not-a-uuid", headers=HR), 422)
    assert_problem(await gw.get(IMPORTS, headers=HR, params={"cursor": "garbage!"}), 422)
    job = await run_import(gw, good)
    assert_problem(await gw.get(job["links"]["rejected_rows"], headers=HR,
                                params={"cursor": "WyJ4IiwgMV0"}), 404, "invalid-cursor")


async def test_a_file_that_breaks_while_read_fails_the_job_and_has_no_report(gw):
    p = await history_plant(gw)
    broken = csv_file(legacy_rows(p)[:1]) + b'X9,E1,"unclosed,2021-01-01\r\n'
    r = await start(gw, broken)
    assert r.status_code == 202
    job = await finished(gw, r.json())
    assert job["status"] == "failed"
    assert "a quoted field is never closed" in job["error"]
    assert_problem(await gw.get(job["links"]["report"], headers=HR), 409,
                   "history-report-not-ready")


async def test_imports_are_listed_newest_first(gw):
    p = await history_plant(gw)
    first = await run_import(gw, csv_file(legacy_rows(p)[:1]))
    second = await run_import(gw, csv_file(legacy_rows(p)[:1]))
    r = await gw.get(IMPORTS, headers=HR, params={"limit": 1})
    assert r.json()["items"][0]["id"] == second["id"]
    page2 = await gw.get(IMPORTS, headers=HR,
                         params={"limit": 1, "cursor": r.json()["next_cursor"]})
    assert page2.json()["items"][0]["id"] == first["id"]


async def test_nobody_imports_their_own_history(gw):
    """An HR administrator's import rejects the rows about themselves, in either mode
    and however their number is written (they would earn or open their own points);
    another HR administrator imports them."""
    p = await history_plant(gw)
    e0, e1 = p["employees"]
    x = p["prefix"]
    rows = [[f"{x}-1", e0.lower(), "课程完成", "2021-03-05", p["course"], "", "", "", "", "",
             100000, ""],
            [f"{x}-2", e1, "课程完成", "2021-03-05", p["course"], "", "", "", "", "", 16, ""]]
    myself = auth(e0.lower(), "hr_admin")
    for mode, cut_over in (("opening", "2025-12-31"), ("replay", None)):
        params = {"mode": mode, **({"cut_over": cut_over} if cut_over else {})}
        r = await start(gw, csv_file(rows[:1]), headers=myself, **params)
        assert r.status_code == 202, r.text
        job = await finished(gw, r.json())
        assert job["status"] == "done", job["error"]
        assert (job["counts"]["created"], job["counts"]["rejected"]) == (0, 1), mode
        rejected = (await gw.get(job["links"]["rejected_rows"], headers=HR)).json()["items"]
        assert rejected[0]["employee_no"] == e0
        assert "about yourself, the importer" in rejected[0]["reason"]
    assert await entries(gw, e0) == []
    # another HR administrator imports them; a number in lower case is the employee's
    job = await run_import(gw, csv_file(rows), mode="opening", cut_over="2025-12-31")
    assert (job["counts"]["created"], job["counts"]["rejected"]) == (2, 0)
    assert [e["points"] for e in await entries(gw, e0)] == [100000]
