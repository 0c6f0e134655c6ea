"""Which webhook URLs may be called (SSRF): checked when saved and again before each send."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

URL_NOT_HTTPS = "Url must start with https://"
URL_INVALID = "Url is invalid"
URL_PRIVATE = "Url must not point to a private, loopback or link-local address"

_BLOCKED_HOSTNAMES = ("localhost", "metadata.google.internal", "metadata")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(Exception):
    """The URL may not be called; `message` is the wire error string."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class HostUnresolvable(Exception):
    """The host has no address right now: a connection error (retried), not a refusal."""


def _allow_private() -> bool:
    return bool(settings.WEBHOOK_ALLOW_PRIVATE_URLS)


def address_allowed(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # Link-local covers the cloud metadata address (169.254.169.254); never allowed.
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return False
    if _allow_private():
        return True
    # is_global also excludes shared (100.64/10), documentation and benchmarking ranges.
    return ip.is_global and not ip.is_private and not ip.is_loopback


def url_check_shape(url: str) -> tuple[str, int]:
    """Scheme and host rules that need no DNS; returns (host, port). Raises UnsafeUrl."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UnsafeUrl(URL_INVALID) from None
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and _allow_private()):
        raise UnsafeUrl(URL_NOT_HTTPS)
    host = (parts.hostname or "").rstrip(".").lower()
    if not host or parts.username or parts.password:
        raise UnsafeUrl(URL_INVALID)
    if not _allow_private() and (
        host in _BLOCKED_HOSTNAMES or host.endswith((".localhost", ".internal", ".local"))
    ):
        raise UnsafeUrl(URL_PRIVATE)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and not address_allowed(literal):
        raise UnsafeUrl(URL_PRIVATE)
    return host, port or (443 if scheme == "https" else 80)


def url_check(url: str, *, require_resolution: bool) -> None:
    """Refuse URLs whose host is or resolves to a forbidden address.

    At save time a name that does not resolve (yet) is accepted: it cannot reach anything,
    and the send-time check (`require_resolution=True`) refuses it then. A name is refused
    if ANY of its addresses is forbidden, since the client may connect to any of them.
    """
    host, port = url_check_shape(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        if require_resolution:
            raise HostUnresolvable(host) from None
        return
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address_allowed(ip):
            raise UnsafeUrl(URL_PRIVATE)
