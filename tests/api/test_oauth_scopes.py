"""OAuth Bearer tokens on the API: every endpoint, scopes per method, and the 401s."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from sparkloop.api.permissions import IsTeamAuthenticated
from sparkloop.api.views import TeamViewSet
from sparkloop.models import Team
from subscribers.services import subscriber_create
from tests.clients import KeyedClient
from tests.oauth.helpers import bearer, fast_hashers, issue_token

__all__ = ["fast_hashers"]

ALL_SCOPES = (
    "read:subscribers write:subscribers read:campaigns write:campaigns "
    "read:webhooks write:webhooks read:partners write:partners"
)


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def test_every_api_view_that_acts_for_a_team_declares_its_scope_resource() -> None:
    """Endpoints added later can't forget their scope: a token would get 403 everywhere."""
    checked = 0
    for route, pattern in _walk(get_resolver().url_patterns):
        if not route.startswith(("v2/", "api/v2/")):
            continue
        view = getattr(pattern.callback, "cls", None)
        assert view is not None, f"{route} is not a DRF view"
        if IsTeamAuthenticated not in view.permission_classes:
            continue  # public (the schema and its docs)
        assert issubclass(view, TeamViewSet), f"{route}: {view.__name__} is not a TeamViewSet"
        assert view.scope_resource, f"{route}: {view.__name__} declares no scope_resource"
        checked += 1
    assert checked >= 10


@pytest.mark.django_db
class TestBearerTokens:
    @pytest.mark.parametrize(
        "path",
        ["/v2/subscribers", "/v2/campaigns", "/v2/webhooks", "/api/v2/subscribers"],
    )
    def test_it_works_on_every_endpoint_beside_api_keys(self, team: Team, path: str) -> None:
        response = bearer(issue_token(team=team, scope=ALL_SCOPES)).get(path)

        assert response.status_code == 200, response.content

    def test_it_acts_for_the_tokens_team_only(self, team: Team, other_team: Team) -> None:
        subscriber_create(team=team, email="alice@example.com")
        mine = subscriber_create(team=other_team, email="charlie@example.com")
        client = bearer(issue_token(team=other_team, scope="read:subscribers"))

        listed = client.get("/v2/subscribers").json()["subscribers"]

        assert [s["email"] for s in listed] == ["charlie@example.com"]
        assert client.get(f"/v2/subscribers/{mine.public_id}").status_code == 200

    def test_it_gets_a_404_for_another_teams_subscriber(self, team: Team, other_team: Team) -> None:
        theirs = subscriber_create(team=team, email="alice@example.com")
        client = bearer(issue_token(team=other_team, scope="read:subscribers"))

        response = client.get(f"/v2/subscribers/{theirs.public_id}")

        assert response.status_code == 404

    def test_it_accepts_any_case_of_the_scheme(self, team: Team) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="bearer " + issue_token(team=team, scope=ALL_SCOPES))

        assert client.get("/v2/subscribers").status_code == 200

    def test_an_api_key_still_wins_when_both_are_sent(
        self, team: Team, api_client: KeyedClient
    ) -> None:
        api_client.credentials(
            HTTP_X_API_KEY=api_client.raw_key, HTTP_AUTHORIZATION="Bearer not-a-token"
        )

        assert api_client.get("/v2/subscribers").status_code == 200


@pytest.mark.django_db
class TestScopes:
    def test_it_needs_read_scope_for_safe_methods(self, team: Team) -> None:
        client = bearer(issue_token(team=team, scope="read:campaigns"))

        response = client.get("/v2/subscribers")

        assert response.status_code == 403
        assert response.json() == {"error": "Missing scope: read:subscribers"}

    def test_it_needs_write_scope_for_other_methods(self, team: Team) -> None:
        client = bearer(issue_token(team=team, scope="read:subscribers"))

        response = client.post("/v2/subscribers", {"email": "a@example.com"}, format="json")

        assert response.status_code == 403
        assert response.json() == {"error": "Missing scope: write:subscribers"}

    def test_write_does_not_imply_read(self, team: Team) -> None:
        client = bearer(issue_token(team=team, scope="write:subscribers"))

        assert (
            client.post("/v2/subscribers", {"email": "a@example.com"}, format="json").status_code
            == 201
        )
        assert client.get("/v2/subscribers").status_code == 403

    @pytest.mark.parametrize(
        ("method", "path", "scope"),
        [
            ("get", "/v2/campaigns", "read:campaigns"),
            ("post", "/v2/campaigns", "write:campaigns"),
            ("get", "/v2/webhooks", "read:webhooks"),
            ("post", "/v2/webhooks", "write:webhooks"),
            ("delete", "/v2/subscribers/sub_missing", "write:subscribers"),
            ("get", "/v2/oauth/connections", "read:oauth"),
        ],
    )
    def test_it_names_the_missing_scope_of_each_endpoint(
        self, team: Team, method: str, path: str, scope: str
    ) -> None:
        client = bearer(issue_token(team=team, scope="read:partners"))

        response = getattr(client, method)(path, {}, format="json")

        assert response.status_code == 403
        assert response.json() == {"error": f"Missing scope: {scope}"}

    def test_api_keys_keep_full_access(self, api_client: Any) -> None:
        assert api_client.get("/v2/oauth/connections").status_code == 200
        assert api_client.get("/v2/webhooks").status_code == 200


@pytest.mark.django_db
class TestUnauthenticated:
    def test_it_answers_an_unknown_token_with_401(self, db: None) -> None:
        response = bearer("not-a-token").get("/v2/subscribers")

        assert response.status_code == 401
        assert response.json() == {"error": "Access token is invalid or expired"}

    def test_it_answers_an_expired_token_with_401(self, team: Team) -> None:
        response = bearer(issue_token(team=team, scope=ALL_SCOPES, expires_in=-1)).get(
            "/v2/subscribers"
        )

        assert response.status_code == 401
        assert response.json() == {"error": "Access token is invalid or expired"}

    def test_it_answers_an_empty_bearer_with_401(self, db: None) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Bearer ")

        response = client.get("/v2/subscribers")

        assert response.status_code == 401
        assert response.json() == {"error": "Access token is invalid or expired"}

    def test_it_keeps_the_contracts_error_without_any_credentials(self, anon_client: Any) -> None:
        response = anon_client.get("/v2/subscribers")

        assert response.status_code == 401
        assert response.json() == {"error": "API key is missing!"}

    def test_it_ignores_other_authorization_schemes(self, anon_client: Any) -> None:
        anon_client.credentials(HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")

        response = anon_client.get("/v2/subscribers")

        assert response.status_code == 401
        assert response.json() == {"error": "API key is missing!"}
