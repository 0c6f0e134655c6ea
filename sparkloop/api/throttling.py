"""Rate limits per API key (or per OAuth application and team, and per team for all its
apps together), counted in the shared cache.

Each principal has a fixed window per tier (aligned to the epoch, so every process agrees on
where a window starts) and one counter per window in the Django cache, raised atomically
(Redis: SET NX + INCR in one transaction; other backends: `cache.add` creates it and
`cache.incr` raises it), so no process ever reads a count to write it back. Backends whose
`incr` is a read-modify-write (the local file cache, the database cache) count under an
exclusive file lock, so that several local processes still agree.

The throttle (DRF) refuses a request over the limit with 429; the middleware puts the
`X-RateLimit-*` and IETF `RateLimit-Policy`/`RateLimit` headers on every API response and
counts the requests that stopped before the throttle (bad keys, missing scopes, unknown paths).
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from sparkloop.models import ApiKey, Team, hash_api_key

if TYPE_CHECKING:
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

API_PREFIXES = ("/v2/", "/api/v2/", "/v1/", "/api/v1/")
# API v1 (deprecated) has a budget of its own (RATE_LIMIT_V1), on top of the key's.
V1_PREFIXES = ("/v1/", "/api/v1/")
RATE_FORMAT = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
KEY_PREFIX = "ratelimit"
# Where a known API key is cached (sparkloop.api.authentication.key_entry, as JSON).
KEY_CACHE_PREFIX = "apikey:"
# The contract's refusal; sparkloop.api.exceptions renders DRF's Throttled with it too.
RATE_LIMITED = "Rate limit exceeded"


@dataclass(frozen=True)
class Rate:
    """`limit` requests per `period` seconds; `burst`: unused requests that roll over."""

    name: str
    limit: int
    period: int
    burst: int = 0


STANDARD = Rate("standard", 1_000, 3_600)
# The partner tier's burst allowance: up to 2,000 requests a partner left unused in the
# previous hour carry over into the current one (a token bucket's capacity, in windows).
PARTNER = Rate("partner", 10_000, 3_600, burst=2_000)


def parse_rate(value: str, *, name: str) -> Rate:
    """`"120/60"` (requests/seconds) as a Rate; anything else is a configuration error."""
    match = RATE_FORMAT.match(value)
    if not match or int(match[1]) < 1 or int(match[2]) < 1:
        raise ImproperlyConfigured(f"A rate is 'requests/seconds' like '120/60', not {value!r}")
    return Rate(name, int(match[1]), int(match[2]))


def default_rate() -> Rate:
    return parse_rate(settings.RATE_LIMIT_DEFAULT, name="default")


def v1_rate() -> Rate:
    return parse_rate(settings.RATE_LIMIT_V1, name="v1")


def rate_for(team: Team | None) -> Rate:
    """The rate of a team's tier; unauthenticated clients get the default one."""
    tier = team.rate_limit_tier if team is not None else Team.RateLimitTier.DEFAULT
    if tier == Team.RateLimitTier.STANDARD:
        return STANDARD
    if tier == Team.RateLimitTier.PARTNER:
        return PARTNER
    if (
        tier == Team.RateLimitTier.CUSTOM
        and team is not None
        and team.custom_rate_limit
        and team.custom_rate_period
    ):
        return Rate("custom", team.custom_rate_limit, team.custom_rate_period)
    return default_rate()


@dataclass(frozen=True)
class RateLimitStatus:
    """Where one principal stands in its current window, after counting this request."""

    rate: Rate
    limit: int  # this window's limit: the rate's plus any burst carried over
    used: int
    reset_at: int  # epoch seconds at which the window ends
    now: float

    @property
    def allowed(self) -> bool:
        return self.used <= self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def reset_in(self) -> int:
        return max(1, math.ceil(self.reset_at - self.now))

    def headers(self) -> dict[str, str]:
        policy = f'"{self.rate.name}"'
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
            # draft-ietf-httpapi-ratelimit-headers: quota q per window w; r left, t seconds.
            "RateLimit-Policy": f"{policy};q={self.limit};w={self.rate.period}",
            "RateLimit": f"{policy};r={self.remaining};t={self.reset_in}",
        }


