"""Two requests with one key at the same moment, in threads on PostgreSQL: one runs."""

from __future__ import annotations

from collections import Counter

import pytest
from rest_framework.test import APIClient

from sparkloop.models import Team
from sparkloop.services import api_key_create
from subscribers.models import SubscriberEvent
from subscribers.services import subscriber_create
from tests.subscribers.test_concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_requests_with_one_key_run_once(team: Team) -> None:
    key = api_key_create(team=team)[1]
    subscriber = subscriber_create(team=team, email="ann@example.com")
    bodies: list[object] = []

    def work(i: int) -> int:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=key)
        response = client.post(
            f"/v2/subscribers/{subscriber.public_id}/events",
            {"value": 5},
            format="json",
            HTTP_IDEMPOTENCY_KEY="once",
        )
        if response.status_code == 201:
            bodies.append(response.json())
        return response.status_code

    statuses = run_concurrently(20, work)

    # Each got the answer (the first, or its replay) or was told the first still runs.
    assert set(statuses) <= {201, 409}
    assert statuses[201] >= 1
    assert SubscriberEvent.objects.filter(subscriber=subscriber).count() == 1
    assert len({str(body) for body in bodies}) == 1
    assert Counter(statuses).total() == 20
