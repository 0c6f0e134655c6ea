"""The Redis cache backend keeps one client per connection pool (sparkloop/cache.py)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from sparkloop.cache import RedisCache

LOCATION = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def cache() -> RedisCache:
    try:
        redis.Redis.from_url(LOCATION, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"needs a Redis server at {LOCATION} (set TEST_REDIS_URL)")
    return RedisCache(LOCATION, {"KEY_PREFIX": "test-cache"})


def test_it_hands_out_one_client_for_its_pool(cache: RedisCache) -> None:
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client("any", write=True) is client
    assert cache._cache.get_client() is client  # one server: reads use the same pool


def test_the_shared_client_serves_threads_at_once(cache: RedisCache) -> None:
    def count(n: int) -> int:
        cache.set(f"k{n}", n)
        return int(cache.incr("shared"))

    cache.set("shared", 0)
    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(count, range(200)))
    assert sorted(counts) == list(range(1, 201))
    assert cache.get_many([f"k{n}" for n in range(200)]) == {f"k{n}": n for n in range(200)}
    cache.delete_many(["shared", *(f"k{n}" for n in range(200))])
