"""Expansion tasks coalesce where the cache is Redis: a commit publishes one only if none is
waiting, and the task, clearing the wait before it reads, expands every event recorded
lately. With another cache, every commit publishes its own."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import redis
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from sparkloop.models import Team
from tests.webhooks.conftest import Broker, broker_unreachable
from webhooks.models import Event
from webhooks.services import event_record, publish_resume
from webhooks.services.publish import EXPAND_GATHER_SECONDS, EXPAND_WAITING_KEY
from webhooks.tasks import webhook_delivery_sweep_task, webhook_event_expand

SYNC = Event.Type.SYNC_SUBSCRIBER
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def _caches(location: str | None) -> dict[str, Any]:
    if location is None:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return {
        "default": {
            "BACKEND": "sparkloop.cache.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}",  # this test's own keys
        }
    }


@pytest.fixture
def shared_cache(settings: SettingsWrapper) -> Iterator[None]:
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"needs a Redis server at {REDIS} (set TEST_REDIS_URL)")
    settings.CACHES = _caches(REDIS)
    yield
    cache.delete(EXPAND_WAITING_KEY)


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _commit(team: Team) -> Event:
    """One event in a transaction of its own, committed (its on-commit publish runs)."""
    with transaction.atomic():
        return event_record(team=team, type=SYNC, payload={})


def _unexpanded(*events: Event) -> list[int]:
    return list(
        Event.objects.filter(pk__in=[e.pk for e in events], expanded_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared_cache")
def test_commits_while_a_task_waits_publish_nothing_and_the_task_expands_them_all(
    team: Team, broker: Broker
) -> None:
    published = timezone.now()
    first = _commit(team)
    second = _commit(team)
    third = _commit(team)

    [(args, eta)] = broker.expansions_with_eta()
    assert args == [first.pk]  # one task, waiting for all three
    # It runs a moment later, so that the commits of that moment share it.
    assert eta is not None
    gather = timedelta(seconds=EXPAND_GATHER_SECONDS)
    assert published + gather <= datetime.fromisoformat(eta) <= timezone.now() + gather
    assert cache.get(EXPAND_WAITING_KEY) == 1

    webhook_event_expand([first.pk])  # the worker

    assert _unexpanded(first, second, third) == []
    assert cache.get(EXPAND_WAITING_KEY) is None
    # None waits any more: the next commit publishes again.
    fourth = _commit(team)
    assert broker.expansions() == [[fourth.pk]]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared_cache")
def test_the_task_leaves_an_event_recorded_long_ago_to_the_sweeper(
    team: Team, broker: Broker, settings: SettingsWrapper
) -> None:
    # A long transaction's event: recorded (created_at) long before it committed.
    old = _commit(team)
    window = timedelta(seconds=2 * settings.WEBHOOK_EXPAND_AFTER_SECONDS)
    Event.objects.filter(pk=old.pk).update(created_at=timezone.now() - window - timedelta(1))
    [(args, _eta)] = broker.expansions_with_eta()
    webhook_event_expand(args)  # its task, which expands what was recorded lately
    recent = _commit(team)
    [(args, _eta)] = broker.expansions_with_eta()
    webhook_event_expand(args)

    assert _unexpanded(old, recent) == [old.pk]
    webhook_delivery_sweep_task()  # beat, every few seconds: older than the sweeper's wait
    assert _unexpanded(old, recent) == []


@pytest.mark.django_db(transaction=True)
def test_with_a_cache_other_than_redis_every_commit_publishes_its_own(
    team: Team,
    broker: Broker,
    settings: SettingsWrapper,
) -> None:
    settings.CACHES = _caches(None)
    first = _commit(team)
    second = _commit(team)

    # Each at once, for its own events.
    assert broker.expansions_with_eta() == [([first.pk], None), ([second.pk], None)]
    webhook_event_expand([first.pk])
    assert _unexpanded(first, second) == [second.pk]  # its own task's


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared_cache")
def test_a_refused_publish_leaves_no_task_waiting(
    team: Team, broker: Broker, closed_port: int
) -> None:
    with broker_unreachable(closed_port):
        lost = _commit(team)
    assert cache.get(EXPAND_WAITING_KEY) is None
    publish_resume()  # the broker is back (the sweep task's message says so)

    after = _commit(team)

    assert broker.expansions() == [[after.pk]]
    webhook_event_expand([after.pk])
    assert _unexpanded(lost, after) == []  # the refused one's event too


@pytest.mark.django_db(transaction=True)
def test_a_cache_that_refuses_does_not_hold_back_the_publish(
    team: Team,
    broker: Broker,
    settings: SettingsWrapper,
    closed_port: int,
) -> None:
    settings.CACHES = _caches(f"redis://127.0.0.1:{closed_port}/0")
    first = _commit(team)
    second = _commit(team)

    assert broker.expansions() == [[first.pk], [second.pk]]
    webhook_event_expand([first.pk])  # the task cannot clear the wait: it expands all anyway
    assert _unexpanded(first, second) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared_cache")
def test_no_event_is_stranded_while_writers_race_the_worker(team: Team, broker: Broker) -> None:
    writers, per_writer = 4, 25
    recorded: list[int] = []
    tasks: list[list[int]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def writer() -> None:
        try:
            for _ in range(per_writer):
                with transaction.atomic():
                    recorded.append(event_record(team=team, type=SYNC, payload={}).pk)
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)
        finally:
            connection.close()

    def worker() -> None:
        try:
            while True:
                finished = done.is_set()
                for args in broker.expansions():
                    tasks.append(args)
                    webhook_event_expand(args)
                if finished:  # a last look after every writer is done
                    return
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(writers)]
    running = threading.Thread(target=worker)
    running.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    running.join()

    assert errors == []
    assert len(recorded) == writers * per_writer
    # Every event was expanded by a task: none was left for the sweeper.
    assert not Event.objects.filter(pk__in=recorded, expanded_at__isnull=True).exists()
    assert 1 <= len(tasks) <= len(recorded)
