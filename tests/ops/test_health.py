"""GET /healthz and GET /readyz: no key, no rate limit, each readiness check named."""

from __future__ import annotations

import threading
import time

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from sparkloop import health

pytestmark = pytest.mark.django_db

# Nothing listens on port 1 of the loopback: connections are refused at once.
REFUSING_REDIS = "redis://127.0.0.1:1/0"


def test_healthz_answers_without_a_key_and_touches_nothing(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_reports_each_check_when_all_answer(settings: SettingsWrapper) -> None:
    settings.READINESS_TIMEOUT_SECONDS = 15  # a busy machine is slow, not unready
    response = Client().get("/readyz")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] and check["ms"] >= 0 for check in body["checks"].values())


def test_readyz_names_an_unreachable_cache(settings: SettingsWrapper) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REFUSING_REDIS,
        }
    }

    response = Client().get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "Not ready: cache"
    assert body["checks"]["cache"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"]["ok"] is True


def test_readyz_names_an_unreachable_broker(settings: SettingsWrapper) -> None:
    settings.CELERY_BROKER_URL = REFUSING_REDIS

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["error"] == "Not ready: broker"
    # The unauthenticated answer names the kind of failure, not the host behind it.
    assert b"127.0.0.1" not in response.content


def test_readyz_gives_up_on_a_check_after_the_timeout(
    settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A database that accepts the connection and never answers, played by a check that hangs.
    release = threading.Event()
    monkeypatch.setitem(health.CHECKS, "database", lambda: release.wait(5) and None)
    settings.READINESS_TIMEOUT_SECONDS = 0.2
    try:
        started = time.monotonic()
        response = Client().get("/readyz")
        elapsed = time.monotonic() - started
    finally:
        release.set()

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {
        "ok": False,
        "error": "no answer within 0.2 s",
    }
    assert elapsed < 2


def test_probes_are_not_rate_limited(settings: SettingsWrapper) -> None:
    settings.RATE_LIMIT_DEFAULT = "1/60"
    client = Client()

    statuses = {client.get("/healthz").status_code for _ in range(5)}

    assert statuses == {200}
    assert "X-RateLimit-Limit" not in client.get("/healthz")
