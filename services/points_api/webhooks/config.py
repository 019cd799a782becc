"""Webhook delivery settings; every field reads from ``POINTS_WEBHOOK_<FIELD>``."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POINTS_WEBHOOK_", extra="ignore")

    enabled: bool = Field(True, description="Run the delivery worker in this process")
    poll_seconds: float = Field(1.0, gt=0, description="How often due deliveries are looked for")
    batch_size: int = Field(20, ge=1, le=500,
                            description="Deliveries claimed (and sent concurrently) per pass")
    timeout_seconds: float = Field(5.0, gt=0, description="Per HTTP request to a receiver")
    lease_seconds: float = Field(
        30.0, gt=0, description="How long a claimed delivery stays with its worker; a crashed "
                                "worker's claims come back after this")
    max_attempts: int = Field(15, ge=1, description="Failed attempts before a delivery is dead")
    backoff_base_seconds: float = Field(2.0, gt=0, description="Delay after the first failure")
    backoff_max_seconds: float = Field(3600.0, gt=0, description="Longest delay between attempts")
    previous_secret_valid_seconds: int = Field(
        86_400, ge=0, description="After a secret rotation, how long the old secret still signs "
                                  "(as a second signature), unless the rotation says otherwise")
    allowed_networks: list[IPv4Network | IPv6Network] = Field(
        default_factory=list,
        description="Address ranges (CIDR, a JSON list) that receivers may be in although they "
                    "are not public, for on-premise receivers; empty: public addresses only")
    resolve_timeout_seconds: float = Field(3.0, gt=0, description="DNS lookup of a receiver")
    store_response_excerpts: bool = Field(
        False, description="Keep the first 500 characters of each receiver's answer with the "
                           "attempt; off: only its status code and timing")
