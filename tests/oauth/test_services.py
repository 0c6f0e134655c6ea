"""Services of the OAuth app: connections and their revocation, app registration."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from sparkloop.models import Team
from sparkloop.oauth.models import AccessToken, Application, Connection, Grant, RefreshToken
from sparkloop.oauth.services import application_create, connection_record, connection_revoke
from tests.oauth.helpers import issue_token, make_app, make_member
from webhooks.models import Event


@pytest.mark.django_db
class TestConnectionRecord:
    def test_it_replaces_the_scopes_on_a_new_consent_with_an_event_each_time(
        self, team: Team
    ) -> None:
        app, _ = make_app()

        connection_record(team=team, application=app, scope="read:subscribers", consented=True)
        connection_record(team=team, application=app, scope="read:campaigns", consented=True)

        assert Connection.objects.get().scope == "read:campaigns"
        assert Event.objects.filter(team=team, type="app.connected").count() == 2

    def test_it_keeps_teams_apart(self, team: Team, other_team: Team) -> None:
        app, _ = make_app()

        connection_record(team=team, application=app, scope="read:subscribers", consented=True)
        connection_record(team=other_team, application=app, scope="read:webhooks", consented=True)

        assert Connection.objects.count() == 2
        assert Event.objects.filter(team=other_team, type="app.connected").count() == 1


@pytest.mark.django_db
class TestConnectionRevoke:
    def test_it_revokes_every_token_and_code_of_the_app_for_that_team_only(
        self, team: Team, other_team: Team
    ) -> None:
        app, _ = make_app()
        connection = connection_record(
            team=team, application=app, scope="read:subscribers", consented=True
        )
        issue_token(team=team, scope="read:subscribers", app=app)
        kept = issue_token(team=other_team, scope="read:subscribers", app=app)
        token = AccessToken.objects.get(team=team)
        user = make_member(team)
        RefreshToken.objects.create(
            user=user, team=team, application=app, access_token=token, token="refresh-1"
        )
        Grant.objects.create(
            user=user,
            team=team,
            application=app,
            code="code-1",
            redirect_uri="https://partner.example/callback",
            scope="read:subscribers",
            expires=token.expires,
        )

        connection_revoke(connection=connection)

        assert not AccessToken.objects.filter(team=team).exists()
        assert AccessToken.objects.filter(team=other_team).count() == 1
        assert RefreshToken.objects.get(team=team).revoked is not None
        assert not Grant.objects.exists()
        assert not Connection.objects.filter(team=team).exists()
        assert kept


@pytest.mark.django_db
class TestApplicationCreate:
    def test_it_stores_the_secret_only_as_a_hash(self, team: Team) -> None:
        app, secret = make_app(team=team)

        assert app.client_secret != secret
        assert app.team == team

    def test_it_refuses_a_plain_http_redirect_uri(self, team: Team) -> None:
        with pytest.raises(ValidationError):
            application_create(
                team=team,
                name="Insecure",
                client_type=Application.CLIENT_CONFIDENTIAL,
                authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
                redirect_uris="http://partner.example/callback",
            )
        assert not Application.objects.exists()
