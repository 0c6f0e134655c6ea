"""`/v2/oauth/connections` (apps connected to a team) and `/v2/oauth/applications`."""

from __future__ import annotations

from typing import Any

import pytest

from sparkloop.models import Team
from sparkloop.oauth.models import AccessToken, Application
from sparkloop.oauth.services import connection_record
from tests.oauth.helpers import REDIRECT_URI, bearer, fast_hashers, issue_token, make_app

__all__ = ["fast_hashers"]


def connect(team: Team, name: str = "Partner Platform") -> tuple[Application, str]:
    """An app connected to `team`, and a live token it holds for it."""
    app, _ = make_app(name=name)
    connection_record(team=team, application=app, scope="read:subscribers", consented=True)
    return app, issue_token(team=team, scope="read:subscribers", app=app)


@pytest.mark.django_db
class TestConnectionList:
    def test_it_lists_the_apps_connected_to_the_team(
        self, team: Team, other_team: Team, api_client: Any
    ) -> None:
        app, _ = connect(team)
        connect(other_team, name="Someone else's")

        response = api_client.get("/v2/oauth/connections")

        assert response.status_code == 200
        [item] = response.json()["connections"]
        assert item["id"].startswith("conn_")
        assert item["app_name"] == "Partner Platform"
        assert item["client_id"] == app.client_id
        assert item["scopes"] == ["read:subscribers"]
        assert item["connected_at"].endswith("Z")

    def test_it_needs_an_api_key(self, anon_client: Any) -> None:
        response = anon_client.get("/v2/oauth/connections")

        assert response.status_code == 401
        assert response.json() == {"error": "API key is missing!"}


@pytest.mark.django_db
class TestConnectionRevoke:
    def test_it_disconnects_the_app_and_its_tokens_stop_working(
        self, team: Team, api_client: Any
    ) -> None:
        _, token = connect(team)
        connection_id = api_client.get("/v2/oauth/connections").json()["connections"][0]["id"]
        assert bearer(token).get("/v2/subscribers").status_code == 200

        response = api_client.delete(f"/v2/oauth/connections/{connection_id}")

        assert response.status_code == 200
        assert response.json()["connection"]["id"] == connection_id
        assert bearer(token).get("/v2/subscribers").status_code == 401
        assert api_client.get("/v2/oauth/connections").json()["connections"] == []

    def test_it_returns_404_for_another_teams_connection(
        self, team: Team, other_team: Team, api_client: Any, other_client: Any
    ) -> None:
        _, token = connect(team)
        connection_id = api_client.get("/v2/oauth/connections").json()["connections"][0]["id"]

        response = other_client.delete(f"/v2/oauth/connections/{connection_id}")

        assert response.status_code == 404
        assert response.json() == {"error": f"Connection {connection_id} not found!"}
        assert bearer(token).get("/v2/subscribers").status_code == 200

    def test_it_returns_404_for_an_unknown_connection(self, api_client: Any) -> None:
        response = api_client.delete("/v2/oauth/connections/conn_missing")

        assert response.status_code == 404
        assert response.json() == {"error": "Connection conn_missing not found!"}

    def test_an_app_cannot_disconnect_itself_or_others(self, team: Team) -> None:
        _, token = connect(team)

        response = bearer(token).delete("/v2/oauth/connections/conn_any")

        assert response.status_code == 403
        assert response.json() == {"error": "Missing scope: write:oauth"}


