"""Which webhook URLs may be called (SSRF): checked when saved and again before each send.

A URL is parsed and normalised once (`url_parse`: IDNA, case, trailing dot, numeric IPv4
forms); a host that would read differently to another parser (percent-escapes, backslashes,
zone ids, anything but letters, digits, dots and dashes) is refused, not guessed at. Before
an attempt the host is resolved once (`target_resolve`), every address it has is checked,
and the request is then sent to the first of those very addresses (pinned: see
`webhooks.services.transport`), so a DNS answer that changes between the check and the
connection (rebinding) cannot send it elsewhere.

Tests replace `resolver` (a function of host and port) to answer without DNS.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna
from django.conf import settings

URL_NOT_HTTPS = "Url must start with https://"
URL_INVALID = "Url is invalid"
URL_PRIVATE = "Url must not point to a private, loopback or link-local address"

_BLOCKED_HOSTNAMES = ("localhost", "metadata.google.internal", "metadata")
_BLOCKED_SUFFIXES = (".localhost", ".internal", ".local")
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 ranges that carry an IPv4 address and reach it: judged as that IPv4 address.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052, the well-known prefix
_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # RFC 2765 (SIIT)
# Refused whatever they carry: deprecated or obsolete transition mechanisms (6to4, Teredo,
# IPv4-compatible), and NAT64's local-use prefix, whose IPv4 position only its network knows.
_REFUSED_V6 = (
    ipaddress.IPv6Network("2002::/16"),  # 6to4, RFC 3056 (deprecated, RFC 7526)
    ipaddress.IPv6Network("2001::/32"),  # Teredo, RFC 4380
    ipaddress.IPv6Network("64:ff9b:1::/48"),  # NAT64 local use, RFC 8215
    ipaddress.IPv6Network("fec0::/10"),  # site-local (deprecated; Python counts it global)
)
# IPv4-compatible addresses (RFC 4291 §2.5.5.1, deprecated), refused too: ::/96 but for
# the unspecified address and loopback, which are judged as themselves.
_COMPATIBLE = ipaddress.IPv6Network("::/96")
_ISATAP_IDS = (0x00005EFE, 0x02005EFE)  # RFC 5214: the interface id embeds an IPv4 address
_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")  # "0.x" connects to this host on Linux


class UnsafeUrl(Exception):
    """The URL may not be called; `message` is the wire error string."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class HostUnresolvable(Exception):
    """The host has no address right now: a connection error (retried), not a refusal."""


@dataclass(frozen=True)
class WebhookUrl:
    """A parsed, normalised URL: what is checked is what is connected to and sent."""

    scheme: str  # "https" or "http"
    host: str  # lower-case ASCII (IDNA A-labels), no trailing dot; or an IP address
    port: int
    target: str  # path and query, as sent on the request line ("/" at least)
    ip: IPAddress | None  # the host, when it is an IP address

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if isinstance(self.ip, ipaddress.IPv6Address) else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class Target:
    """Where one attempt goes: the URL and the checked address it is pinned to."""

    url: WebhookUrl
    ip: IPAddress

    @property
    def is_private(self) -> bool:
        """Not a public address (reachable only because WEBHOOK_ALLOW_PRIVATE_URLS is on)."""
        return not _is_public(self.ip)


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses of `host`, in the order the system prefers them."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


# The seam for tests (a fake resolver, no DNS or /etc/hosts): (host, port) -> addresses;
# raises OSError when the name does not resolve.
resolver: Callable[[str, int], list[str]] = system_resolver


def _allow_private() -> bool:
    return bool(settings.WEBHOOK_ALLOW_PRIVATE_URLS)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64 or ip in _TRANSLATED:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if (int(ip) >> 32) & 0xFFFFFFFF in _ISATAP_IDS:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return _is_public(embedded)
    # is_global also excludes shared (100.64/10), documentation and benchmarking ranges.
    return ip.is_global and not ip.is_private and not ip.is_loopback


def address_allowed(ip: IPAddress) -> bool:
    """Whether a connection to `ip` is allowed (public only, unless the setting allows
    private and loopback addresses; link-local, the cloud metadata address, multicast and
    reserved ranges never)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id or any(ip in network for network in _REFUSED_V6):
            return False
        if ip in _COMPATIBLE and int(ip) > 1:
            return False
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return address_allowed(embedded)
    elif ip in _THIS_NETWORK:
        return False
    if ip.is_loopback:  # before is_reserved, which ::1 is too
        return _allow_private()
    # Link-local covers the cloud metadata address (169.254.169.254); never allowed.
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return False
    return _allow_private() or _is_public(ip)


def _ipv4_numeric(host: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address written in any form a resolver accepts ("127.1", "0x7f.0.0.1",
    "2130706433"), as the WHATWG URL standard reads a host whose last label is a number."""
    last = host.rsplit(".", 1)[-1]
    if not (last.isdigit() or (last.startswith("0x") and len(last) > 2)):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        raise UnsafeUrl(URL_INVALID) from None


