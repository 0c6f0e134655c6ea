"""The seam: what the subscribers app announces, with which arguments, when and in what order.

The receivers here are connected after the referrals app's, as another app's (partners')
would be, and record what they are told while the announcing transaction is still open.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection

from sparkloop.counters import counter_get
from sparkloop.models import Team
from subscribers import signals
from subscribers.models import Subscriber
from subscribers.services import (
    subscriber_create,
    subscriber_delete,
    subscriber_reject,
    subscriber_unsubscribe,
    subscriber_update,
)

pytestmark = pytest.mark.django_db

NAMES = (
    "subscriber_created",
    "subscriber_confirmed",
    "subscriber_unsubscribed",
    "subscriber_rejected",
    "subscriber_deleted",
    "subscriber_changed",
)


@dataclass
class Heard:
    signal: str
    email: str
    extra: dict[str, Any]
    row_exists: bool
    referral_status: str | None
    in_transaction: bool


@pytest.fixture
def heard() -> Iterator[list[Heard]]:
    log: list[Heard] = []

    def listen(name: str) -> Any:
        def receiver(sender: type[Subscriber], *, subscriber: Subscriber, **kwargs: Any) -> None:
            kwargs.pop("signal")
            log.append(
                Heard(
                    signal=name,
                    email=subscriber.email,
                    extra=kwargs,
                    row_exists=Subscriber.objects.filter(pk=subscriber.pk).exists(),
                    referral_status=subscriber.referral_status,
                    in_transaction=connection.in_atomic_block,
                )
            )

        return receiver

    for name in NAMES:
        getattr(signals, name).connect(listen(name), weak=False, dispatch_uid=f"test.{name}")
    yield log
    for name in NAMES:
        getattr(signals, name).disconnect(dispatch_uid=f"test.{name}")


def said(log: list[Heard]) -> list[str]:
    names = [h.signal for h in log]
    log.clear()
    return names


def test_a_create_announces_created_then_changed(team: Team, heard: list[Heard]) -> None:
    subscriber_create(team=team, email="ann@example.com")
    [created, changed] = heard
    assert (created.signal, created.extra, created.row_exists) == (
        "subscriber_created",
        {"referrer": None},
        True,
    )
    assert changed.signal == "subscriber_changed"


def test_a_create_names_the_referrer_and_announces_a_confirmed_status(
    team: Team, heard: list[Heard]
) -> None:
    referrer = subscriber_create(team=team, email="ref@example.com")
    heard.clear()

    subscriber_create(
        team=team, email="ann@example.com", referrer_code=referrer.ref_code, status="confirmed"
    )

    assert [h.signal for h in heard] == [
        "subscriber_created",
        "subscriber_confirmed",
        "subscriber_changed",
    ]
    assert heard[0].extra["referrer"] == referrer
    # The referrals app's receivers ran first: the referral is verified by the time others hear.
    assert heard[1].referral_status == "verified"
    assert all(h.in_transaction for h in heard)


def test_updates_announce_only_status_moves_and_always_a_change(
    team: Team, heard: list[Heard]
) -> None:
    ann = subscriber_create(team=team, email="ann@example.com")
    heard.clear()

    subscriber_update(subscriber=ann, name="Ann")
    assert said(heard) == ["subscriber_changed"]
    subscriber_update(subscriber=ann, status="confirmed")
    assert said(heard) == ["subscriber_confirmed", "subscriber_changed"]
    subscriber_update(subscriber=ann, status="confirmed")
    assert said(heard) == ["subscriber_changed"]  # no move: not confirmed again
    subscriber_update(subscriber=ann, status="unsubscribed")
    assert said(heard) == ["subscriber_unsubscribed", "subscriber_changed"]


def test_unsubscribe_reject_and_delete_announce_themselves(team: Team, heard: list[Heard]) -> None:
    referrer = subscriber_create(team=team, email="ref@example.com")
    ann = subscriber_create(team=team, email="ann@example.com", referrer_code=referrer.ref_code)
    heard.clear()

    subscriber_unsubscribe(subscriber=ann, identifier=ann.email)
    assert said(heard) == ["subscriber_unsubscribed", "subscriber_changed"]

    subscriber_reject(subscriber=ann, identifier=ann.email)
    rejected = heard[0]
    assert said(heard) == ["subscriber_rejected", "subscriber_changed"]
    assert rejected.referral_status == "rejected"  # moved by the referrals app's receiver

    subscriber_delete(subscriber=ann)
    [deleted] = heard
    assert (deleted.signal, deleted.row_exists, deleted.in_transaction) == (
        "subscriber_deleted",
        True,
        True,
    )
    assert not Subscriber.objects.filter(pk=ann.pk).exists()


def test_a_receiver_that_fails_rolls_the_whole_change_back(team: Team) -> None:
    def refuse(sender: type[Subscriber], **kwargs: Any) -> None:
        raise RuntimeError("no")

    signals.subscriber_created.connect(refuse, weak=False, dispatch_uid="test.refuse")
    try:
        with pytest.raises(RuntimeError):
            subscriber_create(team=team, email="ann@example.com")
    finally:
        signals.subscriber_created.disconnect(dispatch_uid="test.refuse")

    assert not Subscriber.objects.filter(team=team).exists()
    assert counter_get(team=team, name="subscribers") == 0
