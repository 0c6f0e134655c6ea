"""A known API key is authenticated from the cache (and, on Redis, counted with it in one
round trip); revoking it takes effect on the next request."""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sparkloop.api.authentication import key_cache_get
from sparkloop.models import ApiKey, Team, hash_api_key
from sparkloop.services import api_key_revoke
from tests.clients import KeyedClient


def _key_queries(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "sparkloop_apikey" in q["sql"]]


def test_it_looks_a_key_up_once_then_serves_it_from_the_cache(api_client: KeyedClient):
    with CaptureQueriesContext(connection) as first:
        assert api_client.get("/v2/subscribers").status_code == 200
    with CaptureQueriesContext(connection) as second:
        response = api_client.get("/v2/subscribers")
    assert response.status_code == 200
    # The first request also records last_used_at (an UPDATE, at most every 5 minutes).
    assert [q.split()[0] for q in _key_queries(first)] == ["SELECT", "UPDATE"]
    assert _key_queries(second) == []
    assert key_cache_get(hash_api_key(api_client.raw_key)) is not None


def test_a_cached_key_acts_for_its_own_team_only(
    api_client: KeyedClient, other_client: KeyedClient
):
    created = api_client.post("/v2/subscribers", {"email": "a@example.com"}, format="json")
    assert created.status_code == 201
    uuid = created.json()["subscriber"]["uuid"]
    for _ in range(2):  # the second time from the cache
        assert api_client.get(f"/v2/subscribers/{uuid}").status_code == 200
        assert other_client.get(f"/v2/subscribers/{uuid}").status_code == 404


def test_a_revoked_key_is_refused_on_its_next_request(api_client: KeyedClient, team: Team):
    assert api_client.get("/v2/subscribers").status_code == 200
    assert key_cache_get(hash_api_key(api_client.raw_key)) is not None
    api_key_revoke(key=ApiKey.objects.get(team=team))
    response = api_client.get("/v2/subscribers")
    assert response.status_code == 401
    assert response.json() == {"error": "User not found!"}


def test_a_cached_key_is_counted_and_refused_over_its_limit(
    api_client: KeyedClient, team: Team, settings
):
    settings.RATE_LIMIT_DEFAULT = "3/60"
    statuses = [api_client.get("/v2/subscribers").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api_client.get("/v2/subscribers")
    assert response["X-RateLimit-Limit"] == "3"
    assert response["X-RateLimit-Remaining"] == "0"
    assert int(response["Retry-After"]) >= 1


def test_on_redis_a_cached_key_sets_the_count_before_authentication(api_client: KeyedClient):
    assert api_client.get("/v2/subscribers").status_code == 200
    response = api_client.get("/v2/subscribers")
    assert response["X-RateLimit-Remaining"] == str(int(response["X-RateLimit-Limit"]) - 2)
    if isinstance(caches["default"], RedisCache):
        # The one round trip read the entry: the request carried it to authentication.
        entry = getattr(response.wsgi_request, "api_key_entry", None)
        assert entry is not None
        assert entry["identity"].startswith("key:")
