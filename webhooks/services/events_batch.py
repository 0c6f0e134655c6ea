"""The outbox for many events at once: a batch of writes records its events in one INSERT,
not a few statements per event.

The same rows as `event_record` writes one by one (the payload shaped by `event_payload`);
their deliveries are made by the worker once the caller's transaction commits (one
expansion task for the transaction's events, `webhooks.services.expand`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sparkloop.models import Team
from webhooks.models import Event, new_event_id
from webhooks.services.events import event_payload
from webhooks.services.publish import events_expand_on_commit


def events_record_many(*, team: Team, type: str, payloads: Sequence[dict[str, Any]]) -> list[Event]:
    """Write one outbox event per payload, in the caller's transaction, in one statement.

    Each enabled endpoint of the team subscribed to `type` and covering a payload gets a
    delivery for it when the worker expands them, after the transaction commits.
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
    events_expand_on_commit(event.pk for event in events)
    return events
