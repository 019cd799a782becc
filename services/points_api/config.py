from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """points_api settings; every field reads from ``POINTS_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="POINTS_", extra="ignore")

    service_name: str = "points"
    hold_expiry_poll_seconds: float = 5.0
