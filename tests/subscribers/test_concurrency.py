"""Races that must end in one row and clean errors, never a 500 (PostgreSQL, real threads)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from sparkloop.counters import counter_get
from sparkloop.models import Team
from sparkloop.services import api_key_create
from subscribers.models import Subscriber

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# The server's max_connections is shared with other test runs: at most this many threads
# hold a connection at once (all released together, so the races still happen).
CONNECTIONS = 30


def run_concurrently(count: int, work: Callable[[int], int]) -> Counter[int]:
    """Run `work(i)` in `count` threads released together; count the returned statuses."""
    barrier = threading.Barrier(count)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def target(i: int) -> None:
        try:
            barrier.wait()
            status = work(i)
        finally:
            connection.close()
        with lock:
            statuses[status] += 1

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def key_for(team: Team) -> str:
    return api_key_create(team=team)[1]


def test_fifty_simultaneous_creates_of_one_email_make_one_row(team: Team) -> None:
    key = key_for(team)
    bodies: list[dict[str, Any]] = []

    def work(i: int) -> int:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=key)
        email = "Race@Example.com" if i % 2 else "race@example.com"
        response = client.post("/v2/subscribers", {"email": email}, format="json")
        if response.status_code == 400:
            bodies.append(response.json())
        return response.status_code

    statuses = run_concurrently(50, work)

    assert statuses == Counter({201: 1, 400: 49})
    assert all(body == {"error": "Email has already been taken"} for body in bodies)
    assert Subscriber.objects.filter(team=team).count() == 1
    assert counter_get(team=team, name="subscribers") == 1


def test_simultaneous_referrals_of_one_referrer_keep_its_counters_exact(team: Team) -> None:
    key = key_for(team)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    referrer = client.post("/v2/subscribers", {"email": "ref@example.com"}, format="json").json()

    def work(i: int) -> int:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=key)
        body = {
            "email": f"friend{i}@example.com",
            "referrer_code": referrer["subscriber"]["ref_code"],
            "status": "confirmed",
        }
        return client.post("/v2/subscribers", body, format="json").status_code

    statuses = run_concurrently(20, work)

    assert statuses == Counter({201: 20})
    row = Subscriber.objects.get(public_id=referrer["subscriber"]["uuid"])
    assert (row.referrals_count, row.verified_referrals_count) == (20, 20)
    assert counter_get(team=team, name="subscribers") == 21
    assert counter_get(team=team, name="subscribers.referred") == 20
    assert counter_get(team=team, name="subscribers.advocates") == 1


def test_concurrent_delete_unsubscribe_and_reject_of_one_subscriber_never_answer_500(
    team: Team,
) -> None:
    key = key_for(team)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    referrer = client.post("/v2/subscribers", {"email": "ref@example.com"}, format="json").json()
    body = {"email": "friend@example.com", "referrer_code": referrer["subscriber"]["ref_code"]}
    uuid = client.post("/v2/subscribers", body, format="json").json()["subscriber"]["uuid"]
    answers: list[tuple[str, int, dict[str, Any]]] = []
    lock = threading.Lock()
    slots = threading.BoundedSemaphore(CONNECTIONS)

    def work(i: int) -> int:
        kind = ("delete", "unsubscribe", "reject")[i % 3]
        with slots:
            client = APIClient(raise_request_exception=False)  # a 500 is an answer here
            client.credentials(HTTP_X_API_KEY=key)
            if kind == "delete":
                response = client.delete(f"/v2/subscribers/{uuid}")
            else:
                response = client.put(f"/v2/subscribers/{uuid}/{kind}")
            connection.close()
        with lock:
            answers.append((kind, response.status_code, response.json()))
        return response.status_code

    statuses = run_concurrently(90, work)

    assert set(statuses) <= {200, 400, 404}, statuses
    outcomes = Counter((kind, status) for kind, status, _ in answers)
    assert outcomes[("delete", 200)] == 1
    assert outcomes[("unsubscribe", 200)] <= 1
    assert outcomes[("reject", 200)] <= 1
    refusals = {
        ("delete", 404): f"Subscriber {uuid} not found!",
        ("unsubscribe", 404): f"Subscriber {uuid} not found!",
        ("reject", 404): f"Subscriber {uuid} not found!",
        ("unsubscribe", 400): f"Subscriber {uuid} has already been unsubscribed",
        ("reject", 400): f"Subscriber {uuid} must be pending",
    }
    for kind, status, answer in answers:
        if status != 200:
            assert answer == {"error": refusals[kind, status]}
    assert not Subscriber.objects.filter(public_id=uuid).exists()
    row = Subscriber.objects.get(public_id=referrer["subscriber"]["uuid"])
    assert (row.referrals_count, row.verified_referrals_count) == (0, 0)
    assert counter_get(team=team, name="subscribers") == 1
    assert counter_get(team=team, name="subscribers.referred") == 0
    assert counter_get(team=team, name="subscribers.advocates") == 0
