"""django-oauth-toolkit's models, swapped so that every grant and token acts for one team.

The toolkit's own tables are never created: OAUTH2_PROVIDER_*_MODEL point here (settings).
A token's team is chosen by the person who consents (authorization code), or is the app's
own team (client credentials); the API authenticates a Bearer token as that team.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from oauth2_provider.models import (
    AbstractAccessToken,
    AbstractApplication,
    AbstractGrant,
    AbstractIDToken,
    AbstractRefreshToken,
    ApplicationManager,
)

from sparkloop.ids import make_public_id
from sparkloop.models import Team


def new_connection_id() -> str:
    return make_public_id("conn_")


class Application(AbstractApplication):
    """A third-party app. `team` is the team that registered it (None: registered by staff).

    Any team may authorize any app through the consent page; only an app with a team may use
    the client-credentials grant, and its tokens then act for that team.
    """

    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="oauth_applications",
        help_text="The team that owns the app; empty for apps registered by staff.",
    )
    # Consent is what picks the team a token acts for, so it can never be skipped.
    skip_authorization = False

    # The toolkit's models are untyped: the managers are declared here for type checking.
    objects: ClassVar[models.Manager[Application]] = ApplicationManager()

    class Meta(AbstractApplication.Meta):
        verbose_name = "OAuth application"

    def natural_key(self) -> tuple[str]:
        return (self.client_id,)


class Grant(AbstractGrant):
    """An authorization code; `team` is the one chosen on the consent page.

    A code is exchanged once. The exchange marks it used (instead of deleting it, as the
    toolkit would), names the token family it started, and pushes `expires` to the end of
    that family's life, so that the hourly clean-up keeps the code for as long as the tokens
    it issued may live: presenting it again revokes them all (RFC 6749 §4.1.2).
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, related_name="+")
    used_at = models.DateTimeField(null=True, blank=True, editable=False)
    token_family = models.UUIDField(null=True, blank=True, editable=False)

    objects: ClassVar[models.Manager[Grant]]

    class Meta(AbstractGrant.Meta):
        verbose_name = "OAuth grant"


class AccessToken(AbstractAccessToken):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="oauth_access_tokens")

    objects: ClassVar[models.Manager[AccessToken]]

    class Meta(AbstractAccessToken.Meta):
        verbose_name = "OAuth access token"


class RefreshToken(AbstractRefreshToken):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="oauth_refresh_tokens")

    objects: ClassVar[models.Manager[RefreshToken]]

    class Meta(AbstractRefreshToken.Meta):
        verbose_name = "OAuth refresh token"


class IDToken(AbstractIDToken):
    """Unused (no OpenID Connect); swapped only because AccessToken points at it."""

    class Meta(AbstractIDToken.Meta):
        verbose_name = "OpenID Connect ID token"


class Connection(models.Model):
    """An app connected to a team: authorized on the consent page, or the team's own app."""

    public_id = models.CharField(
        max_length=32, unique=True, default=new_connection_id, editable=False
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="oauth_connections")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="connections"
    )
    scope = models.TextField(blank=True, default="")
    connected_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "application"], name="uniq_connection_team_application"
            )
        ]
        indexes = [
            models.Index(fields=["team", "-connected_at"], name="connection_team_connected_idx")
        ]

    def __str__(self) -> str:
        return f"{self.application} -> {self.team}"
