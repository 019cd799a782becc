"""CSV table of the feedback list."""

from __future__ import annotations

from datetime import datetime, tzinfo

from services.training_api.feedback import schemas
from services.training_api.feedback.models import FeedbackStatus
from shared.export import CsvTable, file_name

TOPICS = {"rules": "积分规则", "courses": "课程", "rewards": "积分兑换", "other": "其他"}
STATUSES = {FeedbackStatus.OPEN: "处理中", FeedbackStatus.CLOSED: "已关闭"}


def _local(moment: datetime | None, tz: tzinfo) -> str | None:
    return None if moment is None else moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def feedback_list(items: list[schemas.Feedback], tz: tzinfo) -> CsvTable:
    """Times on the company's wall clock, as Excel users read them."""
    header = ["编号", "提交时间", "工号", "姓名", "部门编码", "部门", "类别", "对象", "内容",
              "标签", "状态", "关闭时间", "关闭人", "处理说明"]
    return CsvTable(file_name("feedback"), header, [
        [f.id, _local(f.created_at, tz), f.employee_no, f.employee_name, f.department_code,
         f.department_name, TOPICS[f.topic], f.subject, f.text, f.tags, STATUSES[f.status],
         _local(f.closed_at, tz), f.closed_by, f.resolution] for f in items])