@pytest.mark.django_db
class TestApplicationRegistration:
    def test_it_registers_an_authorization_code_app_for_the_team(
        self, team: Team, api_client: Any
    ) -> None:
        response = api_client.post(
            "/v2/oauth/applications",
            {
                "name": "My integration",
                "grant_type": "authorization_code",
                "redirect_uris": [REDIRECT_URI],
            },
            format="json",
        )

        assert response.status_code == 201, response.content
        body = response.json()["application"]
        app = Application.objects.get(client_id=body["client_id"])
        assert app.team == team
        assert body["grant_type"] == "authorization_code"
        assert body["redirect_uris"] == [REDIRECT_URI]
        assert body["client_secret"]
        assert app.client_secret != body["client_secret"]

    def test_it_registers_a_server_to_server_app_that_gets_tokens_for_the_team(
        self, team: Team, api_client: Any, anon_client: Any
    ) -> None:
        body = api_client.post(
            "/v2/oauth/applications",
            {"name": "Our backend", "grant_type": "client_credentials"},
            format="json",
        ).json()["application"]

        token = anon_client.post(
            "/oauth/token/",
            {
                "grant_type": "client_credentials",
                "scope": "read:subscribers",
                "client_id": body["client_id"],
                "client_secret": body["client_secret"],
            },
        ).json()

        assert bearer(token["access_token"]).get("/v2/subscribers").status_code == 200
        assert AccessToken.objects.get().team == team

    def test_it_lists_only_the_teams_own_apps(
        self, team: Team, other_team: Team, api_client: Any
    ) -> None:
        make_app(team=team, name="Mine")
        make_app(team=other_team, name="Theirs")
        make_app(name="Staff's")

        listed = api_client.get("/v2/oauth/applications").json()["applications"]

        assert [a["name"] for a in listed] == ["Mine"]
        assert "client_secret" not in listed[0]

    @pytest.mark.parametrize(
        ("data", "error"),
        [
            (
                {"grant_type": "authorization_code", "redirect_uris": [REDIRECT_URI]},
                "Name: This field is required.",
            ),
            (
                {"name": "x", "grant_type": "authorization_code"},
                "Redirect uris are required for the authorization_code grant",
            ),
            (
                {"name": "x", "grant_type": "client_credentials", "client_type": "public"},
                "The client_credentials grant needs a confidential client",
            ),
            (
                {"name": "x", "grant_type": "password"},
                'Grant type: "password" is not a valid choice.',
            ),
        ],
    )
    def test_it_refuses_invalid_registrations(
        self, api_client: Any, data: dict[str, Any], error: str
    ) -> None:
        response = api_client.post("/v2/oauth/applications", data, format="json")

        assert response.status_code == 400
        assert response.json()["error"] == error
        assert not Application.objects.exists()

    def test_it_refuses_a_plain_http_redirect_uri(self, api_client: Any) -> None:
        response = api_client.post(
            "/v2/oauth/applications",
            {
                "name": "x",
                "grant_type": "authorization_code",
                "redirect_uris": ["http://partner.example/cb"],
            },
            format="json",
        )

        assert response.status_code == 400
        assert "error" in response.json()
        assert not Application.objects.exists()


@pytest.mark.django_db
class TestApplicationCap:
    BODY = {"name": "x", "grant_type": "client_credentials"}

    def test_it_refuses_a_registration_past_the_teams_cap(
        self, api_client: Any, other_client: Any, team: Team, settings: Any
    ) -> None:
        settings.OAUTH_APPLICATIONS_PER_TEAM = 2
        for _ in range(2):
            assert (
                api_client.post("/v2/oauth/applications", self.BODY, format="json").status_code
                == 201
            )

        response = api_client.post("/v2/oauth/applications", self.BODY, format="json")

        assert response.status_code == 400
        assert response.json() == {"error": "A team may register at most 2 OAuth applications"}
        assert Application.objects.filter(team=team).count() == 2
        # Another team's cap is its own.
        assert (
            other_client.post("/v2/oauth/applications", self.BODY, format="json").status_code == 201
        )

    def test_apps_registered_by_staff_do_not_count(self, api_client: Any, settings: Any) -> None:
        settings.OAUTH_APPLICATIONS_PER_TEAM = 1
        make_app(name="Staff app")

        assert (
            api_client.post("/v2/oauth/applications", self.BODY, format="json").status_code == 201
        )
