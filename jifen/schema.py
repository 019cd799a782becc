"""Each service's schema as the code knows it: alembic's revisions under
``migrations/<service>/`` and running them forward against a database URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

REPO_ROOT = Path(__file__).resolve().parents[1]


def alembic_ini(service: str) -> Path:
    return REPO_ROOT / "migrations" / service / "alembic.ini"


def _scripts(service: str) -> ScriptDirectory:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config(str(alembic_ini(service)))
    config.set_main_option("script_location", str(alembic_ini(service).parent))
    config.set_main_option("path_separator", "os")
    return ScriptDirectory.from_config(config)


def code_head(service: str) -> str:
    """The newest revision of the service's migrations."""
    return _scripts(service).get_current_head() or ""


def knows(service: str, revision: str) -> bool:
    """Whether the code's migration history contains ``revision``: a database at a
    revision the code does not know has a newer schema than this code."""
    from alembic.util import CommandError

    try:
        return _scripts(service).get_revision(revision) is not None
    except CommandError:
        return False


def upgrade(envs: dict[str, dict[str, str]]) -> None:
    """Run the migrations to head of each service in ``envs``, side by side, each
    with its service's environment (its ``<SERVICE>_DATABASE_URL`` names the
    database). RuntimeError with alembic's output when one fails."""
    running = {
        service: subprocess.Popen(
            [sys.executable, "-m", "alembic", "-c", str(alembic_ini(service)), "upgrade", "head"],
            cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for service, env in envs.items()}
    failed = []
    for service, proc in running.items():
        _, err = proc.communicate()
        if proc.returncode != 0:
            failed.append(f"migrations of {service} failed:\n{err[-3000:]}")
    if failed:
        raise RuntimeError("\n".join(failed))


def upgrade_urls(urls: dict[str, str]) -> None:
    """:func:`upgrade` for database URLs, in the current environment otherwise."""
    upgrade({service: {**os.environ, f"{service.upper()}_DATABASE_URL": url}
             for service, url in urls.items()})
