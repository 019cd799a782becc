"""Each service's migrations form one line: parallel branches that both added a
migration must re-point one of them, or ``alembic upgrade head`` refuses to start."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("service", ["training", "points", "rewards"])
def test_one_head_and_unique_revisions(service):
    folder = ROOT / "migrations" / service
    config = Config(str(folder / "alembic.ini"))
    config.set_main_option("script_location", str(folder))
    script = ScriptDirectory.from_config(config)
    revisions = list(script.walk_revisions())
    assert len(script.get_heads()) == 1, script.get_heads()
    assert len({r.revision for r in revisions}) == len(list((folder / "versions").glob("*.py")))
