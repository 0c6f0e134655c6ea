"""The outbox's deferred form: the events of several teams and types that a set-based write
records (`events_record_later` inside `events_deferred()`) are written at the end of the
block in one INSERT, in the order recorded, with the same rows `events_record_many` writes,
and expanded by the transaction's one task; a failed block writes none."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from sparkloop.models import Team
from tests.webhooks.conftest import Broker
from webhooks.models import Event
from webhooks.services.events_batch import (
    events_deferred,
    events_record_later,
    events_record_many,
)

SYNC = Event.Type.SYNC_SUBSCRIBER
PENDING = Event.Type.NEW_PARTNER_PENDING_REFERRAL

pytestmark = pytest.mark.django_db


def _rows(events: list[Event]) -> list[tuple[int, str, dict[str, Any]]]:
    return [(e.team_id, e.type, {k: v for k, v in e.payload.items() if k != "id"}) for e in events]


def test_it_writes_several_teams_and_types_in_one_insert_in_the_order_recorded(
    team: Team, other_team: Team, broker: Broker, django_capture_on_commit_callbacks: Any
) -> None:
    other = other_team
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        with CaptureQueriesContext(connection) as captured, events_deferred():
            events_record_later(team_id=other.pk, type=SYNC, payloads=[{"n": 1}, {"n": 2}])
            events_record_later(team_id=team.pk, type=PENDING, payloads=[{"n": 3}])
            with events_deferred():  # a nested block writes with the outermost
                events_record_later(team_id=other.pk, type=PENDING, payloads=[{"n": 4}])
            assert not Event.objects.exists()  # nothing before the block's end
        inserts = [q for q in captured.captured_queries if "webhooks_event" in q["sql"]]

    events = list(Event.objects.order_by("pk"))
    assert len(inserts) == 2  # the check above, and one INSERT
    assert _rows(events) == [
        (other.pk, SYNC, {"type": SYNC, "n": 1}),
        (other.pk, SYNC, {"type": SYNC, "n": 2}),
        (team.pk, PENDING, {"type": PENDING, "n": 3}),
        (other.pk, PENDING, {"type": PENDING, "n": 4}),
    ]
    assert all(e.payload["id"] == e.public_id for e in events)
    assert len(callbacks) == 1
    assert broker.expansions() == [[e.pk for e in events]]


def test_it_writes_the_rows_events_record_many_writes(team: Team, broker: Broker) -> None:
    with transaction.atomic():
        events_record_many(team=team, type=SYNC, payloads=[{"n": 1}, {"n": 2}])
        with events_deferred():
            events_record_later(team_id=team.pk, type=SYNC, payloads=[{"n": 1}, {"n": 2}])

    events = list(Event.objects.order_by("pk"))
    assert _rows(events[:2]) == _rows(events[2:])


def test_it_writes_at_once_outside_a_block(team: Team, broker: Broker) -> None:
    with transaction.atomic():
        events_record_later(team_id=team.pk, type=SYNC, payloads=[{"n": 1}])
        assert Event.objects.filter(team=team, type=SYNC).count() == 1


def _record_then_fail(team: Team) -> None:
    with transaction.atomic(), events_deferred():
        events_record_later(team_id=team.pk, type=SYNC, payloads=[{"n": 1}])
        raise RuntimeError("the batch failed")


def test_a_failed_block_writes_nothing(team: Team, broker: Broker) -> None:
    with pytest.raises(RuntimeError):
        _record_then_fail(team)

    with transaction.atomic(), events_deferred():  # and the next block starts empty
        events_record_later(team_id=team.pk, type=PENDING, payloads=[{"n": 2}])

    assert list(Event.objects.values_list("type", flat=True)) == [PENDING]
