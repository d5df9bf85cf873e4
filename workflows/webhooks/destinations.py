"""Where webhooks may go: the checks against server-side request forgery.

Destinations are checked when a subscription is added and again at every attempt, against the
addresses its name resolves to then; the attempt connects to the address that was checked
(delivery.py: the name is not looked up twice, so a DNS answer that changes in between, DNS
rebinding, cannot smuggle in an internal address), sending the name in `Host` and in TLS's SNI,
where the certificate is checked against it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

MAX_URL_LENGTH = 2000


class DestinationRefused(Exception):
    """A URL the portal will not send to; the message says why."""


_SHARED = ipaddress.ip_network("100.64.0.0/10")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")


def refusal(address: str) -> str | None:
    """Why webhooks may not go to this address (None: they may): loopback, private, link-local,
    unique-local, shared, unspecified, multicast or reserved, an IPv4 address inside IPv6 too."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and (inner := ip.ipv4_mapped or ip.sixtofour):
        reason = refusal(str(inner))
        return f"{reason}, inside the IPv6 address {ip}" if reason else None
    kinds = (
        ("an unspecified", ip.is_unspecified),
        ("a loopback", ip.is_loopback),
        ("a link-local", ip.is_link_local),
        ("a shared (100.64.0.0/10, carrier-grade NAT)", ip in _SHARED),
        ("a unique-local", ip in _UNIQUE_LOCAL),
        ("a private", ip.is_private),
        ("a multicast", ip.is_multicast),
        ("a reserved", ip.is_reserved),
        ("no public", not ip.is_global),
    )
    for kind, hit in kinds:
        if hit:
            return f"{ip} is {kind} address"
    return None


@dataclass(frozen=True)
class Destination:
    url: httpx.URL
    host: str  # the name as DNS and TLS know it (IDNA)
    addresses: tuple[str, ...]


def parse_url(raw: str) -> httpx.URL:
    if len(raw) > MAX_URL_LENGTH:
        raise DestinationRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        url = httpx.URL(raw)
    except httpx.InvalidURL as error:
        raise DestinationRefused(f"{raw!r} is not a URL: {error}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise DestinationRefused(f"{raw!r} is not an http:// or https:// URL")
    if url.userinfo:
        raise DestinationRefused("a URL with a user name or password is not accepted: the signature authenticates")
    if url.fragment:
        raise DestinationRefused("a URL with a #fragment is not accepted")
    return url


async def resolve(raw: str | httpx.URL, *, allow_private: bool) -> Destination:
    """The URL's name resolved now, every address checked; DestinationRefused says why not."""
    url = raw if isinstance(raw, httpx.URL) else parse_url(raw)
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise DestinationRefused(f"{host} does not resolve: {getattr(error, 'strerror', None) or error}") from None
    addresses = tuple(dict.fromkeys(sockaddr[0] for *_, sockaddr in found))
    if not allow_private:
        for address in addresses:
            if reason := refusal(address):
                raise DestinationRefused(
                    f"{host} resolves to {address}: {reason}, where webhooks are not sent "
                    "(PORTAL_WEBHOOK_ALLOW_PRIVATE=1 allows it)"
                )
    if not addresses:
        raise DestinationRefused(f"{host} does not resolve")
    return Destination(url, host, addresses)
