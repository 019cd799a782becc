"""One crash does not take the stack down: points_api killed with SIGKILL during a
burst of course completions is restarted by the supervisor `jifen run` uses,
the rest keeps serving, and every fact ends with its points exactly once.
(`make bench`, `python -m bench supervision`, runs the larger version: 300
completions.)"""

import threading
from datetime import UTC, datetime

from bench.supervision import burst_with_a_crash, wait_for_points, wait_until_ready
from jifen.supervisor import Restarts, Supervisor
from tests.conftest import auth
from tests.jifen.test_reconcile import run_reconcile
from tests.training_api.records import create_course, new_employee, wait_for_points_copy

HR = auth("HR001", "hr_admin")
COMPLETIONS = 40


async def test_a_killed_service_is_restarted_and_no_fact_is_lost_or_paid_twice(
        stack, gw, capsys):
    employees = [(await new_employee(gw))["employee_no"] for _ in range(4)]
    for no in employees:
        await wait_for_points_copy(gw, no)
    course = await create_course(gw, class_hours="2")
    since = datetime.now(UTC).isoformat()
    lines: list[str] = []
    supervisor = Supervisor(stack, log=lines.append)
    stopping = threading.Event()
    watcher = threading.Thread(target=supervisor.run, args=(stopping.is_set, 0.2), daemon=True)
    watcher.start()
    try:
        done, _ = await burst_with_a_crash(stack, gw, HR, employees, course["code"],
                                           completions=COMPLETIONS)
        await wait_until_ready(stack.direct_url("points") + "/points/readyz", within=180)
        facts = [d["id"] for d in done]
        paid = await wait_for_points(stack, facts, within=240)
    finally:
        stopping.set()
        watcher.join(timeout=10)
    assert set(paid.values()) == {(1, paid[facts[0]][1])}, paid  # one entry each
    port = stack.replica_ports("points")[0]
    assert any(f"points on :{port} exited (killed by SIGKILL); restarting in 1 s" in line
               for line in lines), lines
    assert any(f"points on :{port} restarted" in line for line in lines), lines
    code, out = await run_reconcile(stack, capsys, "--since", since, "--grace", "0")
    assert code == 0, out


def test_backoff_doubles_while_it_keeps_failing_and_resets_once_stable():
    class Fake:
        pg, gateway = None, None

        def __init__(self):
            self.processes = []

    supervisor = Supervisor(Fake(), log=lambda _line: None)
    assert [Restarts(failures=n).delay() for n in (1, 2, 3, 6, 7, 20)] == [1, 2, 4, 30, 30, 30]
    restarted = []
    for now in (0.0, 0.5, 1.0):  # down at 0, restart due at 1
        supervisor._watch("x", "exited", lambda at=now: restarted.append(at), now)
    assert restarted == [1.0]
    supervisor._watch("x", "exited", lambda: None, 2.0)  # down again at once
    assert supervisor.state["x"].failures == 2 and supervisor.state["x"].due == 4.0
    supervisor._watch("x", "exited", lambda: None, 4.0)
    supervisor._watch("x", None, lambda: None, 70.0)  # up for a minute: forgiven
    assert supervisor.state["x"].failures == 0
