"""API authentication by `X-Api-Key` (any header case).

It sets `request.team` (the team the request acts for) and `request.user` (that team);
`request.auth` is the ApiKey. OAuth 2.0 `Authorization: Bearer` tokens are authenticated by
`sparkloop.oauth.authentication` (the OAuth room, above this one), the same way.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from sparkloop.api.throttling import key_cache_name, rate_for
from sparkloop.models import ApiKey, Team, hash_api_key

logger = logging.getLogger(__name__)

API_KEY_MISSING = "API key is missing!"
USER_NOT_FOUND = "User not found!"

# last_used_at is refreshed at most this often, so a request does not cost a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


# A known key is kept in the cache this long (its team's id, tier and rate limit with it),
# so that its requests need no database lookup. Revoking a key forgets it at once
# (`api_key_forget`); a change of the team's tier applies within this time.
KEY_CACHE_SECONDS = 30
_KEY_FIELDS = ("id", "team_id", "prefix", "last_used_at")
_TEAM_FIELDS: tuple[str, ...] = ("id", "public_id", "name", "rate_limit_tier")
_TEAM_FIELDS += ("custom_rate_limit", "custom_rate_period")


def key_entry(key: ApiKey) -> dict[str, Any]:
    """What the cache keeps of a valid key: the key's and its team's fields, and the key's
    rate-limit budget (identity and rate, which `throttling.fast_count` counts in Redis)."""
    rate = rate_for(key.team)
    used = key.last_used_at.isoformat() if key.last_used_at else None
    return {
        "key": [key.pk, key.team_id, key.prefix, used],
        "team": [getattr(key.team, name) for name in _TEAM_FIELDS],
        "identity": f"key:{key.pk}",
        "rate": [rate.name, rate.limit, rate.period, rate.burst],
    }


def key_from_entry(entry: dict[str, Any]) -> ApiKey:
    """The ApiKey (with its team) of a cache entry; fields not kept load when read."""
    team = Team.from_db("default", list(_TEAM_FIELDS), list(entry["team"]))
    pk, team_id, prefix, used = entry["key"]
    key = ApiKey.from_db(
        "default",
        list(_KEY_FIELDS),
        [pk, team_id, prefix, datetime.fromisoformat(used) if used else None],
    )
    key.team = team
    return key


def _redis(key_hash: str) -> tuple[Any, str] | None:
    """The Redis client and the key's name, when the cache is Redis (else None)."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    name = backend.make_and_validate_key(key_cache_name(key_hash))
    return backend._cache.get_client(name, write=True), name


def key_cache_get(key_hash: str) -> dict[str, Any] | None:
    try:
        redis = _redis(key_hash)
        raw = redis[0].get(redis[1]) if redis else cache.get(key_cache_name(key_hash))
        return json.loads(raw) if raw else None
    except Exception:  # a cache outage: the database answers
        logger.warning("cache unavailable; API key looked up in the database")
        return None


def key_cache_set(key_hash: str, key: ApiKey) -> None:
    # Kept as JSON, as Redis itself can read it (throttling.fast_count's script does).
    value = json.dumps(key_entry(key))
    try:
        redis = _redis(key_hash)
        if redis is not None:
            redis[0].set(redis[1], value, ex=KEY_CACHE_SECONDS)
        else:
            cache.set(key_cache_name(key_hash), value, KEY_CACHE_SECONDS)
    except Exception:
        logger.warning("cache unavailable; API key %s not cached", key.prefix)


def _forget(key_hash: str) -> None:
    try:
        redis = _redis(key_hash)
        if redis is not None:
            redis[0].delete(redis[1])
        else:
            cache.delete(key_cache_name(key_hash))
    except Exception:
        logger.exception("cache unavailable; a revoked API key may be accepted a while")


def api_key_forget(key: ApiKey) -> None:
    """Drop a key from the cache now and again when the caller's transaction commits (a
    request that read the key before the commit may have cached it meanwhile)."""
    _forget(key.key_hash)
    transaction.on_commit(partial(_forget, key.key_hash), robust=True)


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticates by `X-Api-Key`; sets `request.team` and `request.auth` (the ApiKey).

    A key found in the cache (`key_entry`, put there by its first request, or read by the
    rate-limit middleware together with the request's count) costs no database query.
    """

    def authenticate(self, request: Request) -> tuple[Team, ApiKey] | None:
        raw = request.headers.get("x-api-key")
        if raw is None:
            return None
        raw = raw.strip()
        if not raw:
            raise exceptions.AuthenticationFailed(API_KEY_MISSING)
        hashed = hash_api_key(raw)
        entry = getattr(request._request, "api_key_entry", None)
        if entry is None:
            entry = key_cache_get(hashed)
        if entry is not None:
            key = key_from_entry(entry)
        else:
            # key_hash is unique: a plain LIMIT 1, without the ORDER BY that `.first()` adds.
            found = next(
                iter(
                    ApiKey.objects.select_related("team")
                    .filter(key_hash=hashed, revoked_at__isnull=True)
                    .order_by()[:1]
                ),
                None,
            )
            if found is None:
                raise exceptions.AuthenticationFailed(USER_NOT_FOUND)
            key = found
            key_cache_set(hashed, key)
        if _touch(key):
            key_cache_set(hashed, key)
        request._request.team = key.team  # type: ignore[attr-defined]
        return key.team, key

    def authenticate_header(self, request: Request) -> str:
        return 'ApiKey realm="api", header="X-Api-Key"'


def _touch(key: ApiKey) -> bool:
    """Refresh `last_used_at` if it is older than LAST_USED_RESOLUTION; whether it did."""
    now = timezone.now()
    if key.last_used_at and now - key.last_used_at < LAST_USED_RESOLUTION:
        return False
    # The cache gate keeps concurrent requests of one key from all writing the same row.
    # Bookkeeping only: a cache outage must not fail the request.
    try:
        gate = cache.add(
            f"apikey-touch:{key.pk}", 1, timeout=int(LAST_USED_RESOLUTION.total_seconds())
        )
    except Exception:
        logger.warning("cache unavailable; last_used_at of key %s not refreshed", key.prefix)
        return False
    if gate:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    # The cached entry carries the new time either way (another request wrote it).
    key.last_used_at = now
    return True