def _host_normalise(raw: str) -> tuple[str, IPAddress | None]:
    if raw.startswith("["):  # an IPv6 literal
        try:
            ip = ipaddress.IPv6Address(raw[1:-1])
        except ValueError:  # includes zone ids ("%25eth0")
            raise UnsafeUrl(URL_INVALID) from None
        return str(ip), ip
    if not raw or not raw.isprintable():
        raise UnsafeUrl(URL_INVALID)
    try:
        host = raw if raw.isascii() else idna.encode(raw, uts46=True).decode()
    except idna.IDNAError:
        raise UnsafeUrl(URL_INVALID) from None
    host = host.lower().removesuffix(".")
    if not host or not set(host) <= _HOST_CHARS or ".." in host:
        raise UnsafeUrl(URL_INVALID)
    ipv4 = _ipv4_numeric(host)
    return (str(ipv4), ipv4) if ipv4 is not None else (host, None)


def url_parse(url: str) -> WebhookUrl:
    """Parse and normalise a webhook URL, or raise UnsafeUrl (scheme and shape rules only)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeUrl(URL_INVALID) from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.netloc:
        raise UnsafeUrl(URL_NOT_HTTPS)
    if scheme == "http" and not _allow_private():
        raise UnsafeUrl(URL_NOT_HTTPS)
    if "@" in parts.netloc or "\\" in url or any(c in parts.netloc for c in "%\t\r\n "):
        raise UnsafeUrl(URL_INVALID)
    raw_host = parts.netloc.rsplit(":", 1)[0] if parts.port is not None else parts.netloc
    host, ip = _host_normalise(raw_host)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return WebhookUrl(scheme, host, port or (443 if scheme == "https" else 80), target, ip)


def _name_refused(host: str) -> bool:
    return not _allow_private() and (host in _BLOCKED_HOSTNAMES or host.endswith(_BLOCKED_SUFFIXES))


def _addresses_check(url: WebhookUrl, addresses: list[IPAddress]) -> None:
    if not all(address_allowed(ip) for ip in addresses):
        raise UnsafeUrl(URL_PRIVATE)
    # `http://` is for loopback and private targets (local use); a public one needs https.
    if url.scheme == "http" and any(_is_public(ip) for ip in addresses):
        raise UnsafeUrl(URL_NOT_HTTPS)


def _resolve(url: WebhookUrl) -> list[IPAddress]:
    if url.ip is not None:
        return [url.ip]
    try:
        answers = resolver(url.host, url.port)
        addresses = [ipaddress.ip_address(answer) for answer in answers]
    except (OSError, UnicodeError, ValueError):
        raise HostUnresolvable(url.host) from None
    if not addresses:
        raise HostUnresolvable(url.host)
    return addresses


def url_check(url: str) -> WebhookUrl:
    """Refuse, when saved, URLs whose host is or resolves to a forbidden address.

    A name that does not resolve (yet) is accepted over https: it cannot reach anything, and
    the send-time check refuses it then. Over http it is refused: only an address known to
    be private or loopback may be called without TLS. A name is refused if ANY of its
    addresses is forbidden. Raises UnsafeUrl.
    """
    parsed = url_parse(url)
    if _name_refused(parsed.host):
        raise UnsafeUrl(URL_PRIVATE)
    try:
        addresses = _resolve(parsed)
    except HostUnresolvable:
        if parsed.scheme == "http":
            raise UnsafeUrl(URL_NOT_HTTPS) from None
        return parsed
    _addresses_check(parsed, addresses)
    return parsed


def target_resolve(url: str) -> Target:
    """Resolve a URL's host once and check every address (send time: DNS may have
    changed); the attempt then connects to the first. Raises UnsafeUrl or HostUnresolvable.
    """
    parsed = url_parse(url)
    if _name_refused(parsed.host):
        raise UnsafeUrl(URL_PRIVATE)
    addresses = _resolve(parsed)
    _addresses_check(parsed, addresses)
    return Target(parsed, addresses[0])
