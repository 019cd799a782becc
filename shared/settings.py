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
from shared.service_auth import (
    DEV_SERVICE_KEYS,
    DEV_SERVICE_PUBLIC_KEYS,
    SERVICES,
    private_key,
    public_key,
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
    service_key: str = Field(
        "", description="This service's Ed25519 key (base64url) that signs its calls to peers; "
                        "development: a marked development key")
    service_public_keys: dict[str, str] = Field(
        default_factory=dict,
        description="Public keys of the services that may call this one, by service name (a "
                    "JSON object); development: the development keys' public halves")

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
        self._fill_and_check_service_keys()
        ZoneInfo(self.timezone)  # fail fast on a typo
        if self.db_pool_size is None:
            self.db_pool_size = self.concurrency + 4
        return self

    def _fill_and_check_service_keys(self) -> None:
        """Development falls back to the marked development keys; anywhere else a
        missing key or one of those is refused, since anyone can compute them."""
        development = self.environment in ("development", "test")
        if not self.service_key and development:
            self.service_key = DEV_SERVICE_KEYS.get(self.service_name, "")
        if not self.service_public_keys and development:
            self.service_public_keys = dict(DEV_SERVICE_PUBLIC_KEYS)
        if not development:
            where = f"{self.service_name}: refusing to start in {self.environment!r}"
            if not self.service_key or self.service_key in DEV_SERVICE_KEYS.values():
                raise InsecureSettingsError(
                    f"{where} without a service key of its own; set the SERVICE_KEY setting "
                    "(`jifen service-keys` makes a set)")
            if not self.service_public_keys:
                raise InsecureSettingsError(
                    f"{where} without SERVICE_PUBLIC_KEYS: no peer could call it")
            if set(self.service_public_keys.values()) & set(DEV_SERVICE_PUBLIC_KEYS.values()):
                raise InsecureSettingsError(
                    f"{where} while SERVICE_PUBLIC_KEYS trusts a development key")
        if self.service_key:
            private_key(self.service_key)  # fail fast on a malformed key
        unknown = set(self.service_public_keys) - set(SERVICES)
        if unknown:
            raise ValueError(f"SERVICE_PUBLIC_KEYS names unknown services {sorted(unknown)}")
        for key in self.service_public_keys.values():
            public_key(key)

    @classmethod
    def migration_database_url(cls) -> str:
        """The database URL from this service's environment, without the rest of its
        settings: a migration step needs no signing keys, so it is given none."""
        prefix = cls.model_config.get("env_prefix", "")

        class DatabaseOnly(BaseSettings):
            model_config = SettingsConfigDict(env_prefix=prefix, extra="ignore")
            database_url: str = ""

        service = cls.model_fields["service_name"].default
        return DatabaseOnly().database_url or dev_database_url(service)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
