"""Expanding recorded events into deliveries, in the worker.

`event_record` writes the outbox row alone in the caller's transaction and publishes an
expansion task when it commits; the task (`webhook_event_expand`) makes the deliveries of
each event for the endpoints subscribed to it and publishes their sends. So a request costs
the same whatever the number of the team's endpoints. Events whose task was lost (a broker
outage, a killed worker) are expanded by the sweeper after WEBHOOK_EXPAND_AFTER_SECONDS.

Exactly once: the events are locked (`SELECT ... FOR UPDATE SKIP LOCKED`, re-checked as
unexpanded under the lock) and marked expanded in the transaction that writes their
deliveries; a second expander skips them (and the unique (event, endpoint) constraint
stands behind it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from webhooks.models import Event, WebhookDelivery, WebhookEndpoint
from webhooks.services.publish import deliveries_publish_on_commit

EXPAND_BATCH = 500  # events per transaction


def events_expand(
    *,
    event_ids: Sequence[int] | None = None,
    created_before: datetime | None = None,
    created_after: datetime | None = None,
    limit: int = EXPAND_BATCH,
) -> int:
    """Make the deliveries of unexpanded events (these ids, or any created before
    `created_before` / since `created_after`, oldest first, at most `limit`), mark them
    expanded and publish their sends on commit. Each enabled endpoint of the event's team
    subscribed to its type (`WebhookEndpoint.subscribes_to`) whose scope covers its payload
    (`covers`) gets one.
    Returns how many events were expanded by this call (0 for those another expander holds
    or has done)."""
    with transaction.atomic():
        pending = Event.objects.filter(expanded_at__isnull=True)
        if event_ids is not None:
            pending = pending.filter(pk__in=list(event_ids))
        if created_before is not None:
            pending = pending.filter(created_at__lt=created_before)
        if created_after is not None:
            pending = pending.filter(created_at__gte=created_after)
        events = list(
            pending.order_by("pk")
            .select_for_update(skip_locked=True)
            .only("id", "team_id", "type", "payload")[:limit]
        )
        if not events:
            return 0
        endpoints: dict[int, list[WebhookEndpoint]] = defaultdict(list)
        for endpoint in WebhookEndpoint.objects.filter(
            team_id__in={event.team_id for event in events}, is_enabled=True
        ).only("id", "team_id", "events", "campaign_uuid"):
            endpoints[endpoint.team_id].append(endpoint)
        now = timezone.now()
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                team_id=event.team_id,
                event_id=event.pk,
                endpoint_id=endpoint.pk,
                next_attempt_at=now,
                enqueued_at=now,
            )
            for event in events
            for endpoint in endpoints[event.team_id]
            if endpoint.subscribes_to(event.type) and endpoint.covers(event.payload)
        )
        Event.objects.filter(pk__in=[event.pk for event in events]).update(expanded_at=now)
        deliveries_publish_on_commit(delivery.pk for delivery in deliveries)
    return len(events)
