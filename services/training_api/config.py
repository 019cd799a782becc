from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """training_api settings; every field reads from ``TRAINING_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="TRAINING_", extra="ignore")

    service_name: str = "training"
    import_max_bytes: int = 20 * 1024 * 1024
    # how often the colleague signals of the recommendations are rebuilt
    recommendation_refresh_seconds: float = 900
