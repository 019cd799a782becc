"""The generated demo plant (jifen.demo_plant, with its planted fading-engagement
signal) as the history the attrition indicators are computed from, without a
database: the records, survey answers and directory ``jifen demo`` would load."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pandas as pd

from jifen import demo, demo_plant
from services.training_api.attrition.indicators import History

SHANGHAI = timezone(timedelta(hours=8))


def plant_history(today: date, *, seed: int = 2026, employees: int = 1500) -> History:
    timeline = demo_plant.Timeline(today, SHANGHAI)
    plant = demo_plant.plant(seed, timeline, employees)
    staff = pd.DataFrame([{
        "employee_no": e.no, "department_code": e.department, "hired_on": e.hired_on,
        "left_on": e.left_on, "status": "left" if e.left_on else "active"}
        for e in plant.employees])
    records = []
    for _, body in plant.facts:
        when = next(v for k, v in body.items() if k.endswith("_at"))
        failed = body.get("score", 100) < 60 or body.get("passed") is False
        records.append({"employee_no": body["employee_no"], "failed": failed,
                        "day": datetime.fromisoformat(when).astimezone(SHANGHAI).date()})
    answers = []
    for _, path, request in demo.answers(seed, timeline, plant.employees):
        body = request["json"]
        if "AP-SAT" not in path:
            continue
        given = {a["question"]: a for a in body["answers"]}
        answers.append({
            "employee_no": body["employee_no"],
            "day": datetime.fromisoformat(body["answered_at"]).astimezone(SHANGHAI).date(),
            "satisfaction": (given[1]["scale"] + given[2]["scale"]) / 2,
            "willing": 1.0 if given[3]["choice"] == "yes" else 0.0})
    return History(employees=staff, records=pd.DataFrame(records),
                   answers=pd.DataFrame(answers))
