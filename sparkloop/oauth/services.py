"""Writes of the OAuth app: connections of apps to teams, their revocation, registration."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret

from sparkloop.api.fields import iso_z
from sparkloop.exceptions import LimitExceeded
from sparkloop.models import Team
from sparkloop.oauth.models import AccessToken, Application, Connection, Grant, RefreshToken
from webhooks.services import event_record

APP_CONNECTED = "app.connected"
APPLICATION_LIMIT = "A team may register at most {limit} OAuth applications"


def _scope_set(scope: str) -> set[str]:
    return set(scope.split())


@transaction.atomic
def connection_record(
    *, team: Team, application: Application, scope: str, consented: bool
) -> Connection:
    """Record that `application` may act for `team` with `scope` (in the caller's transaction).

    A consent replaces the connection's scopes and always records an `app.connected` event
    (a person of the team authorized the app); a client-credentials token only adds its
    scopes, with an event the first time the team's own app connects.
    """
    now = timezone.now()
    connection, created = Connection.objects.select_for_update().get_or_create(
        team=team, application=application, defaults={"scope": scope, "connected_at": now}
    )
    if not created:
        if consented:
            connection.scope = scope
            connection.connected_at = now
        else:
            connection.scope = " ".join(sorted(_scope_set(connection.scope) | _scope_set(scope)))
        connection.save(update_fields=["scope", "connected_at", "updated_at"])
    if consented or created:
        event_record(
            team=team,
            type=APP_CONNECTED,
            payload={
                "connection_id": connection.public_id,
                "app_name": application.name,
                "client_id": application.client_id,
                "scopes": connection.scope.split(),
                "connected_at": iso_z(connection.connected_at),
            },
        )
    return connection


@transaction.atomic
def connection_revoke(*, connection: Connection) -> None:
    """Disconnect an app from a team: every code and token it holds for the team stops working.

    Refresh tokens are revoked (not deleted) so that a replay is still recognised; their
    access tokens and any unused authorization codes are deleted.
    """
    lookup = {"team": connection.team, "application": connection.application}
    now = timezone.now()
    RefreshToken.objects.filter(**lookup, revoked__isnull=True).update(
        revoked=now, access_token=None
    )
    AccessToken.objects.filter(**lookup).delete()
    Grant.objects.filter(**lookup).delete()
    connection.delete()


@transaction.atomic
def grant_tokens_revoke(*, grant: Grant) -> None:
    """Revoke every token issued from an authorization code that was presented again.

    RFC 6749 §4.1.2: a code used twice may have been stolen, so the tokens it already
    issued (its whole refresh family, rotations included) stop working.
    """
    if grant.token_family is not None:
        RefreshToken.revoke_family(grant.token_family)


@transaction.atomic
def application_create(
    *,
    team: Team | None,
    name: str,
    client_type: str,
    authorization_grant_type: str,
    redirect_uris: str = "",
) -> tuple[Application, str]:
    """Register an app; returns it with its client secret, which is stored only as a hash.

    A team registers at most OAUTH_APPLICATIONS_PER_TEAM apps (LimitExceeded): each app
    would otherwise bring its own rate-limit budget and its own consent screens. Staff
    (team None) are not capped. Raises Django's ValidationError (a 400 through the API)
    when the toolkit refuses the app.
    """
    if team is not None:
        # The team's row lock makes concurrent registrations count one after the other.
        Team.objects.select_for_update().only("pk").get(pk=team.pk)
        limit = settings.OAUTH_APPLICATIONS_PER_TEAM
        if Application.objects.filter(team=team).count() >= limit:
            raise LimitExceeded(APPLICATION_LIMIT.format(limit=limit))
    secret = generate_client_secret()
    application = Application(
        team=team,
        name=name,
        client_type=client_type,
        authorization_grant_type=authorization_grant_type,
        redirect_uris=redirect_uris,
        client_secret=secret,
        hash_client_secret=True,
    )
    # The toolkit's own rules: redirect URIs' schemes and what each grant type needs.
    application.full_clean(exclude=["client_id", "client_secret", "user", "team"])
    application.save()
    return application, secret
