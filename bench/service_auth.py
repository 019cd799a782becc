"""The cost of service credentials per call, measured in-process (no stack): the
callee's check of a service token with its Ed25519 signature verified every time
(what every internal call paid before the cache) against the cached check, and the
caller minting a token per call against reusing it (what ServiceCredentials does).
CPU microseconds per call from ``time.process_time``, best of five rounds."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from shared import service_auth
from shared.service_auth import (
    DEV_SERVICE_KEYS,
    DEV_SERVICE_PUBLIC_KEYS,
    ServiceCredentials,
    mint_service_token,
    verify_service_token,
)

CALLS = 20_000


def cpu_us_per_call(call: Callable[[], object], calls: int = CALLS) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        for _ in range(calls):
            call()
        best = min(best, time.process_time() - started)
    return best / calls * 1e6


class _Settings:
    service_name = "training"
    service_key = DEV_SERVICE_KEYS["training"]


def figures() -> dict[str, float]:
    keys = {"training": DEV_SERVICE_PUBLIC_KEYS["training"]}
    token = mint_service_token(key=DEV_SERVICE_KEYS["training"], caller="training",
                               audience="points")
    credentials = ServiceCredentials(_Settings(), "points")
    request = httpx.Request("POST", "http://points/points/v1/internal/events")

    def sign_reused() -> None:
        next(credentials.auth_flow(request))

    verify_service_token(token, audience="points", public_keys=keys)  # fills the cache
    return {
        "verify_every_call": cpu_us_per_call(
            lambda: service_auth._verify(token, audience="points", public_keys=keys),
            CALLS // 10),
        "verify_cached": cpu_us_per_call(
            lambda: verify_service_token(token, audience="points", public_keys=keys)),
        "mint_every_call": cpu_us_per_call(
            lambda: mint_service_token(key=DEV_SERVICE_KEYS["training"], caller="training",
                                       audience="points"), CALLS // 10),
        "mint_reused": cpu_us_per_call(sign_reused),
    }


def run(_stack: object = None) -> list[str]:
    f = figures()
    return [
        f"callee, per call: {f['verify_every_call']:.1f} µs CPU verifying the signature "
        f"each time, {f['verify_cached']:.2f} µs from the cache "
        f"({f['verify_every_call'] / f['verify_cached']:.0f}x less)",
        f"caller, per call: {f['mint_every_call']:.1f} µs CPU minting each time, "
        f"{f['mint_reused']:.2f} µs reusing the token "
        f"({f['mint_every_call'] / f['mint_reused']:.0f}x less)",
    ]
