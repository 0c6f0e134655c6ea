"""Pagination reads back-half pages from the other end; every page must still be exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from sparkloop.api import pagination
from sparkloop.api.pagination import paginate
from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.services import subscriber_create

BASE = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["one query", "deferred join"], autouse=True)
def _both_ways(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs with shallow pages read whole and with every page by deferred join."""
    if request.param == "deferred join":
        monkeypatch.setattr(pagination, "DEFERRED_JOIN_FROM", 0)


@pytest.fixture
def subscribers(team: Team) -> list[Subscriber]:
    """23 subscribers, some sharing a created_at (ordered by id then), 6 of them referred."""
    made: list[Subscriber] = []
    for i in range(23):
        referrer = made[i - 1].ref_code if i % 4 == 3 else None
        made.append(
            subscriber_create(
                team=team,
                email=f"reader{i}@example.com",
                referrer_code=referrer,
                # Every third one shares its predecessor's timestamp.
                created_at=BASE + timedelta(minutes=i - (i % 3 == 2)),
            )
        )
    return made


def _expected(team: Team, **filters: object) -> list[str]:
    qs = Subscriber.objects.filter(team=team, **filters).order_by("-created_at", "-id")
    return list(qs.values_list("public_id", flat=True))


@pytest.mark.parametrize("per_page", [1, 2, 5, 7, 22, 23, 50])
def test_every_page_in_order_makes_the_whole_list_once(
    api_client: APIClient, team: Team, subscribers: list[Subscriber], per_page: int
) -> None:
    expected = _expected(team)
    total_pages = -(-len(expected) // per_page)
    seen: list[str] = []
    for page in range(1, total_pages + 2):
        body = api_client.get("/v2/subscribers", {"page": page, "per_page": per_page}).json()
        assert body["meta"]["total_pages"] == total_pages
        items = [s["uuid"] for s in body["subscribers"]]
        assert items == expected[(page - 1) * per_page : page * per_page]
        seen += items
    assert seen == expected


def test_back_half_pages_of_a_filtered_list_are_exact(
    api_client: APIClient, team: Team, subscribers: list[Subscriber]
) -> None:
    expected = _expected(team, referred=True)
    assert len(expected) == 5
    pages = [
        [
            s["uuid"]
            for s in api_client.get(
                "/v2/subscribers", {"type": "referrals", "page": p, "per_page": 2}
            ).json()["subscribers"]
        ]
        for p in (1, 2, 3)
    ]
    assert pages == [expected[0:2], expected[2:4], expected[4:5]]


def test_a_counted_queryset_pages_the_same_way(team: Team, subscribers: list[Subscriber]) -> None:
    qs = Subscriber.objects.filter(team=team).order_by("-created_at", "-id")
    expected = list(qs.values_list("pk", flat=True))
    for page in range(1, 7):
        request = Request(APIRequestFactory().get("/", {"page": page, "per_page": 4}))
        result = paginate(request, qs)
        assert [s.pk for s in result.items] == expected[(page - 1) * 4 : page * 4]
        assert result.total == 23
