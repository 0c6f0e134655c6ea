"""Refresh rotation and reuse protection, client credentials, revocation, introspection."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from rest_framework.test import APIClient

from sparkloop.models import Team
from sparkloop.oauth.models import AccessToken, Application, Connection, RefreshToken
from tests.oauth.helpers import (
    bearer,
    code_from,
    consent,
    exchange,
    logged_in,
    make_app,
    make_member,
)
from webhooks.models import Event

SCOPES = "read:subscribers"


def token_request(app: Application, secret: str, **data: str) -> tuple[int, dict[str, Any]]:
    client = APIClient()
    response = client.post(
        "/oauth/token/", {**data, "client_id": app.client_id, "client_secret": secret}
    )
    return response.status_code, response.json()


def authorized_tokens(team: Team) -> tuple[Application, str, dict[str, Any]]:
    """An app authorized by `team` through the consent page, and its first token response."""
    app, secret = make_app()
    browser = logged_in(make_member(team))
    verifier, response = consent(browser, app, scope=SCOPES)
    status, body = exchange(app, secret, code=code_from(response), verifier=verifier)
    assert status == 200, body
    return app, secret, body


@pytest.mark.django_db
class TestRefreshTokens:
    def test_it_rotates_the_pair_and_keeps_the_team(self, team: Team) -> None:
        app, secret, first = authorized_tokens(team)

        status, second = token_request(
            app, secret, grant_type="refresh_token", refresh_token=first["refresh_token"]
        )

        assert status == 200, second
        assert second["refresh_token"] != first["refresh_token"]
        assert bearer(first["access_token"]).get("/v2/subscribers").status_code == 401
        assert bearer(second["access_token"]).get("/v2/subscribers").status_code == 200
        assert set(AccessToken.objects.values_list("team", flat=True)) == {team.pk}
        assert set(RefreshToken.objects.values_list("team", flat=True)) == {team.pk}

    def test_it_revokes_the_whole_family_when_a_rotated_token_is_reused(self, team: Team) -> None:
        app, secret, first = authorized_tokens(team)
        _, second = token_request(
            app, secret, grant_type="refresh_token", refresh_token=first["refresh_token"]
        )

        # A thief replays the first refresh token: refused, and the legitimate chain dies too.
        status, body = token_request(
            app, secret, grant_type="refresh_token", refresh_token=first["refresh_token"]
        )

        assert status == 400
        assert body["error"] == "invalid_grant"
        status, body = token_request(
            app, secret, grant_type="refresh_token", refresh_token=second["refresh_token"]
        )
        assert status == 400
        assert body["error"] == "invalid_grant"
        assert bearer(second["access_token"]).get("/v2/subscribers").status_code == 401

    def test_it_refuses_a_refresh_token_of_another_app(self, team: Team) -> None:
        _, _, first = authorized_tokens(team)
        other_app, other_secret = make_app(name="Other")

        status, body = token_request(
            other_app,
            other_secret,
            grant_type="refresh_token",
            refresh_token=first["refresh_token"],
        )

        assert status == 400
        assert body["error"] == "invalid_grant"


@pytest.mark.django_db
class TestClientCredentials:
    def test_it_issues_a_token_that_acts_for_the_apps_own_team(
        self, team: Team, other_team: Team
    ) -> None:
        app, secret = make_app(team=team, grant="client_credentials")

        status, body = token_request(app, secret, grant_type="client_credentials", scope=SCOPES)

        assert status == 200, body
        assert "refresh_token" not in body
        assert bearer(body["access_token"]).get("/v2/subscribers").status_code == 200
        token = AccessToken.objects.get()
        assert (token.team, token.user) == (team, None)

    def test_it_connects_the_app_once_with_one_event(self, team: Team) -> None:
        app, secret = make_app(team=team, grant="client_credentials")

        token_request(app, secret, grant_type="client_credentials", scope=SCOPES)
        token_request(app, secret, grant_type="client_credentials", scope="read:campaigns")

        connection = Connection.objects.get()
        assert connection.team == team
        assert sorted(connection.scope.split()) == ["read:campaigns", "read:subscribers"]
        assert Event.objects.filter(team=team, type="app.connected").count() == 1

    def test_it_refuses_an_app_without_a_team(self, db: None) -> None:
        app, secret = make_app(team=None, grant="client_credentials")

        status, body = token_request(app, secret, grant_type="client_credentials", scope=SCOPES)

        assert status == 400
        assert body["error"] == "unauthorized_client"
        assert not AccessToken.objects.exists()

    def test_it_refuses_a_wrong_secret(self, team: Team) -> None:
        app, _ = make_app(team=team, grant="client_credentials")

        status, body = token_request(app, "wrong", grant_type="client_credentials", scope=SCOPES)

        assert status == 401
        assert body["error"] == "invalid_client"

    def test_it_refuses_the_grant_to_an_authorization_code_app(self, team: Team) -> None:
        app, secret = make_app(team=team)

        status, body = token_request(app, secret, grant_type="client_credentials", scope=SCOPES)

        assert status == 400
        assert body["error"] == "unauthorized_client"


@pytest.mark.django_db
class TestRevocationAndIntrospection:
    def test_it_revokes_an_access_token_and_its_refresh_token(self, team: Team) -> None:
        app, secret, tokens = authorized_tokens(team)

        response = APIClient().post(
            "/oauth/revoke_token/",
            {"token": tokens["access_token"], "client_id": app.client_id, "client_secret": secret},
        )

        assert response.status_code == 200
        assert bearer(tokens["access_token"]).get("/v2/subscribers").status_code == 401
        status, _ = token_request(
            app, secret, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
        )
        assert status == 400

    def test_it_does_not_let_an_app_revoke_another_apps_token(self, team: Team) -> None:
        _, _, tokens = authorized_tokens(team)
        other_app, other_secret = make_app(name="Other")

        APIClient().post(
            "/oauth/revoke_token/",
            {
                "token": tokens["access_token"],
                "client_id": other_app.client_id,
                "client_secret": other_secret,
            },
        )

        assert bearer(tokens["access_token"]).get("/v2/subscribers").status_code == 200

    def test_it_introspects_a_token_for_the_app_that_holds_it(self, team: Team) -> None:
        app, secret, tokens = authorized_tokens(team)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=_basic(app.client_id, secret))

        active = client.post("/oauth/introspect/", {"token": tokens["access_token"]}).json()
        unknown = client.post("/oauth/introspect/", {"token": "nope"}).json()

        assert active["active"] is True
        assert active["scope"] == SCOPES
        assert active["client_id"] == app.client_id
        assert unknown == {"active": False}

    def test_it_refuses_introspection_without_credentials(self, team: Team) -> None:
        _, _, tokens = authorized_tokens(team)

        response = APIClient().post("/oauth/introspect/", {"token": tokens["access_token"]})

        assert response.status_code in (401, 403)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
