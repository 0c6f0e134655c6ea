"""The Subscriber Object built by hand (`subscriber_object`) is what its serializer renders."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.serializers import SubscriberOutputSerializer, subscriber_object
from subscribers.services import subscriber_create


def _both(subscriber: Subscriber) -> tuple[dict[str, object], dict[str, object]]:
    return subscriber_object(subscriber), dict(SubscriberOutputSerializer(subscriber).data)


def test_it_renders_a_new_subscriber_as_the_serializer_does(team: Team):
    subscriber = subscriber_create(team=team, email="Ada@Example.com")
    ours, theirs = _both(subscriber)
    assert ours == theirs
    assert list(ours) == list(theirs)  # the same order of keys too
    assert ours["status"] == "pending"
    assert type(ours["status"]) is str


def test_it_renders_every_field_set_as_the_serializer_does(team: Team):
    referrer = subscriber_create(team=team, email="ref@example.com", status="confirmed")
    subscriber = subscriber_create(
        team=team,
        email="full@example.com",
        name="Ada Lovelace",
        referrer_code=referrer.ref_code,
        status="confirmed",
        ip_address="203.0.113.9",
        user_agent="Mozilla/5.0",
        utm_source="news",
        utm_campaign="spring",
        country_code="de",
        created_at=datetime(2021, 3, 24, 11, 55, 2, 113000, tzinfo=UTC),
        cpa=Decimal("1.25"),
    )
    for instance in (subscriber, Subscriber.objects.get(pk=subscriber.pk)):
        ours, theirs = _both(instance)
        assert ours == theirs
        assert ours["created_at"] == "2021-03-24T11:55:02.113Z"
        assert ours["cpa"] == 1.25
        assert ours["referral_status"] is not None
