"""The OpenAPI documents are exactly true: schemathesis, a fuzzer nobody here wrote,
drives every operation through the gateway with all of its checks (server errors,
undeclared statuses and content types, responses off their schema, schema-invalid
requests accepted, schema-valid requests refused, methods, authentication...), as HR
and as an employee (a hostile caller has such a token too).

In ``make test`` the budget is small and generation deterministic, so every change is
fuzzed the same way in about a minute: every operation, as HR, in the fuzzing and
stateful phases with a few examples each. ``make fuzz`` runs the same test with the
budget of a real search: every phase (the coverage phase tries each boundary and each
kind of invalid value of every parameter), as HR and as an employee, 25 examples an
operation (``JIFEN_FUZZ_EXAMPLES``, ``JIFEN_FUZZ_SEED``, ``JIFEN_FUZZ_PHASES``,
``JIFEN_FUZZ_ROLES``), and checks that every answer comes within 10 seconds
(``JIFEN_FUZZ_TIMING=1``). The three documents are fuzzed side by side (the fuzzer
mostly waits for answers), one role after the other. The fuzzer writes random data
as HR, so this module runs last in a session (conftest.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_token

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ("training", "points", "rewards")
EXAMPLES = os.environ.get("JIFEN_FUZZ_EXAMPLES", "3")
PHASES = os.environ.get("JIFEN_FUZZ_PHASES", "fuzzing,stateful")
SEED = os.environ.get("JIFEN_FUZZ_SEED")  # unset: deterministic generation
ROLES = os.environ.get("JIFEN_FUZZ_ROLES", "hr_admin").split(",")
# "all" checks include max_response_time, 10 s an answer; make test gives answers as
# long as the request timeout instead (a 10 s bound would fail on a loaded machine,
# not on a defect), make fuzz keeps the 10 s.
TIMING = os.environ.get("JIFEN_FUZZ_TIMING") == "1"
REQUEST_TIMEOUT = "60"  # as long as the gateway waits for a service
SUBJECTS = {"hr_admin": "HR001"}  # other roles: a subject that is nobody's record
# tests/fuzz_hooks.py: a unique Idempotency-Key per request, as a real client sends
HOOKS_ENV = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz_hooks",
             "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                         os.environ.get("PYTHONPATH")]))}


def fuzz_config(role: str, folder: Path) -> Path:
    """The role's token as the documents' bearer scheme (not a header on every request),
    so the fuzzer can also send requests without it and expect 401."""
    token = make_token(SUBJECTS.get(role, "FUZZ-0001"), role)
    path = folder / f"schemathesis-{role}.toml"
    path.write_text(f'[auth.openapi.HTTPBearer]\nbearer = "{token}"\n', encoding="utf-8")
    return path


def fuzz_command(document: str, config: Path, gateway_url: str) -> list[str]:
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert found, "schemathesis is a development dependency: run `make venv`"
    return [
        found, "--config-file", str(config), "run", str(ROOT / "openapi" / f"{document}.json"),
        "--url", gateway_url,
        "--checks", "all",
        *([] if TIMING else ["--max-response-time", REQUEST_TIMEOUT]),
        "--phases", PHASES,
        "--max-examples", EXAMPLES,
        *(["--seed", SEED] if SEED else ["--generation-deterministic"]),
        "--workers", "1",  # hypothesis' lambda descriptions are not thread-safe
        "--request-timeout", REQUEST_TIMEOUT,
        "--no-color",
    ]


@pytest.mark.fuzz
def test_the_documents_hold_under_fuzzing(stack, tmp_path):
    failed = []
    for role in ROLES:  # the documents side by side, one role after the other
        config = fuzz_config(role, tmp_path)
        runs = {}
        for document in DOCUMENTS:
            out = tmp_path / f"{document}-{role}.txt"
            with out.open("w", encoding="utf-8") as sink:
                runs[document] = (out, subprocess.Popen(
                    fuzz_command(document, config, stack.gateway_url), cwd=tmp_path,
                    env=HOOKS_ENV, stdout=sink, stderr=subprocess.STDOUT, text=True))
        for document, (out, process) in runs.items():
            process.wait(timeout=3600)
            if process.returncode != 0:
                text = out.read_text(encoding="utf-8")
                report = text[text.find("== FAILURES =="):] if "== FAILURES ==" in text else text
                failed.append(f"--- {document} as {role} ---\n{report[-12000:]}")
    assert not failed, "\n".join(failed)
