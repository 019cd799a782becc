"""Schemathesis hooks for tests/test_fuzz.py (loaded through SCHEMATHESIS_HOOKS).

A client sends one Idempotency-Key per request it means (API.md): the same key with a
different request is refused with 422 ``idempotency-key-reused``, by design. The
fuzzer draws header values from a small space and would send one key with many
different requests, which its "schema-valid request accepted" check would then count
against the API. So a schema-valid key gets a unique suffix, as a real client's key is
unique; a key the schema does not allow is left as drawn, so the negative cases still
try it.
"""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis

KEY, MAX_LENGTH = "idempotency-key", 200  # the documents' limit on the header


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    """Every call of every phase (the coverage phase applies no generation hooks)."""
    for name, value in (case.headers or {}).items():
        if name.lower() == KEY and isinstance(value, str) and len(value) <= MAX_LENGTH:
            suffix = uuid.uuid4().hex
            case.headers[name] = value[: MAX_LENGTH - len(suffix)] + suffix
