"""Export the three services' OpenAPI documents to ``openapi/``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def documents() -> dict[str, dict[str, Any]]:
    from services.points_api.main import create_app as points_app
    from services.rewards_api.main import create_app as rewards_app
    from services.training_api.main import create_app as training_app

    return {
        "training": training_app().openapi(),
        "points": points_app().openapi(),
        "rewards": rewards_app().openapi(),
    }


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def export(out: Path, *, check: bool = False) -> list[str]:
    """Write (or with ``check`` only compare) the documents; returns the names that differ."""
    out.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, doc in documents().items():
        path = out / f"{name}.json"
        text = render(doc)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            changed.append(path.name)
            if not check:
                path.write_text(text, encoding="utf-8")
    return changed