def _needs_lock(cache: BaseCache) -> bool:
    # BaseCache.incr is get + set: not atomic across processes (file and database caches).
    return type(cache).incr is BaseCache.incr


@contextmanager
def _lock(cache: BaseCache) -> Iterator[None]:
    if not _needs_lock(cache):
        yield
        return
    # Opened per use: a descriptor inherited through fork() would share one lock.
    path = Path(settings.VAR_DIR) / "ratelimit.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _increment(cache: BaseCache, key: str, timeout: int) -> int:
    if isinstance(cache, RedisCache):
        # One round trip instead of add + exists + incr: SET NX then INCR in a MULTI/EXEC.
        name = cache.make_and_validate_key(key)
        pipe = cache._cache.get_client(name, write=True).pipeline()
        pipe.set(name, 0, ex=timeout, nx=True)
        pipe.incr(name)
        return int(pipe.execute()[1])
    with _lock(cache):
        for _ in range(3):
            if cache.add(key, 1, timeout):
                return 1
            try:
                return int(cache.incr(key))
            except ValueError:  # expired or evicted between add and incr: start it again
                continue
    raise RuntimeError(f"could not count {key}")


def hit(identity: str, rate: Rate, *, now: float | None = None) -> RateLimitStatus:
    """Count one request of `identity` against `rate` and tell where it stands."""
    cache = caches["default"]
    now = time.time() if now is None else now
    window = int(now // rate.period)
    key = f"{KEY_PREFIX}:{identity}:{rate.period}:{window}"
    # Kept two windows, so the next window can still read it (burst) and a counter never
    # expires while its window is open (an INCR on a vanished key would start over).
    used = _increment(cache, key, timeout=2 * rate.period + 60)
    limit = rate.limit
    if rate.burst:
        # The previous window is closed, so reading its count is no race.
        previous = cache.get(f"{KEY_PREFIX}:{identity}:{rate.period}:{window - 1}") or 0
        limit += min(rate.burst, max(0, rate.limit - int(previous)))
    return RateLimitStatus(
        rate=rate, limit=limit, used=used, reset_at=(window + 1) * rate.period, now=now
    )


def key_cache_name(key_hash: str) -> str:
    return KEY_CACHE_PREFIX + key_hash


# One round trip for a request with a known API key: the address's failed authentications,
# the key's cache entry and, if the key is known and the address not locked out, one more
# request counted in the key's current window (SET NX + INCR, as `_increment`), with the
# previous window's count for a burst. A key not in the cache: only the first is read.
_FAST_SCRIPT = """
local fails = tonumber(redis.call('GET', KEYS[1]) or '0')
if fails >= tonumber(ARGV[1]) then return {fails} end
local raw = redis.call('GET', KEYS[2])
if not raw then return {fails} end
local entry = cjson.decode(raw)
local period = tonumber(entry['rate'][3])
local window = math.floor(tonumber(ARGV[2]) / period)
local base = ARGV[3] .. entry['identity'] .. ':' .. period .. ':'
redis.call('SET', base .. window, 0, 'EX', 2 * period + 60, 'NX')
local used = redis.call('INCR', base .. window)
local previous = 0
if tonumber(entry['rate'][4]) > 0 then
  previous = tonumber(redis.call('GET', base .. (window - 1)) or '0')
end
return {fails, raw, used, previous}
"""


def fast_count(request: HttpRequest) -> JsonResponse | None:
    """`auth_failures_refusal`, and for a request with a cached API key (v2 paths on Redis)
    the key's entry and its rate-limit count too, in one Redis round trip.

    Sets `request.api_key_entry` (authentication then needs no query) and
    `request.rate_limit` (the throttle then counts nothing more). Anything else goes the
    usual way: the throttle counts after authentication.
    """
    cache = caches["default"]
    raw_key = request.headers.get("x-api-key", "").strip()
    if (
        not raw_key
        or not isinstance(cache, RedisCache)
        or request.path_info.startswith(V1_PREFIXES)
    ):
        return auth_failures_refusal(request)
    identity, rate = _auth_failure_budget(request)
    now = time.time()
    window = int(now // rate.period)
    fails_key = cache.make_and_validate_key(f"{KEY_PREFIX}:{identity}:{rate.period}:{window}")
    entry_key = cache.make_and_validate_key(key_cache_name(hash_api_key(raw_key)))
    try:
        client = cache._cache.get_client(entry_key, write=True)
        prefix = cache.make_and_validate_key(f"{KEY_PREFIX}:")
        result = client.eval(_FAST_SCRIPT, 2, fails_key, entry_key, rate.limit, now, prefix)
    except Exception:
        logger.exception("rate limit not counted: the cache is unavailable")
        return None
    used = int(result[0])
    if used >= rate.limit:
        return _refusal(rate, used, window, now)
    if len(result) > 1:
        entry = json.loads(result[1])
        request.api_key_entry = entry  # type: ignore[attr-defined]
        name, limit, period, burst = entry["rate"]
        key_rate = Rate(name, int(limit), int(period), int(burst))
        key_window = int(now // key_rate.period)
        allowed = key_rate.limit
        if key_rate.burst:
            allowed += min(key_rate.burst, max(0, key_rate.limit - int(result[3])))
        request.rate_limit = RateLimitStatus(  # type: ignore[attr-defined]
            rate=key_rate,
            limit=allowed,
            used=int(result[2]),
            reset_at=(key_window + 1) * key_rate.period,
            now=now,
        )
    return None


def client_ip(request: HttpRequest) -> str:
    """The client's address, as every limit here and django-axes see it."""
    # X-Forwarded-For only counts behind a known number of proxies (DRF's NUM_PROXIES);
    # otherwise any client could choose its own bucket.
    if api_settings.NUM_PROXIES is not None:
        # get_ident reads only META, which a Django request has (the stubs ask a DRF one).
        return str(BaseThrottle().get_ident(request))  # type: ignore[arg-type]
    return str(request.META.get("REMOTE_ADDR", ""))


def principal(request: HttpRequest) -> tuple[str, Team | None]:
    """Who a request is counted for: its API key, its OAuth application and team, or its IP."""
    auth = getattr(request, "auth", None)
    team: Team | None = getattr(request, "team", None)
    if isinstance(auth, ApiKey):
        return f"key:{auth.pk}", team
    application_id = getattr(auth, "application_id", None)
    if application_id is not None and team is not None:
        return f"app:{application_id}:team:{team.pk}", team
    return f"ip:{client_ip(request)}", None


def identities(request: HttpRequest) -> tuple[tuple[str, ...], Team | None]:
    """Every budget a request is counted in: its principal's and, for OAuth, the team's.

    An app's tokens share one budget per team; all the apps acting for a team share the
    team's OAuth budget too, at the team's tier, so registering more apps (or authorizing
    more) never multiplies what a team may send.
    """
    identity, team = principal(request)
    if identity.startswith("app:") and team is not None:
        return (identity, f"oauth:team:{team.pk}"), team
    return (identity,), team


def budgets(request: HttpRequest) -> list[tuple[str, Rate]]:
    """Every budget a request is counted in, with its rate: `identities`' at the team's tier,
    and for API v1 the principal's v1 budget too (RATE_LIMIT_V1, SparkLoop's 60 per 60 s), so
    that v1 requests are limited by both and never add to what the key may send."""
    names, team = identities(request)
    rate = rate_for(team)
    found = [(name, rate) for name in names]
    if request.path_info.startswith(V1_PREFIXES):
        found.append((f"v1:{names[0]}", v1_rate()))
    return found


def _authenticate(request: HttpRequest) -> None:
    """Run the API's authenticators on a request that no API view handled (an unknown path)."""
    # api_settings imports the classes its stubs type as their dotted names.
    classes = api_settings.DEFAULT_AUTHENTICATION_CLASSES
    drf_request = Request(request, authenticators=[cls() for cls in classes])  # type: ignore[operator]
    with suppress(APIException):
        drf_request.user  # noqa: B018 - authenticates; sets request.auth and request.team


def _count(request: HttpRequest) -> RateLimitStatus | None:
    status: RateLimitStatus | None = getattr(request, "rate_limit", None)
    if status is not None:
        return status
    counted = budgets(request)
    try:
        # Every budget counts the request; the one with the least left is what it's told.
        status = min(
            (hit(name, rate) for name, rate in counted), key=lambda s: (s.allowed, s.remaining)
        )
    except Exception:
        # A cache outage must not take the API down with it: admit, and say so in the logs.
        logger.exception("rate limit not counted: the cache is unavailable")
        return None
    request.rate_limit = status  # type: ignore[attr-defined]
    return status


def _auth_failure_budget(request: HttpRequest) -> tuple[str, Rate]:
    rate = parse_rate(settings.RATE_LIMIT_AUTH_FAILURES, name="auth-failures")
    return f"authfail:ip:{client_ip(request)}", rate


def auth_failures_refusal(request: HttpRequest) -> JsonResponse | None:
    """A 429 for an address that used up its failed authentications; None to go on.

    Checked before the request is authenticated (DRF authenticates before it throttles),
    so an address that keeps sending bad keys is refused without a key lookup each time.
    """
    identity, rate = _auth_failure_budget(request)
    now = time.time()
    window = int(now // rate.period)
    try:
        used = int(caches["default"].get(f"{KEY_PREFIX}:{identity}:{rate.period}:{window}") or 0)
    except Exception:
        logger.exception("failed authentications not checked: the cache is unavailable")
        return None
    if used < rate.limit:
        return None
    return _refusal(rate, used, window, now)


def _refusal(rate: Rate, used: int, window: int, now: float) -> JsonResponse:
    status = RateLimitStatus(
        rate=rate, limit=rate.limit, used=used, reset_at=(window + 1) * rate.period, now=now
    )
    response = JsonResponse({"error": RATE_LIMITED}, status=429)
    response["Retry-After"] = str(status.reset_in)
    for name, value in status.headers().items():
        response[name] = value
    return response


def auth_failure_record(request: HttpRequest) -> None:
    """Count a request refused for its credentials against its address."""
    identity, rate = _auth_failure_budget(request)
    try:
        hit(identity, rate)
    except Exception:
        logger.exception("failed authentication not counted: the cache is unavailable")


class TeamRateThrottle(BaseThrottle):
    """Refuses a request over its principal's limit (429 with `Retry-After`)."""

    status: RateLimitStatus | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        self.status = _count(request._request)
        return self.status is None or self.status.allowed

    def wait(self) -> float | None:
        return None if self.status is None else float(self.status.reset_in)


class RateLimitHeadersMiddleware:
    """Puts the rate-limit headers on every API response, counting what the throttle missed.

    It also refuses, before anything else, an address that used up its failed
    authentications (RATE_LIMIT_AUTH_FAILURES), and counts each 401 against it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIXES):
            return self.get_response(request)
        refusal = fast_count(request)
        if refusal is not None:
            return refusal
        response = self.get_response(request)
        if response.status_code == 401:
            auth_failure_record(request)
        if getattr(request, "rate_limit", None) is None and not hasattr(request, "auth"):
            _authenticate(request)  # no API view ran (a Django 404): find the principal
        status = _count(request)
        if status is not None:
            for name, value in status.headers().items():
                response[name] = value
        return response
