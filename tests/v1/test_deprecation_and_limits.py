"""API v1's deprecation headers on every response, its rate limit, and its OAuth scopes."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, set_script_prefix
from rest_framework.test import APIClient

from referrals.models import Campaign
from referrals.v1.middleware import DEPRECATED_AT, DeprecationHeadersMiddleware
from sparkloop.api.permissions import IsTeamAuthenticated
from sparkloop.api.views import TeamViewSet
from sparkloop.models import Team
from subscribers.models import Subscriber
from tests.oauth.helpers import bearer, fast_hashers, issue_token
from tests.v1.conftest import error, ok

__all__ = ["fast_hashers"]

pytestmark = pytest.mark.django_db

LINK = (
    '</v2/docs>; rel="successor-version"; type="text/html", '
    '</v2/docs>; rel="deprecation"; type="text/html"'
)


def assert_deprecated(response: Any) -> None:
    assert response["Deprecation"] == f"@{int(DEPRECATED_AT.timestamp())}"
    assert parsedate_to_datetime(response["Sunset"]) == datetime(
        2027, 12, 31, 23, 59, 59, tzinfo=UTC
    )
    assert response["Link"] == LINK


class TestDeprecationHeaders:
    def test_a_successful_response_carries_them(
        self, api_client: APIClient, default: Campaign
    ) -> None:
        response = api_client.get(f"/v1/campaigns/{default.public_id}")

        assert response.status_code == 200
        assert_deprecated(response)
        assert response["Deprecation"].startswith("@")  # RFC 9745: a structured date

    @pytest.mark.parametrize(
        ("method", "path", "body", "status"),
        [
            ("get", "/v1/campaigns/MF0000000000", None, 404),  # a view's error
            ("get", "/v1/no-such-thing", None, 404),  # no view at all
            ("get", "/api/v1/campaigns/%00", None, 404),  # refused before any view
            ("put", "/v1/campaigns/{default}", "{not json", 400),  # malformed JSON
            ("delete", "/v1/campaigns", None, 405),
        ],
    )
    def test_every_error_carries_them_too(
        self,
        api_client: APIClient,
        default: Campaign,
        method: str,
        path: str,
        body: str | None,
        status: int,
    ) -> None:
        path = path.format(default=default.public_id)
        kwargs = {"data": body, "content_type": "application/json"} if body else {}
        response = getattr(api_client, method)(path, **kwargs)

        assert response.status_code == status
        assert isinstance(response.json()["error"], str)
        assert_deprecated(response)

    def test_an_unauthenticated_request_carries_them(self, anon_client: APIClient) -> None:
        response = anon_client.get("/v1/campaigns")

        assert error(response, 401) == "API key is missing!"
        assert_deprecated(response)

    def test_v2_and_other_pages_do_not_carry_them(
        self, api_client: APIClient, anon_client: APIClient
    ) -> None:
        for response in (api_client.get("/v2/campaigns"), anon_client.get("/admin/login/")):
            assert "Deprecation" not in response
            assert "Sunset" not in response

    def test_the_sunset_is_a_setting(self, api_client: APIClient) -> None:
        with override_settings(API_V1_SUNSET="2028-06-30"):
            response = api_client.get("/v1/campaigns")

        assert response["Sunset"] == "Fri, 30 Jun 2028 00:00:00 GMT"

    def test_a_malformed_sunset_stops_the_start(self) -> None:
        with override_settings(API_V1_SUNSET="next summer"), pytest.raises(ImproperlyConfigured):
            DeprecationHeadersMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]

    def test_the_link_keeps_the_script_prefix_it_is_served_under(
        self, api_client: APIClient
    ) -> None:
        # WSGIHandler sets the prefix from SCRIPT_NAME (the test client does not).
        set_script_prefix("/referrals/")
        try:
            response = api_client.get("/v1/campaigns")
        finally:
            set_script_prefix("/")

        assert response.status_code == 200
        assert response["Link"].startswith('</referrals/v2/docs>; rel="successor-version"')


def _a_fresh_minute(room: float = 25.0) -> None:
    # The windows are fixed and aligned to the epoch: 61 requests that straddle a minute's
    # end are counted in two windows, and none is refused. Start where they all fit in one.
    left = 60 - time.time() % 60
    if left < room:
        time.sleep(left + 0.05)


class TestRateLimit:
    def test_v1_allows_60_requests_a_minute_per_key(self, api_client: APIClient) -> None:
        _a_fresh_minute()
        statuses = [api_client.get("/v1/campaigns").status_code for _ in range(60)]
        refused = api_client.get("/v1/campaigns")

        assert set(statuses) == {200}
        assert refused.status_code == 429
        assert refused.json() == {"error": "Rate limit exceeded"}
        assert 1 <= int(refused["Retry-After"]) <= 60
        assert refused["X-RateLimit-Limit"] == "60"
        assert refused["RateLimit-Policy"] == '"v1";q=60;w=60'
        assert_deprecated(refused)

    def test_its_headers_tell_the_v1_budget(self, api_client: APIClient) -> None:
        response = api_client.get("/api/v1/campaigns")

        assert (response["X-RateLimit-Limit"], response["X-RateLimit-Remaining"]) == ("60", "59")

    @override_settings(RATE_LIMIT_V1="2/60")
    def test_a_v1_refusal_leaves_v2_and_other_keys_alone(
        self, team: Team, api_client: APIClient, other_client: APIClient
    ) -> None:
        for _ in range(2):
            api_client.get("/v1/campaigns")
        refused = api_client.post(
            "/v1/campaigns/x/subscribers", {"email": "a@example.com"}, format="json"
        )

        assert refused.status_code == 429
        assert not Subscriber.objects.exists()  # a refused request does nothing
        assert api_client.get("/v2/campaigns").status_code == 200
        assert other_client.get("/v1/campaigns").status_code == 200

    @override_settings(RATE_LIMIT_DEFAULT="3/60")
    def test_v1_requests_count_against_the_keys_budget_too(self, api_client: APIClient) -> None:
        api_client.get("/v1/campaigns")
        api_client.get("/api/v1/campaigns")
        last = api_client.get("/v2/campaigns")

        assert (last.status_code, last["X-RateLimit-Remaining"]) == (200, "0")
        assert api_client.get("/v2/campaigns").status_code == 429
        assert api_client.get("/v1/campaigns").status_code == 429

    @override_settings(RATE_LIMIT_V1="60/sixty")
    def test_a_malformed_limit_is_a_configuration_error(self, api_client: APIClient) -> None:
        with pytest.raises(ImproperlyConfigured):
            api_client.get("/v1/campaigns")


def _walk(patterns: list[Any], prefix: str = "") -> Any:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


class TestScopes:
    def test_every_v1_view_declares_its_scope_resource(self) -> None:
        checked = 0
        for route, pattern in _walk(get_resolver().url_patterns):
            if not route.startswith(("v1/", "api/v1/")):
                continue
            view = pattern.callback.cls
            assert IsTeamAuthenticated in view.permission_classes, route
            assert issubclass(view, TeamViewSet), route
            assert view.scope_resource in {"campaigns", "subscribers", "webhooks"}, route
            checked += 1
        assert checked >= 12

    @pytest.mark.parametrize(
        ("method", "path", "scope"),
        [
            ("get", "/v1/campaigns", "read:campaigns"),
            ("put", "/v1/campaigns/{campaign}", "write:campaigns"),
            ("get", "/v1/campaigns/{campaign}/subscribers", "read:subscribers"),
            ("post", "/v1/campaigns/{campaign}/subscribers", "write:subscribers"),
            (
                "get",
                "/v1/campaigns/{campaign}/subscribers/{subscriber}/referrals",
                "read:subscribers",
            ),
            (
                "post",
                "/v1/campaigns/{campaign}/subscribers/{subscriber}/events",
                "write:subscribers",
            ),
            ("get", "/v1/campaigns/{campaign}/webhooks", "read:webhooks"),
            ("post", "/v1/campaigns/{campaign}/webhooks", "write:webhooks"),
        ],
    )
    def test_a_token_needs_the_scope_v2_asks_for(
        self, team: Team, default: Campaign, bob: Subscriber, method: str, path: str, scope: str
    ) -> None:
        path = path.format(campaign=default.public_id, subscriber=bob.public_id)
        others = [
            s
            for s in ("read", "write")
            for s in (f"{s}:campaigns", f"{s}:subscribers", f"{s}:webhooks")
        ]
        without = bearer(issue_token(team=team, scope=" ".join(s for s in others if s != scope)))
        with_it = bearer(issue_token(team=team, scope=scope))

        refused = getattr(without, method)(path, {}, format="json")
        allowed = getattr(with_it, method)(path, {}, format="json")

        assert error(refused, 403) == f"Missing scope: {scope}"
        assert_deprecated(refused)
        assert allowed.status_code != 403

    def test_a_token_acts_for_its_team_only(
        self, team: Team, other_team: Team, other_campaign: Campaign
    ) -> None:
        client = bearer(issue_token(team=team, scope="read:campaigns read:subscribers"))

        listed = ok(client.get("/v1/campaigns"))["campaigns"]
        theirs = client.get(f"/v1/campaigns/{other_campaign.public_id}/subscribers")

        assert other_campaign.public_id not in [c["uuid"] for c in listed]
        assert error(theirs, 404) == f"Campaign {other_campaign.public_id} not found!"
