"""The toolkit's request validator, taught that every grant and token acts for one team."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth2.rfc6749 import errors

from sparkloop.models import Team
from sparkloop.oauth.models import AccessToken, Application, Grant, RefreshToken
from sparkloop.oauth.services import connection_record, grant_tokens_revoke

CLIENT_CREDENTIALS = "client_credentials"
AUTHORIZATION_CODE = "authorization_code"


class TeamRequest(OAuthRequest):
    """oauthlib's request as the toolkit and this validator fill it in, for type checking.

    oauthlib's request is an attribute bag: the toolkit sets the client and the refresh
    token's row on it, and this validator the team and the token family. Never instantiated.
    """

    client: Application
    refresh_token_instance: RefreshToken
    team: Team | None
    token_family: uuid.UUID | None


class _CodeReused(Exception):
    """An exchange found its code used by another one that committed first."""

    def __init__(self, grant: Grant) -> None:
        super().__init__(grant.pk)
        self.grant = grant


def _team_of(request: TeamRequest) -> Team | None:
    """The team a token being issued acts for (set by the consent view or a validate_* hook)."""
    team: Team | None = getattr(request, "team", None)
    if team is None and request.grant_type == CLIENT_CREDENTIALS:
        team = request.client.team
    return team


class TeamOAuth2Validator(OAuth2Validator):
    def validate_grant_type(
        self,
        client_id: str,
        grant_type: str,
        client: Application,
        request: TeamRequest,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        # Client credentials act for the app's own team: an app staff registered for all
        # teams has none, so it can't use them.
        if grant_type == CLIENT_CREDENTIALS and client.team_id is None:
            return False
        return bool(super().validate_grant_type(client_id, grant_type, client, request))

    def validate_code(
        self,
        client_id: str,
        code: str,
        client: Application,
        request: TeamRequest,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        if not super().validate_code(client_id, code, client, request):
            return False
        grant = Grant.objects.select_related("team").get(code=code, application=client)
        if grant.used_at is not None:
            # The client authenticated (oauthlib does that first), so this is its own code,
            # presented again: refuse it and revoke what it issued. Not in a transaction
            # here, so the revocation stands although the answer is an error.
            grant_tokens_revoke(grant=grant)
            return False
        request.team = grant.team
        return grant.team is not None

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: TeamRequest, *args: Any, **kwargs: Any
    ) -> None:
        # The code was marked used in the transaction that saved its tokens
        # (_save_bearer_token); it is kept, not deleted, to recognise a second use.
        if not Grant.objects.filter(
            code=code, application=request.client, used_at__isnull=False
        ).exists():
            raise errors.InvalidGrantError(request=request)

    def save_bearer_token(
        self, token: dict[str, Any], request: TeamRequest, *args: Any, **kwargs: Any
    ) -> None:
        try:
            super().save_bearer_token(token, request, *args, **kwargs)
        except _CodeReused as reused:
            # The losing exchange's own writes are rolled back by now; the tokens the
            # winner committed are revoked in a transaction of their own.
            grant_tokens_revoke(grant=reused.grant)
            raise errors.InvalidGrantError(request=request) from None

    def validate_refresh_token(
        self,
        refresh_token: str,
        client: Application,
        request: TeamRequest,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        if not super().validate_refresh_token(refresh_token, client, request):
            return False
        request.team = request.refresh_token_instance.team
        return True

    def _save_bearer_token(
        self, token: dict[str, Any], request: TeamRequest, *args: Any, **kwargs: Any
    ) -> None:
        # Two refreshes with one token: the loser waits on the row lock, then finds it used.
        # The toolkit would hand back the winner's access token, but tokens are stored only
        # as hashes (RFC 9700 storage), so it has nothing to hand back: refuse instead.
        previous = getattr(request, "refresh_token_instance", None)
        if isinstance(previous, RefreshToken):
            locked = RefreshToken.objects.select_for_update().get(pk=previous.pk)
            if locked.revoked is not None:
                raise errors.InvalidGrantError(request=request)
        if request.grant_type == AUTHORIZATION_CODE:
            self._claim_code(request)
        super()._save_bearer_token(token, request, *args, **kwargs)

    def _claim_code(self, request: TeamRequest) -> None:
        """Mark the code used, in the transaction that saves its tokens (row-locked).

        Two exchanges of one code: the second waits for the first's lock, then finds the
        code used. Its `expires` moves to the end of the family's life (see Grant).
        """
        grant = Grant.objects.select_for_update().get(code=request.code, application=request.client)
        if grant.used_at is not None:
            raise _CodeReused(grant)
        now = timezone.now()
        grant.used_at = now
        grant.token_family = uuid.uuid4()
        grant.expires = now + timedelta(
            seconds=oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS
            + oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS
        )
        grant.save(update_fields=["used_at", "token_family", "expires"])
        request.token_family = grant.token_family

    def _create_authorization_code(
        self, request: TeamRequest, code: dict[str, str], expires: datetime | None = None
    ) -> Grant:
        team = getattr(request, "team", None)
        if team is None:  # only the consent view issues codes, and it always picks a team
            raise ValueError("an authorization code needs a team")
        # The code, the connection and its app.connected event: all or nothing.
        with transaction.atomic():
            grant: Grant = super()._create_authorization_code(request, code, expires)
            Grant.objects.filter(pk=grant.pk).update(team=team)
            grant.team = team
            connection_record(
                team=team, application=request.client, scope=grant.scope, consented=True
            )
        return grant

    def _create_access_token(
        self,
        expires: datetime,
        request: TeamRequest,
        token: dict[str, Any],
        source_refresh_token: RefreshToken | None = None,
    ) -> AccessToken:
        team = _team_of(request)
        if team is None:
            raise ValueError("an access token needs a team")
        access_token = AccessToken(
            user=request.user,
            team=team,
            scope=token["scope"],
            expires=expires,
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=getattr(request, "resource", []),
        )
        self._set_token_value(access_token, token["access_token"])
        access_token.save()
        if request.grant_type == CLIENT_CREDENTIALS:
            connection_record(
                team=team, application=request.client, scope=token["scope"], consented=False
            )
        return access_token

    def _create_refresh_token(
        self,
        request: TeamRequest,
        refresh_token_code: str,
        access_token: AccessToken,
        previous_refresh_token: RefreshToken | None,
    ) -> RefreshToken:
        refresh_token = RefreshToken(
            user=request.user,
            team=access_token.team,
            application=request.client,
            access_token=access_token,
            # One family per code: reuse of a rotated token (or of the code) revokes it all.
            token_family=(
                previous_refresh_token.token_family
                if previous_refresh_token
                else getattr(request, "token_family", None) or uuid.uuid4()
            ),
            resource=getattr(request, "resource", []),
        )
        self._set_token_value(refresh_token, refresh_token_code)
        refresh_token.save()
        return refresh_token
