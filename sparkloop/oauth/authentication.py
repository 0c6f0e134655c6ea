"""API authentication by OAuth 2.0 `Authorization: Bearer <access token>`, for its team.

Like the API key's (sparkloop.api.authentication), it sets `request.team` and `request.user`
(that team); `request.auth` is the AccessToken (its `application` and `scope`). Scopes are
checked by the permission (sparkloop.api.permissions), per viewset and method.
"""

from __future__ import annotations

import hashlib

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from sparkloop.models import Team
from sparkloop.oauth.models import AccessToken

TOKEN_INVALID = "Access token is invalid or expired"  # noqa: S105 (a message)


class OAuthTokenAuthentication(BaseAuthentication):
    """Authenticates by `Authorization: Bearer <access token>` for the token's team."""

    def authenticate(self, request: Request) -> tuple[Team, AccessToken] | None:
        header = request.headers.get("authorization", "")
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
