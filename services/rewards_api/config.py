from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """rewards_api settings; every field reads from ``REWARDS_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="REWARDS_", extra="ignore")

    service_name: str = "rewards"
