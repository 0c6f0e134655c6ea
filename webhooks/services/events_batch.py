"""The outbox for many events at once: a batch of writes records its events in a bounded
number of statements (one INSERT of events, one of deliveries), not a few per event.

The same rows as `event_record` writes one by one (the payload shaped by `event_payload`,
a delivery per enabled endpoint subscribed to the type and covering the payload, published
when the caller's transaction commits).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from sparkloop.models import Team
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint, new_event_id
from webhooks.services.events import event_payload
from webhooks.services.publish import deliveries_publish_on_commit


def events_record_many(*, team: Team, type: str, payloads: Sequence[dict[str, Any]]) -> list[Event]:
    """Write one outbox event per payload, in the caller's transaction, in three statements.

    Each enabled endpoint of the team subscribed to `type` and covering a payload gets a
    delivery for it; their send tasks are published once the transaction commits.
    """
    if not payloads:
        return []
    events = []
    for payload in payloads:
        public_id = new_event_id()
        events.append(
            Event(
                team_id=team.pk,
                public_id=public_id,
                type=type,
                payload=event_payload(public_id=public_id, type=type, payload=payload),
            )
        )
    events = Event.objects.bulk_create(events)
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(team=team, is_enabled=True).only(
            "id", "events", "campaign_uuid"
        )
        if endpoint.subscribes_to(type)
    ]
    if not endpoints:
        return events
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            team_id=team.pk,
            event=event,
            endpoint=endpoint,
            next_attempt_at=now,
            enqueued_at=now,
        )
        for event in events
        for endpoint in endpoints
        if endpoint.covers(event.payload)
    )
    deliveries_publish_on_commit(d.pk for d in deliveries)
    return events
