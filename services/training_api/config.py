from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """training_api settings; every field reads from ``TRAINING_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="TRAINING_", extra="ignore")

    service_name: str = "training"
    import_max_bytes: int = 20 * 1024 * 1024
    # parsing an upload runs in a child process, stopped after this long (422)
    import_parse_seconds: float = 30.0
    # employee and KPI files with more data rows than this run as jobs (202 + status URL)
    import_sync_max_rows: int = Field(default=10_000, ge=0)
    # how often the colleague signals of the recommendations are rebuilt
    recommendation_refresh_seconds: float = 900
    # start the forecast worker with its numeric libraries when the service starts, so
    # that the first forecast or demand report does not wait seconds for them
    forecast_worker_warm: bool = True
    # early warning: fewer leavers than this in the training window or the held-out
    # period and the model is refused (the engagement-drop rules rank instead)
    attrition_min_train_leavers: int = Field(default=30, ge=1)
    attrition_min_holdout_leavers: int = Field(default=10, ge=1)
    # the top share of employees by risk called "high" (the digest tells their managers)
    attrition_high_risk_share: float = Field(default=0.1, gt=0, le=0.5)
    # the weekly run and digest: "left within the next N months", and how often each
    # replica looks whether this week's run and digests are done (0 turns it off)
    attrition_horizon_months: int = Field(default=3, ge=1, le=12)
    attrition_poll_seconds: float = Field(default=3600.0, ge=0)
    # durable jobs (history imports): how often an idle replica looks for one, and how
    # long a job stays with a replica that stopped beating before another takes it over
    job_poll_seconds: float = 1.0
    job_lease_seconds: float = 60.0
