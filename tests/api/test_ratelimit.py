"""Rate limits (contract: Conventions, rate limits): per key, tiers, headers, 429."""

from __future__ import annotations

import multiprocessing
import re
import time
from types import SimpleNamespace

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from sparkloop.api import throttling
from sparkloop.api.throttling import PARTNER, Rate, hit, parse_rate, principal
from sparkloop.models import Team
from sparkloop.services import api_key_create
from tests.oauth.helpers import bearer, issue_token, make_app

pytestmark = pytest.mark.django_db

HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def client_for(team: Team) -> APIClient:
    _, raw = api_key_create(team=team)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    return client


def set_tier(team: Team, tier: str, **fields: int) -> None:
    Team.objects.filter(pk=team.pk).update(rate_limit_tier=tier, **fields)


class TestHeaders:
    def test_it_puts_the_headers_on_a_successful_response(self, api_client: APIClient) -> None:
        before = time.time()
        response = api_client.get("/v2/subscribers")

        assert response.status_code == 200
        assert response["X-RateLimit-Limit"] == "120"
        assert response["X-RateLimit-Remaining"] == "119"
        reset = int(response["X-RateLimit-Reset"])
        assert before < reset <= before + 61
        assert reset % 60 == 0  # windows are aligned, so every process agrees on them
        assert response["RateLimit-Policy"] == '"default";q=120;w=60'
        assert re.fullmatch(r'"default";r=119;t=\d+', response["RateLimit"])
        assert 1 <= int(response["RateLimit"].rsplit("=", 1)[1]) <= 60

    def test_it_counts_down_per_key(self, api_client: APIClient) -> None:
        remaining = [int(api_client.get("/v2/subscribers")["X-RateLimit-Remaining"]) for _ in "abc"]

        assert remaining == [119, 118, 117]

    def test_it_serves_them_under_the_api_v2_prefix_too(self, api_client: APIClient) -> None:
        api_client.get("/v2/subscribers")
        response = api_client.get("/api/v2/subscribers")

        assert response["X-RateLimit-Remaining"] == "118"

    def test_it_puts_them_on_error_responses(self, api_client: APIClient) -> None:
        response = api_client.get("/v2/subscribers/nobody@example.com")

        assert response.status_code == 404
        assert response["X-RateLimit-Remaining"] == "119"

    def test_it_counts_an_unknown_path_for_the_key(self, api_client: APIClient) -> None:
        api_client.get("/v2/subscribers")
        response = api_client.get("/v2/no-such-thing")

        assert response.status_code == 404
        assert response.json() == {"error": "Not found"}
        assert response["X-RateLimit-Remaining"] == "118"

    def test_it_counts_unauthenticated_requests_by_address(self, anon_client: APIClient) -> None:
        first = anon_client.get("/v2/subscribers")
        second = anon_client.get("/v2/subscribers", HTTP_X_API_KEY="not-a-key")

        assert (first.status_code, second.status_code) == (401, 401)
        assert second.json() == {"error": "User not found!"}
        assert [first["X-RateLimit-Remaining"], second["X-RateLimit-Remaining"]] == ["119", "118"]

    def test_it_leaves_pages_outside_the_api_alone(self, anon_client: APIClient) -> None:
        response = anon_client.get("/admin/login/")

        assert "X-RateLimit-Limit" not in response


