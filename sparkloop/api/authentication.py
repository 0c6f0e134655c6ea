"""API authentication by `X-Api-Key` (any header case).

It sets `request.team` (the team the request acts for) and `request.user` (that team);
`request.auth` is the ApiKey. OAuth 2.0 `Authorization: Bearer` tokens are authenticated by
`sparkloop.oauth.authentication` (the OAuth room, above this one), the same way.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from sparkloop.models import ApiKey, Team, hash_api_key

logger = logging.getLogger(__name__)

API_KEY_MISSING = "API key is missing!"
USER_NOT_FOUND = "User not found!"

# last_used_at is refreshed at most this often, so a request does not cost a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticates by `X-Api-Key`; sets `request.team` and `request.auth` (the ApiKey)."""

    def authenticate(self, request: Request) -> tuple[Team, ApiKey] | None:
        raw = request.headers.get("x-api-key")
        if raw is None:
            return None
        raw = raw.strip()
        if not raw:
            raise exceptions.AuthenticationFailed(API_KEY_MISSING)
        # key_hash is unique: a plain LIMIT 1, without the ORDER BY that `.first()` adds.
        key = next(
            iter(
                ApiKey.objects.select_related("team")
                .filter(key_hash=hash_api_key(raw), revoked_at__isnull=True)
                .order_by()[:1]
            ),
            None,
        )
        if key is None:
            raise exceptions.AuthenticationFailed(USER_NOT_FOUND)
        _touch(key)
        request._request.team = key.team  # type: ignore[attr-defined]
        return key.team, key

    def authenticate_header(self, request: Request) -> str:
        return 'ApiKey realm="api", header="X-Api-Key"'


def _touch(key: ApiKey) -> None:
    now = timezone.now()
    if key.last_used_at and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    # The cache gate keeps concurrent requests of one key from all writing the same row.
    # Bookkeeping only: a cache outage must not fail the request.
    try:
        gate = cache.add(
            f"apikey-touch:{key.pk}", 1, timeout=int(LAST_USED_RESOLUTION.total_seconds())
        )
    except Exception:
        logger.warning("cache unavailable; last_used_at of key %s not refreshed", key.prefix)
        return
    if gate:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
