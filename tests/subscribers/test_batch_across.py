"""`subscribers_create_across`: new subscribers of several teams in one write, each as its
single create makes it (row, default campaign membership, counters, `sync_subscriber`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals.models import CampaignMembership
from referrals.selectors import counter_name
from sparkloop.counters import counter_get
from sparkloop.exceptions import ServiceError
from sparkloop.models import Team
from subscribers.batch.services import subscribers_create_across
from subscribers.models import Subscriber
from subscribers.services import subscriber_create
from tests.factories import TeamFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db

FIELDS: dict[str, Any] = {
    "email": " Ann@Example.com ",
    "name": "Ann",
    "country_code": "us",
    "utm_source": "welcome",
    "ip_address": "203.0.113.9",
    "cpa": Decimal("2.5"),
    "referral_status": "pending",
}


def _made(team: Team) -> Any:
    subscriber = Subscriber.objects.get(team=team)
    default = team.campaigns.get(is_default=True)
    event = Event.objects.get(team=team, type="sync_subscriber")
    payload = {k: v for k, v in event.payload.items() if k not in ("id", "campaign_id")}
    payload["subscriber"] = {
        k: v
        for k, v in payload["subscriber"].items()
        if k not in ("id", "referral_code", "created_at")
    }
    return (
        {
            f: getattr(subscriber, f)
            for f in (
                "email",
                "email_normalized",
                "name",
                "status",
                "origin",
                "referred",
                "referral_status",
                "cpa_cents",
                "country_code",
                "ip_address",
                "utm_source",
            )
        },
        list(CampaignMembership.objects.filter(campaign=default).values_list("referred")),
        [
            counter_get(team=team, name=name)
            for name in ("subscribers", "subscribers.referred", counter_name(default.pk, "all"))
        ],
        payload,
    )


def test_it_makes_in_each_team_what_a_single_create_makes() -> None:
    single, one, two = (TeamFactory.create() for _ in range(3))
    subscriber_create(team=single, origin="partner_network", **FIELDS)
    made = subscribers_create_across(items=[(one, FIELDS), (two, FIELDS)], origin="partner_network")
    assert [s.team_id for s in made if s is not None] == [one.pk, two.pk]
    assert all(s is not None and s.pk for s in made)
    assert _made(one) == _made(single)
    assert _made(two) == _made(single)


def test_a_taken_email_or_a_repeated_one_is_none_and_the_others_are_made() -> None:
    one, two = TeamFactory.create(), TeamFactory.create()
    subscriber_create(team=one, email="ann@example.com")
    made = subscribers_create_across(
        items=[
            (one, {"email": "ANN@example.com"}),
            (two, {"email": "ann@example.com"}),
            (two, {"email": "Ann@Example.com"}),
        ]
    )
    assert [s is not None for s in made] == [False, True, False]
    assert Subscriber.objects.filter(team=two).count() == 1
    assert counter_get(team=two, name="subscribers") == 1


def test_an_invalid_email_writes_nothing() -> None:
    one, two = TeamFactory.create(), TeamFactory.create()
    with pytest.raises(ServiceError):
        subscribers_create_across(items=[(one, {"email": "a@example.com"}), (two, {"email": "x"})])
    assert not Subscriber.objects.exists()


def test_its_statements_grow_by_one_event_per_team() -> None:
    def statements(teams: int) -> int:
        items = [(TeamFactory.create(), {"email": f"t{teams}@example.com"}) for _ in range(teams)]
        with CaptureQueriesContext(connection) as captured:
            subscribers_create_across(items=items)
        return len(captured)

    assert statements(4) - statements(2) == 2
