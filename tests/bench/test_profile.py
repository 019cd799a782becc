"""python -m bench.profile: the share of py-spy's samples by package and under our
innermost function."""

from bench.profile import report

LOOP = "run (/usr/lib/python3.11/asyncio/base_events.py:600)"
ROUTE = "app (/x/site-packages/starlette/routing.py:70)"
GET = "get (/repo/services/training_api/employees/endpoints.py:40)"
STACKS = "\n".join([
    ";".join([LOOP, ROUTE, GET, "first (/repo/shared/db.py:150)",
              "fetch (/x/site-packages/asyncpg/connection.py:600) 6"]),
    ";".join([LOOP, ROUTE, GET, "validate (/x/site-packages/pydantic/main.py:500) 3"]),
    ";".join([LOOP, "select (/usr/lib/python3.11/selectors.py:468) 1"]),
    "not a stack line",
])


def test_shares_by_package_and_by_our_function(tmp_path):
    path = tmp_path / "run.training.1.txt"
    path.write_text(STACKS)

    lines = report([path])

    assert lines[0].startswith("10 samples in run.training.1.txt")
    shares = {line.split()[0]: line.split()[-1] for line in lines[2:5]}
    assert shares == {"asyncpg": "60.0%", "pydantic": "30.0%", "python": "10.0%"}
    under = [line for line in lines if "shared/db.py:first" in line]
    assert under == ["   60.0%  shared/db.py:first  [asyncpg 60%]"]
    assert any("services/training_api/employees/endpoints.py:get" in line
               and "30.0%" in line and "pydantic 30%" in line for line in lines)
    assert any("(none of ours)" in line and "10.0%" in line for line in lines)
