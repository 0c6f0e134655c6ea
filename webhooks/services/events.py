"""The transactional outbox: events written in the same transaction as their cause."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sparkloop.models import Team
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint


def deliveries_enqueue_on_commit(delivery_ids: Iterable[int]) -> None:
    """Publish send tasks for these deliveries once the current transaction commits: one
    message per WEBHOOK_BATCH_SIZE of them (a batch is claimed and sent together)."""
    # Imported here: tasks.py imports the services, which therefore cannot import it first.
    from webhooks.tasks import webhook_deliveries_send_task

    ids = list(delivery_ids)
    size = int(settings.WEBHOOK_BATCH_SIZE)
    for start in range(0, len(ids), size):
        # robust: a broker outage must not turn a committed change into an error for the
        # caller; the rows are committed, and the sweeper publishes them again (enqueued_at).
        transaction.on_commit(
            partial(webhook_deliveries_send_task.delay, ids[start : start + size]), robust=True
        )


def deliveries_create(*, event: Event, endpoints: list[WebhookEndpoint]) -> list[WebhookDelivery]:
    """A pending delivery row per endpoint, due now, published on commit."""
    if not endpoints:
        return []
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            team_id=event.team_id,
            event=event,
            endpoint=endpoint,
            next_attempt_at=now,
            enqueued_at=now,
        )
        for endpoint in endpoints
    )
    deliveries_enqueue_on_commit(d.pk for d in deliveries)
    return deliveries


def event_body(type: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": type, **{k: v for k, v in payload.items() if k not in ("type", "event")}}


@transaction.atomic
def event_record(*, team: Team, type: str, payload: dict[str, Any]) -> Event:
    """Write an outbox event in the caller's transaction, and a delivery per subscribed endpoint.

    The payload is stored exactly as it will be sent, with `type` first; it never has a
    top-level `event` key (consumers read that before `type`). Each enabled endpoint of the
    team subscribed to `type` gets a delivery row; its send task is published only when the
    caller's transaction commits, so a rolled-back change never reaches a receiver.
    """
    event = Event.objects.create(team=team, type=type, payload=event_body(type, payload))
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(team=team, is_enabled=True).only(
            "id", "events"
        )
        if endpoint.subscribes_to(type)
    ]
    deliveries_create(event=event, endpoints=endpoints)
    return event
