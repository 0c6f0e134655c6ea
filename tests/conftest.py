"""The shared world: a team with a key, and another team that must never see it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from sparkloop.models import Team
from sparkloop.services import api_key_create
from tests.clients import KeyedClient
from tests.factories import TeamFactory


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def team(db: None) -> Team:
    return TeamFactory.create(name="alice-news")


@pytest.fixture
def other_team(db: None) -> Team:
    return TeamFactory.create(name="charlie-news")


def _client_for(team: Team) -> KeyedClient:
    _, raw = api_key_create(team=team)
    client = KeyedClient()
    client.credentials(HTTP_X_API_KEY=raw)
    client.raw_key = raw
    return client


@pytest.fixture
def api_client(team: Team) -> KeyedClient:
    return _client_for(team)


@pytest.fixture
def other_client(other_team: Team) -> KeyedClient:
    return _client_for(other_team)


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


def expand_events() -> int:
    """Run the worker's expansion task (`webhook_event_expand`) for every event not expanded
    yet, as the worker does once a request's transaction commits: tests that read
    deliveries right after a request call it. Returns how many events it had to expand."""
    from webhooks.models import Event
    from webhooks.tasks import webhook_event_expand

    pending = list(Event.objects.filter(expanded_at__isnull=True).values_list("pk", flat=True))
    if pending:
        webhook_event_expand(pending)
    return len(pending)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
