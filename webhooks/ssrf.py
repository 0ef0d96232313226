"""SSRF guard for webhook URLs (OWASP API7, RELIABILITY §6).

A URL is allowed when its scheme is https (http only with settings.WEBHOOK_ALLOW_HTTP) and every
address its host resolves to is publicly routable, or lies in settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS.
The check runs at registration and again before every attempt; the sender then connects to the
address that was checked (delivery.py pins it), so a DNS answer that changes in between (rebinding)
cannot redirect a delivery. Redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Ranges Python's `is_global` lets through but no webhook should reach.
_ALSO_BLOCKED = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "192.0.0.0/24",  # IETF protocol assignments (192.0.0.9, .10 are "global" anycast, still not a webhook)
        "224.0.0.0/4",  # multicast
        "255.255.255.255/32",
        "ff00::/8",  # IPv6 multicast
        "2001::/32",  # Teredo: tunnels to an embedded IPv4 address
    )
)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class UrlNotAllowed(Exception):
    """The URL may not be called; `reason` says why in words fit for an API answer and the delivery log."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`, pinned) and what to ask for (`host` for Host and TLS SNI)."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    address: str


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDRs from settings. Raises: ValueError naming the first invalid entry."""
    networks = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP network in CIDR notation") from None
    return tuple(networks)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches through mapping, 6to4 or NAT64 (judged as that address)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def blocked_reason(address: IPAddress, allowed: tuple[IPNetwork, ...] = ()) -> str | None:
    """What kind of refused address this is ("a loopback address"), or None when it may be called."""
    if any(address.version == network.version and address in network for network in allowed):
        return None
    if isinstance(address, ipaddress.IPv6Address) and (embedded := _embedded_ipv4(address)) is not None:
        reason = blocked_reason(embedded, allowed)
        return f"{reason} (it embeds {embedded})" if reason else None
    kind = None
    if address.is_unspecified:
        kind = "an unspecified"
    elif address.is_loopback:
        kind = "a loopback"
    elif address.is_link_local:
        kind = "a link-local (cloud metadata)"
    elif address.is_multicast or any(address.version == n.version and address in n for n in _ALSO_BLOCKED):
        kind = "a multicast or reserved"
    elif address.is_private:
        kind = "a private"
    elif address.is_reserved or not address.is_global:
        kind = "a reserved, not publicly routable"
    return f"{kind} address" if kind else None


def _allowed_networks() -> tuple[IPNetwork, ...]:
    return parse_networks(settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS)


def _split(url: str, *, allow_http: bool) -> tuple[str, str, int, str]:
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise UrlNotAllowed("The URL must not contain whitespace or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UrlNotAllowed("The URL cannot be parsed.") from None
    scheme = parts.scheme.lower()
    allowed_schemes = ("https", "http") if allow_http else ("https",)
    if scheme not in allowed_schemes:
        raise UrlNotAllowed("Only https:// URLs are allowed." if not allow_http else "Only http(s):// URLs.")
    if parts.username is not None or parts.password is not None:
        raise UrlNotAllowed("The URL must not contain credentials; authenticate deliveries by their signature.")
    if parts.fragment:
        raise UrlNotAllowed("The URL must not contain a fragment (#…).")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UrlNotAllowed("The URL has no host.")
    if ":" not in host:  # not an IPv6 literal: an internationalised name travels as its IDNA form
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise UrlNotAllowed("The URL's host name is not valid.") from None
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    port = port or (443 if scheme == "https" else 80)
    allowed_ports = [str(p).strip() for p in settings.WEBHOOK_ALLOWED_PORTS]
    if "*" not in allowed_ports and str(port) not in allowed_ports:
        # Other ports reach services that were never meant for the internet (mail, databases, admin consoles).
        raise UrlNotAllowed(f"Port {port} is not allowed; webhooks go to port {' or '.join(allowed_ports)}.")
    return scheme, host, port, path


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to (an IP literal resolves to itself). Raises: UrlNotAllowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise UrlNotAllowed(f"The host {host!r} does not resolve.") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])  # drop an IPv6 zone id
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UrlNotAllowed(f"The host {host!r} does not resolve.")
    return addresses


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_url(url: str) -> Target:
    """Resolve the URL's host and check every address; returns the target to connect to.

    Raises: UrlNotAllowed with the reason (scheme, credentials, a refused address, no DNS answer).
    """
    scheme, host, port, path = _split(url, allow_http=settings.WEBHOOK_ALLOW_HTTP)
    allowed = _allowed_networks()
    addresses = resolve(host, port)
    for address in addresses:
        # Every answer must pass: a name resolving to a public and a private address is refused.
        if reason := blocked_reason(address, allowed):
            what = f"{host} is" if _is_literal(host) else f"{host} resolves to {address},"
            raise UrlNotAllowed(f"{what} {reason}; webhooks may only call public addresses.")
    return Target(scheme=scheme, host=host, port=port, path=path, address=str(addresses[0]))
