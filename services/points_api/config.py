from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """points_api settings; every field reads from ``POINTS_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="POINTS_", extra="ignore")

    service_name: str = "points"
    hold_expiry_poll_seconds: float = 5.0
    # honours job: looks for closed, unprocessed months and years (0 turns it off)
    honours_poll_seconds: float = 300.0
    # days after a period's end during which facts dated in it are still expected (an
    # offline phone syncing, a nightly LMS batch); the job closes the period after them
    honours_late_arrival_days: float = Field(default=3.0, ge=0, le=60)
    # milestone sweep: certifications and eligibility after changes outside the
    # earning path (HR adjustments, new certifications) (0 turns it off)
    milestone_sweep_seconds: float = 60.0
    # how long training_api's answer about an employee's skills is reused on reads
    skills_cache_seconds: float = 30.0
