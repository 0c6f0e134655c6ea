"""Events expanded into deliveries by the worker: one task per recording transaction,
exactly once whoever expands (the task, the sweeper, both at once), never a rolled-back
event, and the sweeper catching up on events whose task was lost."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from sparkloop.models import Team
from tests.webhooks.conftest import Broker
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_create, endpoint_send_test, event_record
from webhooks.services.events_batch import events_record_many
from webhooks.services.expand import events_expand
from webhooks.tasks import webhook_delivery_sweep_task, webhook_event_expand

SYNC = Event.Type.SYNC_SUBSCRIBER


@pytest.mark.django_db
def test_a_transactions_events_are_expanded_by_one_task(
    team: Team, broker: Broker, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint_create(team=team, url="https://a.example.com/h")
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        first = event_record(team=team, type=SYNC, payload={})
        many = events_record_many(team=team, type=SYNC, payloads=[{}, {}, {}])
        last = event_record(team=team, type=SYNC, payload={})

    assert len(callbacks) == 1
    assert broker.expansions() == [[first.pk, *many, last.pk]]
    assert not WebhookDelivery.objects.filter(team=team).exists()

    webhook_event_expand([first.pk, *many, last.pk])

    assert WebhookDelivery.objects.filter(team=team).count() == 5
    assert not Event.objects.filter(team=team, expanded_at__isnull=True).exists()


def _record_then_fail(team: Team) -> None:
    with transaction.atomic():
        event_record(team=team, type=SYNC, payload={})
        raise RuntimeError("the inner change failed")


@pytest.mark.django_db
def test_an_event_of_a_rolled_back_savepoint_is_never_expanded(
    team: Team, broker: Broker, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint_create(team=team, url="https://a.example.com/h")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        kept = event_record(team=team, type=SYNC, payload={})
        with pytest.raises(RuntimeError):
            _record_then_fail(team)

    (batch,) = broker.expansions()
    assert kept.pk in batch
    webhook_event_expand(batch)  # the rolled-back id names no row
    assert list(WebhookDelivery.objects.values_list("event_id", flat=True)) == [kept.pk]


@pytest.mark.django_db
def test_the_sweeper_expands_only_events_left_unexpanded_for_a_while(
    team: Team, settings: SettingsWrapper
) -> None:
    settings.WEBHOOK_EXPAND_AFTER_SECONDS = 10
    endpoint_create(team=team, url="https://a.example.com/h")
    old = event_record(team=team, type=SYNC, payload={})
    fresh = event_record(team=team, type=SYNC, payload={})
    Event.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(seconds=11))

    webhook_delivery_sweep_task()

    assert list(WebhookDelivery.objects.values_list("event_id", flat=True)) == [old.pk]
    assert Event.objects.get(pk=fresh.pk).expanded_at is None  # its own task will come


@pytest.mark.django_db
def test_a_test_send_is_never_expanded_to_the_other_endpoints(
    team: Team, settings: SettingsWrapper
) -> None:
    settings.WEBHOOK_EXPAND_AFTER_SECONDS = 0
    tested = endpoint_create(team=team, url="https://a.example.com/h")
    endpoint_create(team=team, url="https://b.example.com/h")

    endpoint_send_test(endpoint=tested)
    webhook_delivery_sweep_task()

    assert list(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == [tested.pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_expanders_make_each_delivery_once(team: Team, settings: SettingsWrapper) -> None:
    settings.WEBHOOK_EXPAND_AFTER_SECONDS = 0
    endpoints = [endpoint_create(team=team, url=f"https://h{i}.example.com/") for i in range(3)]
    with transaction.atomic():
        ids = events_record_many(team=team, type=SYNC, payloads=[{}] * 60)
    start = threading.Barrier(4)
    expanded: list[int] = []
    errors: list[BaseException] = []

    def expander(by_sweep: bool) -> None:
        try:
            start.wait()
            for _ in range(3):
                if by_sweep:  # the sweeper's way, in batches of 7
                    expanded.append(events_expand(created_before=timezone.now(), limit=7))
                else:  # the task's way: every id at once
                    expanded.append(events_expand(event_ids=ids))
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=expander, args=(i % 2 == 0,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    webhook_event_expand(ids)  # whatever the racers left (skipped while locked)

    assert errors == []
    pairs = list(WebhookDelivery.objects.values_list("event_id", "endpoint_id"))
    assert len(pairs) == len(set(pairs)) == len(ids) * len(endpoints)
    assert sum(expanded) <= len(ids)
    assert not Event.objects.filter(pk__in=ids, expanded_at__isnull=True).exists()
    assert WebhookEndpoint.objects.filter(team=team).count() == 3
