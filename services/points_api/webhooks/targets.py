"""Where webhooks may go: a receiver must be a public address, never one of our
own or one inside the network points_api runs in (server-side request forgery).

A URL's host is resolved the way the operating system would resolve it
(``getaddrinfo``), so every numeric spelling (``2130706433``, ``0x7f000001``,
``0177.0.0.1``, ``127.1``, ``[::ffff:127.0.0.1]``) and every name that points
inward is judged by the address it really reaches. Every address a name
resolves to must be acceptable, and the delivery then connects to the address
that was checked, not to a second lookup, so a name that changes its answer
between the check and the connection (DNS rebinding) cannot slip through.

Addresses refused: loopback, private, link-local, multicast, reserved,
unspecified and anything else not globally routable, for IPv4 and IPv6,
including IPv4 addresses carried inside IPv6 ones (mapped, 6to4, Teredo,
NAT64). HR can allow ranges for on-premise receivers with
``POINTS_WEBHOOK_ALLOWED_NETWORKS``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LOOPBACK_NAMES = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))


class TargetRefused(Exception):
    """The URL reaches an address webhooks may not be sent to."""


class TargetUnresolved(Exception):
    """The URL's host name does not resolve (now)."""


@dataclass(frozen=True)
class Target:
    """A vetted receiver: the address to connect to and what the request must
    still say about the name it was addressed to."""

    url: httpx.URL  # the original URL with its host replaced by the checked address
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


def _embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries, which is where it really leads."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found = [address.ipv4_mapped, address.sixtofour]
    if address.teredo:
        found.extend(address.teredo)
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [a for a in found if a is not None]


def _kind(address: IPAddress) -> str | None:
    """Why an address is not a public one, or None when it is."""
    for label, flag in (("unspecified", address.is_unspecified),
                        ("loopback", address.is_loopback),
                        ("link-local", address.is_link_local),
                        ("multicast", address.is_multicast),
                        ("private", address.is_private),
                        ("reserved", address.is_reserved)):
        if flag:
            return label
    return None if address.is_global else "not globally routable"


def refusal(address: IPAddress, allowed: Sequence[Network]) -> str | None:
    """Why webhooks may not go to ``address``, or None when they may. An address in
    an allowed network is accepted whatever its kind."""
    candidates = [address, *_embedded_ipv4(address)]
    if any(c in net for c in candidates for net in allowed if c.version == net.version):
        return None
    for candidate in reversed(candidates):  # what an IPv6 address carries says most
        kind = _kind(candidate)
        if kind is not None:
            return kind if candidate == address else f"{kind}, as {candidate}"
    return None


async def resolve(host: str, port: int, *, within: float) -> list[IPAddress]:
    """Every address ``host`` leads to, in the order the resolver gives them."""
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):  # RFC 6761: always loopback
        return list(_LOOPBACK_NAMES)
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP),
            within)
    except (OSError, UnicodeError, TimeoutError) as exc:
        raise TargetUnresolved(f"{host} does not resolve: {exc}") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise TargetUnresolved(f"{host} does not resolve to any address")
    return list(dict.fromkeys(addresses))


def _checked(host: str, addresses: Iterable[IPAddress], allowed: Sequence[Network]) -> IPAddress:
    addresses = list(addresses)
    for address in addresses:
        reason = refusal(address, allowed)
        if reason is not None:
            # a name's answer is not repeated: the check must not tell a subscriber
            # what the internal network's names resolve to
            shown = (f"{host} is not a public address" if host == str(address)
                     else f"{host} resolves to an address that is not public")
            raise TargetRefused(f"{shown} ({reason}); webhooks go to public addresses or to "
                                "ranges the operator allows")
    return addresses[0]


async def vet(url: str, *, allowed: Sequence[Network], within: float) -> Target:
    """The connection to make for ``url``. Raises TargetRefused when the host is or
    resolves to a forbidden address, TargetUnresolved when it does not resolve."""
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise TargetRefused(f"the URL cannot be sent to: {exc}") from exc
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    address = _checked(host, await resolve(host, port, within=within), allowed)
    extensions: dict[str, Any] = {}
    if parsed.scheme == "https":
        extensions["sni_hostname"] = host  # the certificate is checked against the name
    return Target(url=parsed.copy_with(host=str(address)),
                  headers={"Host": parsed.netloc.decode("ascii")}, extensions=extensions)