class TestLimit:
    @override_settings(RATE_LIMIT_DEFAULT="3/60")
    def test_it_refuses_requests_over_the_limit(self, api_client: APIClient) -> None:
        statuses = [api_client.get("/v2/subscribers").status_code for _ in range(3)]
        response = api_client.post("/v2/subscribers", {"email": "a@example.com"}, format="json")

        assert statuses == [200, 200, 200]
        assert response.status_code == 429
        assert response.json() == {"error": "Rate limit exceeded"}
        assert 1 <= int(response["Retry-After"]) <= 60
        assert response["X-RateLimit-Limit"] == "3"
        assert response["X-RateLimit-Remaining"] == "0"
        assert response["RateLimit"].startswith('"default";r=0;t=')

    @override_settings(RATE_LIMIT_DEFAULT="2/60")
    def test_each_key_has_its_own_budget(self, team: Team, other_client: APIClient) -> None:
        first, second = client_for(team), client_for(team)
        for _ in range(2):
            first.get("/v2/subscribers")

        assert first.get("/v2/subscribers").status_code == 429
        assert second.get("/v2/subscribers").status_code == 200
        assert other_client.get("/v2/subscribers").status_code == 200

    @override_settings(RATE_LIMIT_DEFAULT="1/60")
    def test_a_refused_request_does_nothing(self, api_client: APIClient, team: Team) -> None:
        api_client.get("/v2/subscribers")
        response = api_client.post("/v2/subscribers", {"email": "a@example.com"}, format="json")

        assert response.status_code == 429
        assert not team.subscribers.exists()

    def test_a_new_window_starts_over(self) -> None:
        rate = Rate("default", 2, 60)
        start = 1_700_000_040.0  # a window boundary

        used = [hit("key:1", rate, now=start + n).allowed for n in range(3)]
        later = hit("key:1", rate, now=start + 60)

        assert used == [True, True, False]
        assert later.allowed
        assert later.remaining == 1
        assert later.reset_at == start + 120


class TestTiers:
    def test_the_standard_tier_allows_1000_an_hour(self, team: Team, api_client: APIClient) -> None:
        set_tier(team, Team.RateLimitTier.STANDARD)

        response = api_client.get("/v2/subscribers")

        assert response["X-RateLimit-Limit"] == "1000"
        assert response["RateLimit-Policy"] == '"standard";q=1000;w=3600'

    def test_the_partner_tier_starts_with_its_burst(
        self, team: Team, api_client: APIClient
    ) -> None:
        set_tier(team, Team.RateLimitTier.PARTNER)

        response = api_client.get("/v2/subscribers")

        assert response["X-RateLimit-Limit"] == "12000"  # 10,000 + a full burst allowance
        assert response["RateLimit-Policy"] == '"partner";q=12000;w=3600'

    def test_the_partner_burst_is_what_the_last_hour_left_unused(self) -> None:
        start = 1_700_002_800.0  # an hour boundary
        caches["default"].set(f"ratelimit:key:9:3600:{int(start // 3600) - 1}", 9_500, 600)

        status = hit("key:9", PARTNER, now=start + 5)

        assert status.limit == 10_500

    def test_a_partner_that_used_everything_gets_no_burst(self) -> None:
        start = 1_700_002_800.0
        caches["default"].set(f"ratelimit:key:9:3600:{int(start // 3600) - 1}", 12_000, 600)

        assert hit("key:9", PARTNER, now=start + 5).limit == 10_000

    def test_the_custom_tier_uses_the_teams_numbers(
        self, team: Team, api_client: APIClient
    ) -> None:
        set_tier(team, Team.RateLimitTier.CUSTOM, custom_rate_limit=5000, custom_rate_period=300)

        response = api_client.get("/v2/subscribers")

        assert response["RateLimit-Policy"] == '"custom";q=5000;w=300'

    def test_a_custom_tier_without_numbers_falls_back_to_the_default(
        self, team: Team, api_client: APIClient
    ) -> None:
        set_tier(team, Team.RateLimitTier.CUSTOM)

        assert api_client.get("/v2/subscribers")["X-RateLimit-Limit"] == "120"

    @override_settings(RATE_LIMIT_DEFAULT="5000/3600")
    def test_the_default_tier_comes_from_the_setting(self, api_client: APIClient) -> None:
        response = api_client.get("/v2/subscribers")

        assert response["RateLimit-Policy"] == '"default";q=5000;w=3600'

    @pytest.mark.parametrize("value", ["120", "0/60", "120/0", "a/b", "120/60/1", ""])
    def test_a_malformed_rate_is_a_configuration_error(self, value: str) -> None:
        with pytest.raises(ImproperlyConfigured):
            parse_rate(value, name="default")


