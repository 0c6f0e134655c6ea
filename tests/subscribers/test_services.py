"""Subscriber services: counters and the exceptions each raises."""

from __future__ import annotations

from typing import Any

import pytest

from sparkloop.counters import counter_get
from sparkloop.exceptions import Conflict, InvalidState, NotFound
from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.services import (
    subscriber_create,
    subscriber_delete,
    subscriber_reject,
    subscriber_unsubscribe,
    subscriber_update,
)

pytestmark = pytest.mark.django_db


def totals(team: Team) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        counter_get(team=team, name=name)
        for name in ("subscribers", "subscribers.referred", "subscribers.advocates")
    )


def test_subscriber_create_raises_conflict_for_a_taken_email(team: Team) -> None:
    subscriber_create(team=team, email="a@example.com")
    with pytest.raises(Conflict, match="Email has already been taken"):
        subscriber_create(team=team, email="A@EXAMPLE.com")


def test_subscriber_create_draws_a_new_ref_code_on_collision(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = subscriber_create(team=team, email="a@example.com")
    codes = iter([first.ref_code, "feedbeef"])
    # Force the one-in-four-billion collision: the first draw repeats an existing code.
    # (Field caches its default callable in `_get_default`.)
    monkeypatch.setattr(Subscriber._meta.get_field("ref_code"), "_get_default", lambda: next(codes))
    monkeypatch.setattr("subscribers.services.new_ref_code", lambda: next(codes))
    second = subscriber_create(team=team, email="b@example.com")
    assert Subscriber.objects.get(pk=second.pk).ref_code == "feedbeef"
    assert counter_get(team=team, name="subscribers") == 2


def test_subscriber_update_raises_conflict_for_a_taken_email(team: Team) -> None:
    subscriber_create(team=team, email="a@example.com")
    other = subscriber_create(team=team, email="b@example.com")
    with pytest.raises(Conflict):
        subscriber_update(subscriber=other, email="a@example.com")


def test_subscriber_unsubscribe_raises_invalid_state_the_second_time(team: Team) -> None:
    subscriber = subscriber_create(team=team, email="a@example.com")
    subscriber_unsubscribe(subscriber=subscriber, identifier="a@example.com")
    with pytest.raises(InvalidState, match="has already been unsubscribed"):
        subscriber_unsubscribe(subscriber=subscriber, identifier="a@example.com")


def test_subscriber_reject_raises_invalid_state_unless_pending(team: Team) -> None:
    subscriber = subscriber_create(team=team, email="a@example.com")
    with pytest.raises(InvalidState, match="must be pending"):
        subscriber_reject(subscriber=subscriber, identifier="a@example.com")


def test_counters_stay_exact_through_confirm_reject_unsubscribe_and_delete(team: Team) -> None:
    referrer = subscriber_create(team=team, email="ref@example.com")
    friends = [
        subscriber_create(team=team, email=f"f{i}@example.com", referrer_code=referrer.ref_code)
        for i in range(4)
    ]
    assert totals(team) == (5, 4, 1)

    subscriber_update(subscriber=friends[0], status="confirmed")
    subscriber_reject(subscriber=friends[1], identifier="f1")
    subscriber_unsubscribe(subscriber=friends[2], identifier="f2")
    referrer.refresh_from_db()
    assert (referrer.referrals_count, referrer.verified_referrals_count) == (3, 1)

    subscriber_delete(subscriber=friends[0])
    subscriber_delete(subscriber=friends[1])
    referrer.refresh_from_db()
    assert (referrer.referrals_count, referrer.verified_referrals_count) == (2, 0)
    assert totals(team) == (3, 2, 1)

    subscriber_delete(subscriber=referrer)
    assert totals(team) == (2, 2, 0)
    assert Subscriber.objects.filter(team=team, referred=True).count() == 2


def test_subscriber_create_marks_a_subscriber_referred_from_outside_the_team(team: Team) -> None:
    subscriber = subscriber_create(
        team=team, email="p@example.com", referral_status=Subscriber.ReferralStatus.PENDING
    )

    assert subscriber.referred is True
    assert subscriber.referrer_id is None
    assert subscriber.referral_status == "pending"
    assert totals(team) == (1, 1, 0)


@pytest.mark.parametrize(
    "write",
    [
        lambda s: subscriber_update(subscriber=s, name="Ann", identifier="ann@example.com"),
        lambda s: subscriber_unsubscribe(subscriber=s, identifier="ann@example.com"),
        lambda s: subscriber_reject(subscriber=s, identifier="ann@example.com"),
        lambda s: subscriber_delete(subscriber=s, identifier="ann@example.com"),
    ],
    ids=["update", "unsubscribe", "reject", "delete"],
)
def test_a_write_to_a_subscriber_erased_since_it_was_read_raises_not_found(
    team: Team, write: Any
) -> None:
    stale = subscriber_create(team=team, email="ann@example.com")
    subscriber_delete(subscriber=Subscriber.objects.get(pk=stale.pk))

    with pytest.raises(NotFound) as raised:
        write(stale)
    assert raised.value.message == "Subscriber ann@example.com not found!"
    assert totals(team) == (0, 0, 0)
