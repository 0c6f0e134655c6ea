"""The sweeper task: stuck claims come back, due retries and lost messages are republished."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from pytest_httpserver import HTTPServer

from sparkloop.models import Team
from tests.webhooks.conftest import Broker, record_sync
from webhooks.models import DeliveryAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.tasks import (
    webhook_deliveries_send_task,
    webhook_delivery_send_task,
    webhook_delivery_sweep_task,
)

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


def test_sweep_republishes_a_due_retry_once(
    team: Team,
    endpoint: WebhookEndpoint,
    broker: Broker,
    django_capture_on_commit_callbacks: Any,
) -> None:
    delivery = record_sync(team)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1), enqueued_at=None, retry_step=1
    )

    with django_capture_on_commit_callbacks(execute=True):
        webhook_delivery_sweep_task()
        webhook_delivery_sweep_task()

    assert broker.ids() == [delivery.pk]


def test_sweep_leaves_retries_that_are_not_due(
    team: Team,
    endpoint: WebhookEndpoint,
    broker: Broker,
    django_capture_on_commit_callbacks: Any,
) -> None:
    delivery = record_sync(team)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5), enqueued_at=None
    )

    with django_capture_on_commit_callbacks(execute=True):
        webhook_delivery_sweep_task()

    assert broker.ids() == []


def test_sweep_leaves_fresh_deliveries_to_their_own_message(
    team: Team,
    endpoint: WebhookEndpoint,
    broker: Broker,
    django_capture_on_commit_callbacks: Any,
) -> None:
    record_sync(team)  # published on commit, enqueued_at = now

    with django_capture_on_commit_callbacks(execute=True):
        webhook_delivery_sweep_task()

    assert broker.ids() == []


def test_sweep_republishes_a_delivery_whose_message_was_lost(
    team: Team,
    endpoint: WebhookEndpoint,
    settings: Any,
    broker: Broker,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.WEBHOOK_REQUEUE_AFTER_SECONDS = 60
    delivery = record_sync(team)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        enqueued_at=timezone.now() - timedelta(seconds=61)
    )

    with django_capture_on_commit_callbacks(execute=True):
        webhook_delivery_sweep_task()

    assert broker.ids() == [delivery.pk]


def test_sweep_recovers_a_delivery_stuck_with_a_dead_worker(
    team: Team,
    endpoint: WebhookEndpoint,
    httpserver: HTTPServer,
    settings: Any,
    broker: Broker,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.WEBHOOK_STUCK_AFTER_SECONDS = 120
    httpserver.expect_request("/hook").respond_with_data("")
    delivery = record_sync(team)
    # A worker claimed it (attempt 1) and was killed before recording anything.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.SENDING, attempt_count=1, claimed_at=timezone.now() - timedelta(seconds=121)
    )

    with django_capture_on_commit_callbacks(execute=True):
        webhook_delivery_sweep_task()
        webhook_delivery_sweep_task()
    [batch] = broker.batches()
    webhook_deliveries_send_task(batch)  # the worker's part, run here

    assert batch == [delivery.pk]
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert list(delivery.attempts.values_list("number", "outcome")) == [
        (1, DeliveryAttempt.Outcome.WORKER_LOST),
        (2, DeliveryAttempt.Outcome.SUCCESS),
    ]


def test_sweep_leaves_a_recent_claim_alone(
    team: Team,
    endpoint: WebhookEndpoint,
    broker: Broker,
    django_capture_on_commit_callbacks: Any,
) -> None:
    delivery = record_sync(team)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.SENDING, attempt_count=1, claimed_at=timezone.now()
    )

    with django_capture_on_commit_callbacks(execute=True):
        webhook_delivery_sweep_task()

    delivery.refresh_from_db()
    assert delivery.status == Status.SENDING
    assert broker.ids() == []


def test_a_late_result_of_a_worker_given_up_on_is_dropped(
    team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
) -> None:
    from webhooks.services.claims import deliveries_claim
    from webhooks.services.recording import attempt_record_failure
    from webhooks.services.transport import AttemptResult

    delivery = record_sync(team)
    [claim] = deliveries_claim([delivery.pk], timezone.now())  # attempt 1
    # The sweeper took attempt 1 back and attempt 2 is running now.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=Status.SENDING, attempt_count=2)

    recorded = attempt_record_failure(
        claim,
        started_at=timezone.now(),
        result=AttemptResult(DeliveryAttempt.Outcome.HTTP_ERROR, 500),
    )

    assert recorded is False

    delivery.refresh_from_db()
    assert delivery.status == Status.SENDING
    assert not delivery.attempts.exists()


def test_the_beat_schedule_runs_the_sweeper(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["webhooks-sweep"]
    assert entry["task"] == webhook_delivery_sweep_task.name
    assert entry["schedule"] <= 10


def test_sweep_publishes_nothing_while_the_queue_is_full(
    team: Team,
    endpoint: WebhookEndpoint,
    settings: Any,
    broker: Broker,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.WEBHOOK_SWEEP_MAX_QUEUE_DEPTH = 0  # the queue counts as full
    delivery = record_sync(team)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(enqueued_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        webhook_delivery_sweep_task()

    assert broker.ids() == []


def test_the_queue_depth_is_read_from_the_broker(settings: Any) -> None:
    from sparkloop.celery import app
    from webhooks.tasks import webhook_queue_depth

    settings.WEBHOOK_QUEUE = f"test_depth_{uuid.uuid4().hex[:8]}"
    assert webhook_queue_depth() == 0
    try:
        for _ in range(3):
            webhook_delivery_send_task.apply_async(args=(0,), queue=settings.WEBHOOK_QUEUE)
        assert webhook_queue_depth() == 3
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(settings.WEBHOOK_QUEUE)  # type: ignore[attr-defined]
