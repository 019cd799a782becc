"""openapi/*.json are exported from the code: they must match it and be valid."""

import json
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
