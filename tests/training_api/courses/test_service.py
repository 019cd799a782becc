"""The course catalogue's rules at the service layer: no HTTP, each test in a
transaction that is rolled back (the ``training_db`` fixture)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from services.training_api.courses.errors import CourseNotFound, PrerequisiteCycle, UnknownCourse
from services.training_api.courses.models import Course
from services.training_api.courses.schemas import CourseUpsert
from services.training_api.courses.service import courses
from services.training_api.org.errors import UnknownSkill


def _code(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def _course(title: str = "设备操作基础", **more: object) -> CourseUpsert:
    return CourseUpsert.model_validate({"title": title, "format": "offline",
                                        "difficulty": "basic", "class_hours": "2", **more})


async def test_upsert_creates_then_updates_by_code(training_db):
    code = _code("SVC")
    created, was_new = await courses.upsert(training_db, code, data=_course())
    assert was_new and created.title == "设备操作基础" and created.class_hours == Decimal("2")
    updated, was_new = await courses.upsert(training_db, code, data=_course("设备操作进阶"))
    assert not was_new and updated.title == "设备操作进阶"
    assert (await courses.get(training_db, code)).title == "设备操作进阶"


async def test_archiving_twice_changes_nothing(training_db):
    code = _code("ARC")
    await courses.upsert(training_db, code, data=_course())
    first = await courses.archive(training_db, code, actor="HR001")
    again = await courses.archive(training_db, code, actor="HR002")
    assert first.archived_at is not None and again.archived_at == first.archived_at


async def test_prerequisites_must_exist_and_never_lead_back(training_db):
    a, b = _code("PRE-A"), _code("PRE-B")
    with pytest.raises(UnknownCourse):
        await courses.upsert(training_db, a, data=_course(prerequisites=[b]))
    await courses.upsert(training_db, a, data=_course())
    await courses.upsert(training_db, b, data=_course(prerequisites=[a]))
    with pytest.raises(PrerequisiteCycle):
        await courses.upsert(training_db, a, data=_course(prerequisites=[b]))


async def test_taught_skills_must_exist(training_db):
    with pytest.raises(UnknownSkill):
        await courses.upsert(training_db, _code("SKL"),
                             data=_course(teaches=[{"skill_code": "NO-SUCH-SKILL", "level": 1}]))


async def test_work_is_rolled_back_after_each_test(training_db, engines):
    code = _code("GONE")
    await courses.upsert(training_db, code, data=_course())
    assert await training_db.scalar(select(Course.id).where(Course.code == code)) is not None
    async with engines["training"].connect() as other:  # another connection sees nothing
        assert (await other.execute(select(Course.id).where(Course.code == code))).first() is None
    with pytest.raises(CourseNotFound):
        await courses.get(training_db, _code("NEVER"))