class TestPrincipal:
    def test_an_oauth_token_is_counted_per_application_and_team(self, team: Team) -> None:
        request = RequestFactory().get("/v2/subscribers")
        request.auth = SimpleNamespace(application_id=7)  # type: ignore[attr-defined]
        request.team = team  # type: ignore[attr-defined]

        assert principal(request) == (f"app:7:team:{team.pk}", team)

    def test_an_unauthenticated_request_is_counted_by_its_address(self) -> None:
        request = RequestFactory().get("/v2/subscribers", REMOTE_ADDR="203.0.113.7")

        assert principal(request) == ("ip:203.0.113.7", None)

    def test_x_forwarded_for_is_ignored_without_known_proxies(self) -> None:
        request = RequestFactory().get(
            "/v2/subscribers", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1"
        )

        assert principal(request) == ("ip:203.0.113.7", None)


def test_a_cache_outage_admits_the_request_uncounted() -> None:
    request = RequestFactory().get("/v2/subscribers")
    broken = {"BACKEND": "django.core.cache.backends.redis.RedisCache"}
    with override_settings(CACHES={"default": {**broken, "LOCATION": "redis://127.0.0.1:1/0"}}):
        # A real refused connection: authentication aside, counting must not fail the request.
        status = throttling._count(request)

    assert status is None


def _hammer(identity: str, count: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    rate = Rate("default", 100, 3600)
    queue.put(sum(hit(identity, rate, now=1_700_002_900.0).allowed for _ in range(count)))


@pytest.mark.parametrize(
    "backend",
    ["configured", "django.core.cache.backends.filebased.FileBasedCache"],
)
def test_counting_is_exact_across_processes(backend: str, tmp_path: object) -> None:
    caches_setting = None
    if backend != "configured":
        caches_setting = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path)}}
    with override_settings(**({"CACHES": caches_setting} if caches_setting else {})):
        caches["default"].clear()
        queue: multiprocessing.Queue[int] = multiprocessing.get_context("fork").Queue()
        workers = [
            multiprocessing.get_context("fork").Process(
                target=_hammer, args=(f"key:proc-{backend}", 60, queue)
            )
            for _ in range(4)
        ]
        for worker in workers:
            worker.start()
        admitted = sum(queue.get(timeout=60) for _ in workers)
        for worker in workers:
            worker.join(timeout=10)

        assert admitted == 100  # 240 tries against a limit of 100, from 4 processes
        key = f"ratelimit:key:proc-{backend}:3600:{(1_700_002_900 // 3600)}"
        assert caches["default"].get(key) == 240


class TestOAuthTokens:
    def test_an_apps_tokens_share_one_budget_per_team(self, team: Team, other_team: Team) -> None:
        app, _ = make_app(name="partner-platform")
        first = bearer(issue_token(team=team, scope="read:subscribers", app=app))
        second = bearer(issue_token(team=team, scope="read:subscribers", app=app))
        elsewhere = bearer(issue_token(team=other_team, scope="read:subscribers", app=app))

        first.get("/v2/subscribers")
        response = second.get("/v2/subscribers")

        assert response.status_code == 200
        assert response["X-RateLimit-Remaining"] == "118"
        assert elsewhere.get("/v2/subscribers")["X-RateLimit-Remaining"] == "119"

    def test_a_request_refused_for_its_scope_is_counted(self, team: Team) -> None:
        client = bearer(issue_token(team=team, scope="read:webhooks"))
        client.get("/v2/webhooks")

        response = client.get("/v2/subscribers")

        assert response.status_code == 403
        assert response["X-RateLimit-Remaining"] == "118"

    @override_settings(RATE_LIMIT_DEFAULT="2/60")
    def test_a_token_over_the_limit_gets_429(self, team: Team) -> None:
        client = bearer(issue_token(team=team, scope="read:subscribers"))
        for _ in range(2):
            client.get("/v2/subscribers")

        response = client.get("/v2/subscribers")

        assert response.status_code == 429
        assert response.json() == {"error": "Rate limit exceeded"}
        assert "Retry-After" in response


