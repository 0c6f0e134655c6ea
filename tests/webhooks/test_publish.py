"""A broker outage never fails a committed write; its events go out at the next sweep after
the broker is back. The broker here is the real one (CELERY_BROKER_URL), or a closed port."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.db import transaction
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_httpserver import HTTPServer
from rest_framework.test import APIClient

from sparkloop.models import Team
from tests.webhooks.conftest import Broker, broker_unreachable, record_sync
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint
from webhooks.services import deliveries_publish, event_record
from webhooks.services.publish import SEND_TASK
from webhooks.tasks import webhook_deliveries_send_task, webhook_delivery_sweep_task


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_send_task_is_published_under_its_own_name() -> None:
    assert webhook_deliveries_send_task.name == SEND_TASK


@pytest.mark.django_db(transaction=True)
def test_a_subscriber_is_created_while_the_broker_is_down_and_its_event_goes_out_after(
    team: Team,
    endpoint: WebhookEndpoint,
    api_client: APIClient,
    httpserver: HTTPServer,
    broker: Broker,
    closed_port: int,
    settings: SettingsWrapper,
) -> None:
    httpserver.expect_request("/hook").respond_with_data("")

    with broker_unreachable(closed_port):
        response = api_client.post(
            "/v2/subscribers", {"email": "reader@example.com"}, format="json"
        )
        again = api_client.post("/v2/subscribers", {"email": "other@example.com"}, format="json")

    # Committed writes answer as usual: no 500, no "Email has already been taken" on retry.
    assert (response.status_code, again.status_code) == (201, 201), response.content
    # Their events are recorded, left unexpanded (the expansion task was refused).
    assert Event.objects.filter(team=team, expanded_at__isnull=True).count() >= 2
    assert not WebhookDelivery.objects.filter(team=team).exists()
    assert broker.expansions() == []
    assert broker.ids() == []

    # The sweeper expands events left unexpanded for WEBHOOK_EXPAND_AFTER_SECONDS.
    settings.WEBHOOK_EXPAND_AFTER_SECONDS = 0
    webhook_delivery_sweep_task()  # beat runs it every WEBHOOK_SWEEP_INTERVAL_SECONDS
    assert not Event.objects.filter(team=team, expanded_at__isnull=True).exists()
    deliveries = list(WebhookDelivery.objects.filter(team=team).order_by("pk"))
    assert deliveries
    batches = broker.batches()
    for batch in batches:
        webhook_deliveries_send_task(batch)  # the worker's part

    assert sorted(pk for batch in batches for pk in batch) == [d.pk for d in deliveries]
    sent = [request.json["subscriber"]["email"] for request, _ in httpserver.log]
    assert "reader@example.com" in sent
    assert "other@example.com" in sent
    assert {d.status for d in WebhookDelivery.objects.filter(team=team)} == {"delivered"}


@pytest.mark.django_db(transaction=True)
def test_a_refused_publish_pauses_publishing_until_the_sweep_task_runs(
    team: Team, endpoint: WebhookEndpoint, broker: Broker, closed_port: int
) -> None:
    with broker_unreachable(closed_port):
        first = record_sync(team, "a@example.com")
    # The broker is back, but this process does not know yet: it does not try for a while
    # (an outage costs one connection timeout, not one per write).
    second = record_sync(team, "b@example.com")

    assert WebhookDelivery.objects.get(pk=first.pk).enqueued_at is None
    assert WebhookDelivery.objects.get(pk=second.pk).enqueued_at is None
    assert broker.ids() == []

    webhook_delivery_sweep_task()  # came through the broker: publishing resumes

    assert sorted(broker.ids()) == [first.pk, second.pk]
    third = record_sync(team, "c@example.com")
    assert broker.ids() == [third.pk]


@pytest.mark.django_db
def test_publishing_reports_a_refusal_without_raising(
    team: Team, endpoint: WebhookEndpoint, closed_port: int, settings: SettingsWrapper
) -> None:
    settings.WEBHOOK_BATCH_SIZE = 1
    deliveries = [record_sync(team, f"r{i}@example.com") for i in range(3)]
    ids = [d.pk for d in deliveries]

    with broker_unreachable(closed_port):
        assert deliveries_publish(ids) is False

    assert set(
        WebhookDelivery.objects.filter(pk__in=ids).values_list("enqueued_at", flat=True)
    ) == {None}


@pytest.mark.django_db
def test_the_on_commit_callback_is_a_plain_function(
    team: Team, endpoint: WebhookEndpoint, django_capture_on_commit_callbacks: Any
) -> None:
    # Django's robust on_commit logs a failing callback by its __qualname__ (a partial has
    # none, and that AttributeError was the 500).
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        event_record(team=team, type=Event.Type.SYNC_SUBSCRIBER, payload={})

    [callback] = callbacks
    assert callable(callback)
    assert callback.__qualname__
