"""openapi/*.json are exported from the code: they must match it and be valid."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from jifen.openapi import documents, render

ROOT = Path(__file__).resolve().parents[1]
DOCS = documents()


@pytest.mark.parametrize("name", sorted(DOCS))
def test_exported_document_matches_the_code(name):
    path = ROOT / "openapi" / f"{name}.json"
    assert path.exists(), f"{path} missing: run `make openapi`"
    assert path.read_text(encoding="utf-8") == render(DOCS[name]), (
        f"{path.name} drifted from the code: run `make openapi` and commit"
    )


@pytest.mark.parametrize("name", sorted(DOCS))
def test_document_is_valid_openapi(name):
    validate(json.loads(render(DOCS[name])))


@pytest.mark.parametrize("name", sorted(DOCS))
def test_every_operation_is_documented(name):
    for path, item in DOCS[name]["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            assert op.get("operationId"), f"{where}: operationId"
            assert op.get("summary"), f"{where}: summary"
            assert op.get("description"), f"{where}: docstring"
            if not path.endswith(("/healthz", "/readyz")):
                assert any(code.startswith("4") for code in op["responses"]), f"{where}: errors"


@pytest.mark.parametrize("name", sorted(DOCS))
def test_every_schema_has_a_name_of_its_own(name):
    """Two models of one name in different modules make FastAPI spell them by module
    path, and client generators refuse the second model."""
    clashes = [n for n in DOCS[name]["components"]["schemas"] if "__" in n]
    assert not clashes, f"rename one model of each pair: {clashes}"


@pytest.mark.parametrize("name", sorted(DOCS))
def test_a_client_generates_without_a_warning(name, tmp_path):
    """Mobile teams generate their clients from these documents; openapi-python-client
    drops (with a warning) whatever it cannot map, so a warning is a missing piece."""
    generator = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
    assert generator, "openapi-python-client is a development dependency: run `make venv`"
    config = tmp_path / "config.yaml"
    config.write_text("post_hooks: []\n", encoding="utf-8")  # no formatter run: not needed
    done = subprocess.run(
        [generator, "generate", "--path", str(ROOT / "openapi" / f"{name}.json"),
         "--output-path", str(tmp_path / "client"), "--meta", "none", "--config", str(config)],
        capture_output=True, text=True, timeout=600)
    said = done.stdout + done.stderr
    assert done.returncode == 0 and "warning" not in said.lower(), said[-5000:]


GATEWAY_STATUSES = {"400", "413", "414", "429", "431", "502", "503", "504"}


@pytest.mark.parametrize("name", sorted(DOCS))
def test_every_error_answer_is_a_declared_problem(name):
    """Each operation declares the gateway's own errors, 401/403 when it needs a token,
    404 for a resource in its path, 415/422 when it takes data; every 4xx/5xx it
    declares is the one Problem schema as application/problem+json."""
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, item in DOCS[name]["paths"].items():
        for method, op in item.items():
            where, declared = f"{method.upper()} {path}", set(op["responses"])
            expected = set(GATEWAY_STATUSES)
            expected |= {"401", "403"} if op.get("security") else set()
            expected |= {"404"} if "{" in path else set()
            expected |= {"415", "422"} if op.get("requestBody") else set()
            expected |= {"422"} if op.get("parameters") else set()
            assert expected <= declared, f"{where}: {sorted(expected - declared)}"
            for status, answer in op["responses"].items():
                if int(status) >= 400:
                    assert answer.get("content") == problem, f"{where} {status}"
