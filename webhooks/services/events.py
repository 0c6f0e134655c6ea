"""The transactional outbox: events written in the same transaction as their cause."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from sparkloop.models import Team
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint, new_event_id
from webhooks.services.publish import deliveries_publish_on_commit

# Keys of the envelope: a payload's own keys by these names are dropped (`event`, which
# consumers read before `type`, must never be there).
_ENVELOPE_KEYS = ("type", "id", "event")


def event_payload(*, public_id: str, type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """An event's body as it is stored and sent: `type`, then `id` (= the `webhook-id`
    header, the same on every retry and resend), then the payload's own keys.

    The one place that shapes the envelope; applied again when sending, which only matters
    for events stored before `id` was added.
    """
    if payload.get("id") == public_id and next(iter(payload), None) == "type":
        return payload
    own = {key: value for key, value in payload.items() if key not in _ENVELOPE_KEYS}
    return {"type": str(type), "id": public_id, **own}


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
    deliveries_publish_on_commit(d.pk for d in deliveries)
    return deliveries


def event_create(*, team_id: int, type: str, payload: dict[str, Any]) -> Event:
    """The outbox row alone (no deliveries): its payload carries its own id."""
    public_id = new_event_id()
    return Event.objects.create(
        team_id=team_id,
        public_id=public_id,
        type=type,
        payload=event_payload(public_id=public_id, type=type, payload=payload),
    )


def event_record(*, team: Team, type: str, payload: dict[str, Any]) -> Event:
    """Write an outbox event in the caller's transaction, and a delivery per subscribed endpoint.

    The payload is stored exactly as it will be sent (`event_payload`: `type` and `id`
    first, never a top-level `event` key). Each enabled endpoint of the team subscribed to
    `type` (`WebhookEndpoint.subscribes_to`) whose scope covers the event (`covers`: an
    endpoint of one campaign gets no other campaign's events) gets a delivery row; its send
    task is published only when the caller's transaction commits, so a rolled-back change
    never reaches a receiver.
    """
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return event_record(team=team, type=type, payload=payload)
    # Inside the caller's transaction no savepoint is needed: a failure here propagates
    # and rolls back the caller's change with the event.
    event = event_create(team_id=team.pk, type=type, payload=payload)
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(team=team, is_enabled=True).only(
            "id", "events", "campaign_uuid"
        )
        if endpoint.subscribes_to(type) and endpoint.covers(payload)
    ]
    deliveries_create(event=event, endpoints=endpoints)
    return event
