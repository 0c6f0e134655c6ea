"""API authentication: `X-Api-Key` (any header case) or an OAuth 2.0 `Authorization: Bearer`.

Both set `request.team` (the team the request acts for) and `request.user` (that team);
`request.auth` is the ApiKey or the OAuth AccessToken (its `application` and `scope`).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from sparkloop.models import ApiKey, Team, hash_api_key
from sparkloop.oauth.models import AccessToken

logger = logging.getLogger(__name__)

API_KEY_MISSING = "API key is missing!"
USER_NOT_FOUND = "User not found!"
TOKEN_INVALID = "Access token is invalid or expired"  # noqa: S105 (a message)

# last_used_at is refreshed at most this often, so a request does not cost a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticates by `X-Api-Key`; sets `request.team` and `request.auth` (the ApiKey)."""

    def authenticate(self, request: Request) -> tuple[Team, ApiKey] | None:
        raw = request.META.get("HTTP_X_API_KEY")
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


class OAuthTokenAuthentication(BaseAuthentication):
    """Authenticates by `Authorization: Bearer <access token>` for the token's team.

    Scopes are checked by the permission (sparkloop.api.permissions), per viewset and method.
    """

    def authenticate(self, request: Request) -> tuple[Team, AccessToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw = header.strip().partition(" ")
        if scheme.lower() != "bearer":
            return None
        raw = raw.strip()
        if not raw:
            raise exceptions.AuthenticationFailed(TOKEN_INVALID)
        # Tokens are looked up by their SHA-256 checksum, as the toolkit indexes them.
        checksum = hashlib.sha256(raw.encode()).hexdigest()
        token = (
            AccessToken.objects.select_related("team", "application")
            .filter(token_checksum=checksum)
            .first()
        )
        if token is None or token.is_expired():
            raise exceptions.AuthenticationFailed(TOKEN_INVALID)
        request._request.team = token.team  # type: ignore[attr-defined]
        return token.team, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


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
