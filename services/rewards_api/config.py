from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """rewards_api settings; every field reads from ``REWARDS_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="REWARDS_", extra="ignore")

    service_name: str = "rewards"

    approval_window_hours: float = Field(
        168, gt=0, description="How long a redemption that needs approval holds its points "
                               "(the approver's deadline); then it expires")
    instant_hold_minutes: float = Field(
        15, gt=0, description="Expiry of the hold of a redemption without approval; it is "
                              "captured at once, so this only matters when points_api is down")
    capture_margin_seconds: float = Field(
        120, ge=0, description="Approval is refused this close to the hold's expiry, so that the "
                               "capture reaches points_api before the hold releases itself")
    sweep_interval_seconds: float = Field(
        2.0, gt=0, description="How often expired approvals, interrupted redemptions and holds "
                               "of unknown fate are looked at")
    reserving_grace_seconds: float = Field(
        20.0, gt=0, description="A redemption still reserving after this long was interrupted "
                                "(its process died between the hold and the outcome); the "
                                "sweeper asks points_api what became of the hold")
    webhooks_enabled: bool = Field(
        True, description="Send fulfilment events (leave.granted, subsidy.granted, "
                          "voucher.issued, redemption.fulfilled) to the webhook dispatcher. "
                          "They are recorded in integration_event either way")
    webhooks_url: str = Field(
        "", description="Base URL of another webhook dispatcher; empty means points_api, "
                        "which sends webhooks for every service")
    webhooks_path: str = Field("/points/v1/internal/events",
                               description="Event endpoint of that other dispatcher")
    voucher_import_max_bytes: int = 10 * 1024 * 1024
    voucher_import_max_codes: int = 50_000