class TestOAuthTeamBudget:
    @override_settings(RATE_LIMIT_DEFAULT="2/60")
    def test_a_teams_apps_share_the_teams_budget(self, team: Team, other_team: Team) -> None:
        first = bearer(issue_token(team=team, scope="read:subscribers"))
        second = bearer(issue_token(team=team, scope="read:subscribers"))
        elsewhere = bearer(issue_token(team=other_team, scope="read:subscribers"))
        for _ in range(2):
            assert first.get("/v2/subscribers").status_code == 200

        response = second.get("/v2/subscribers")

        assert response.status_code == 429
        assert response.json() == {"error": "Rate limit exceeded"}
        assert elsewhere.get("/v2/subscribers").status_code == 200

    def test_the_headers_tell_the_tighter_budget(self, team: Team) -> None:
        first = bearer(issue_token(team=team, scope="read:subscribers"))
        second = bearer(issue_token(team=team, scope="read:subscribers"))
        first.get("/v2/subscribers")
        first.get("/v2/subscribers")

        # The second app has used 1 of its own 120, the team's OAuth budget 3 of 120.
        assert second.get("/v2/subscribers")["X-RateLimit-Remaining"] == "117"

    @override_settings(RATE_LIMIT_DEFAULT="2/60")
    def test_the_teams_api_keys_keep_their_own_budget(
        self, team: Team, api_client: APIClient
    ) -> None:
        client = bearer(issue_token(team=team, scope="read:subscribers"))
        for _ in range(3):
            client.get("/v2/subscribers")

        assert api_client.get("/v2/subscribers").status_code == 200


class TestBadKeys:
    @override_settings(RATE_LIMIT_AUTH_FAILURES="3/60")
    def test_an_address_sending_bad_keys_is_refused_before_any_lookup(
        self, api_client: APIClient
    ) -> None:
        bad = APIClient()
        bad.credentials(HTTP_X_API_KEY="not-a-key")
        for _ in range(3):
            assert bad.get("/v2/subscribers").status_code == 401

        with CaptureQueriesContext(connection) as queries:
            response = bad.get("/v2/subscribers")

        assert response.status_code == 429
        assert response.json() == {"error": "Rate limit exceeded"}
        assert 1 <= int(response["Retry-After"]) <= 60
        assert response["RateLimit-Policy"] == '"auth-failures";q=3;w=60'
        assert len(queries) == 0
        # The whole address waits for the window's end, valid keys included (docs/security.md).
        assert api_client.get("/v2/subscribers").status_code == 429

    @override_settings(RATE_LIMIT_AUTH_FAILURES="3/60")
    def test_another_address_is_not_refused(self, api_client: APIClient) -> None:
        bad = APIClient(REMOTE_ADDR="203.0.113.9")
        bad.credentials(HTTP_X_API_KEY="not-a-key")
        for _ in range(4):
            bad.get("/v2/subscribers")

        assert bad.get("/v2/subscribers").status_code == 429
        assert api_client.get("/v2/subscribers").status_code == 200

    @override_settings(RATE_LIMIT_AUTH_FAILURES="3/60")
    def test_requests_without_a_key_count_as_failures(self, anon_client: APIClient) -> None:
        for _ in range(3):
            assert anon_client.get("/v2/subscribers").status_code == 401

        assert anon_client.get("/v2/subscribers").status_code == 429

    @override_settings(RATE_LIMIT_AUTH_FAILURES="3/60")
    def test_successful_and_public_requests_do_not_count(
        self, api_client: APIClient, anon_client: APIClient
    ) -> None:
        for _ in range(4):
            assert api_client.get("/v2/subscribers").status_code == 200
            assert anon_client.get("/v2/docs").status_code == 200

        assert api_client.get("/v2/subscribers").status_code == 200
