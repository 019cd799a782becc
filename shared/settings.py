"""Settings base shared by the three services.

Each service subclasses :class:`ServiceSettings` with its own env prefix
(``TRAINING_``, ``POINTS_``, ``REWARDS_``). Development defaults exist so that
``make run`` works on a fresh clone; outside ``environment=development`` the
services refuse to start while any of them is still in place.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Clearly marked development-only defaults (shared.defaults, also read by the jifen
# command). A service started with environment != "development" refuses to run while
# one of these is in use.
from shared.defaults import (  # noqa: F401 (re-exported)
    DEFAULT_PORTS,
    DEV_DATABASE_HOST,
    DEV_JWT_SECRET,
    dev_database_url,
)


class InsecureSettingsError(RuntimeError):
    """Raised when a non-development deployment still uses a development secret."""


class ServiceSettings(BaseSettings):
    """Settings every service shares. Subclasses set ``service_name`` and the env prefix."""

    model_config = SettingsConfigDict(extra="ignore", env_file=None)

    service_name: str = "service"
    environment: str = Field("development", description="development, test, staging or production")
    database_url: str = ""
    concurrency: int = Field(
        32, ge=1, le=1000,
        description="requests one process serves at once under full load: sizes the database "
                    "pool (warmed at start) and the keep-alive pool of calls to peers")
    db_pool_size: int | None = Field(
        None, ge=1, description="connections kept open; default: concurrency + 4 (the relay "
                                "and background jobs)")
    db_max_overflow: int = 4

    jwt_secret: str = DEV_JWT_SECRET
    jwt_algorithms: list[str] = ["HS256"]
    jwt_issuer: str = "jifen"
    jwt_audience: str = "jifen"
    service_token_ttl_seconds: int = 300

    timezone: str = "Asia/Shanghai"

    training_url: str = f"http://127.0.0.1:{DEFAULT_PORTS['training']}"
    points_url: str = f"http://127.0.0.1:{DEFAULT_PORTS['points']}"
    rewards_url: str = f"http://127.0.0.1:{DEFAULT_PORTS['rewards']}"
    peer_timeout_seconds: float = 5.0
    feedback_budget_seconds: float = 0.8

    outbox_enabled: bool = True
    outbox_poll_seconds: float = 1.0
    outbox_batch_size: int = 100
    outbox_max_attempts: int = 12
    outbox_backoff_base_seconds: float = 1.0
    outbox_backoff_max_seconds: float = 300.0

    idempotency_ttl_hours: int = 48
    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _fill_and_check(self) -> ServiceSettings:
        if not self.database_url:
            if self.environment != "development" and self.environment != "test":
                raise InsecureSettingsError(
                    f"{self.service_name}: a database URL must be configured outside development"
                )
            self.database_url = dev_database_url(self.service_name)
        if self.environment not in ("development", "test") and self.jwt_secret == DEV_JWT_SECRET:
            raise InsecureSettingsError(
                f"{self.service_name}: refusing to start in {self.environment!r} with the "
                "development JWT secret; set the JWT secret setting"
            )
        ZoneInfo(self.timezone)  # fail fast on a typo
        if self.db_pool_size is None:
            self.db_pool_size = self.concurrency + 4
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
