"""The HTTP side of an attempt: pooled keep-alive sessions, the pinned POST, Retry-After.

No database here. A POST goes to the address `webhooks.addresses.target_resolve` checked,
never to a fresh DNS answer: the request URL carries that IP address, while the `Host`
header, TLS SNI and certificate verification use the URL's host name (`PinnedAdapter`).
"""

from __future__ import annotations

import ipaddress
import os
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import requests
from django.conf import settings
from django.utils import timezone
from requests.adapters import HTTPAdapter

from webhooks.addresses import Target
from webhooks.models import DeliveryAttempt

if TYPE_CHECKING:  # the shapes types-requests gives this hook (stubs only)
    from requests.adapters import _HostParams, _PoolKwargs

BODY_EXCERPT_CHARS = 1024
BODY_READ_LIMIT = 64 * 1024  # read at most this much of an answer (keeps the connection reusable)
USER_AGENT = "SparkLoop-Compatible-Webhooks/1.0 (+https://www.standardwebhooks.com/)"
# All the API tells about a failed connection to a private address (no port scanner).
CONNECTION_FAILED = "Connection failed"

Outcome = DeliveryAttempt.Outcome


@dataclass
class AttemptResult:
    outcome: str
    status_code: int | None = None
    body: str = ""
    error: str = ""
    duration_ms: int | None = None
    retry_after: timedelta | None = None


class PinnedAdapter(HTTPAdapter):
    """Connects to the IP address in the request URL; for https, sends SNI and verifies the
    certificate for the host name in the `Host` header (the name the URL was checked for).

    Connection pools are kept per address and name, so keep-alive works across attempts.
    """

    def build_connection_pool_key_attributes(
        self,
        request: requests.PreparedRequest,
        verify: bool | str,
        cert: str | tuple[str, str] | None = None,
    ) -> tuple[_HostParams, _PoolKwargs]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        name = _host_name(request.headers.get("Host", ""))
        if host_params["scheme"] == "https" and name:
            # urllib3's HTTPSConnectionPool takes both; types-requests' _PoolKwargs omits them.
            pool_kwargs["server_hostname"] = name  # type: ignore[typeddict-unknown-key]
            pool_kwargs["assert_hostname"] = name  # type: ignore[typeddict-unknown-key]
        return host_params, pool_kwargs


def _host_name(host_header: str) -> str | None:
    """The host name of a Host header, or None for an IP address (no SNI for those)."""
    if host_header.startswith("["):
        return None
    name = host_header.rsplit(":", 1)[0] if ":" in host_header else host_header
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name or None
    return None


# Idle sessions (connection pools), shared by the send threads: keep-alive to busy
# receivers across batches, although each batch runs on threads of its own.
_idle_sessions: list[requests.Session] = []
_idle_lock = threading.Lock()
MAX_IDLE_SESSIONS = 256
os.register_at_fork(after_in_child=_idle_sessions.clear)  # never share a parent's sockets


def _new_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy or CA bundle from the environment
    adapter = PinnedAdapter(pool_connections=32, pool_maxsize=4)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


@contextmanager
def _session() -> Iterator[requests.Session]:
    with _idle_lock:
        session = _idle_sessions.pop() if _idle_sessions else None
    if session is None:
        session = _new_session()
    try:
        yield session
    finally:
        with _idle_lock:
            keep = len(_idle_sessions) < MAX_IDLE_SESSIONS
            if keep:
                _idle_sessions.append(session)
        if not keep:
            session.close()


def retry_after_parse(value: str | None, now: datetime) -> timedelta | None:
    """A Retry-After header (seconds, or an HTTP date) as a delay; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when - now, timedelta(0)) if when.tzinfo else None


def _read_excerpt(response: requests.Response, deadline: float) -> str:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(8192):
        chunks.append(chunk)
        size += len(chunk)
        if size >= BODY_READ_LIMIT or time.monotonic() > deadline:
            break
    text = b"".join(chunks)[:BODY_EXCERPT_CHARS].decode("utf-8", "replace")
    return text.replace("\x00", "\ufffd")  # PostgreSQL text cannot hold NUL


def _ms(start: float) -> int:
    return int((time.monotonic() - start) * 1000)


def _reason(exc: BaseException) -> str:
    """A short, fixed description of a network failure (never the exception's text, which
    may name addresses and internals)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return "TLS certificate verification failed"
        if isinstance(seen, ssl.SSLError):
            return "TLS handshake failed"
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, ConnectionResetError):
            return "connection reset"
        seen = seen.__cause__ or seen.__context__ or _wrapped(seen)
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed"
    return "connection failed"


def _wrapped(exc: BaseException) -> BaseException | None:
    # requests and urllib3 wrap the cause in their exception's first argument.
    reason = getattr(exc, "reason", None)
    if isinstance(reason, BaseException):
        return reason
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, BaseException) and first is not exc else None


def failure_result(
    exc: Exception, *, target: Target, timeout: float, start: float
) -> AttemptResult:
    """The outcome of a POST that got no HTTP answer.

    For a private address (possible only with WEBHOOK_ALLOW_PRIVATE_URLS) nothing but
    "Connection failed": neither the kind of failure nor its duration, which would tell a
    closed port from a filtered or an open one.
    """
    if target.is_private:
        return AttemptResult(Outcome.CONNECTION_ERROR, error=CONNECTION_FAILED)
    if isinstance(exc, requests.Timeout):
        return AttemptResult(
            Outcome.TIMEOUT, error=f"No answer within {timeout:g} s", duration_ms=_ms(start)
        )
    reason = _reason(exc)
    error = CONNECTION_FAILED if reason == "connection failed" else f"{CONNECTION_FAILED}: {reason}"
    return AttemptResult(Outcome.CONNECTION_ERROR, error=error, duration_ms=_ms(start))


def post(*, target: Target, body: bytes, headers: dict[str, str], timeout: float) -> AttemptResult:
    """One POST to the pinned address; never raises for anything the network or the
    receiver does. Redirects are not followed."""
    url = target.url
    host = f"[{target.ip}]" if target.ip.version == 6 else str(target.ip)
    request_url = f"{url.scheme}://{host}:{url.port}{url.target}"
    headers = {**headers, "Host": url.host_header}
    start = time.monotonic()
    try:
        with (
            _session() as session,
            session.post(
                request_url,
                data=body,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
                stream=True,
                verify=settings.WEBHOOK_CA_BUNDLE or True,
            ) as response,
        ):
            excerpt = _read_excerpt(response, start + timeout)
    except requests.RequestException as exc:
        return failure_result(exc, target=target, timeout=timeout, start=start)
    code = response.status_code
    if 200 <= code < 300:
        return AttemptResult(Outcome.SUCCESS, code, excerpt, duration_ms=_ms(start))
    error = f"HTTP {code}"
    if response.is_redirect:
        location = response.headers.get("Location", "").replace("\x00", "")
        error = f"HTTP {code}: redirects are not followed (Location: {location})"
    return AttemptResult(
        Outcome.HTTP_ERROR,
        code,
        excerpt,
        error=error[:255],
        duration_ms=_ms(start),
        retry_after=retry_after_parse(response.headers.get("Retry-After"), timezone.now()),
    )
