"""The transactional outbox: events written in the same transaction as their cause (their
deliveries are made by the worker: webhooks.services.expand)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from sparkloop.models import Team
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint, new_event_id
from webhooks.services.publish import deliveries_publish_on_commit, events_expand_on_commit

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


def event_create(
    *, team_id: int, type: str, payload: dict[str, Any], expanded: bool = False
) -> Event:
    """The outbox row alone: its payload carries its own id. `expanded`: its deliveries
    are made by the caller (no expansion task; the sweeper leaves it alone)."""
    public_id = new_event_id()
    return Event.objects.create(
        team_id=team_id,
        public_id=public_id,
        type=type,
        payload=event_payload(public_id=public_id, type=type, payload=payload),
        expanded_at=timezone.now() if expanded else None,
    )


def event_record(*, team: Team, type: str, payload: dict[str, Any]) -> Event:
    """Write an outbox event in the caller's transaction; its deliveries are made by the
    worker once the transaction commits.

    The payload is stored exactly as it will be sent (`event_payload`: `type` and `id`
    first, never a top-level `event` key). When the caller's transaction commits, an
    expansion task is published (one for all the events of the transaction); the worker
    gives each enabled endpoint of the team subscribed to `type` whose scope covers the
    event a delivery row and publishes its send (`webhooks.services.expand`). A rolled-back
    change never reaches a receiver, and the request runs the same statements whatever the
    team's endpoints.
    """
    event = event_create(team_id=team.pk, type=type, payload=payload)
    events_expand_on_commit([event.pk])
    return event
