"""The outbox for many events at once: a batch of writes records its events in one INSERT,
not a few statements per event.

The same rows as `event_record` writes one by one (the payload shaped by `event_payload`);
their deliveries are made by the worker once the caller's transaction commits (one
expansion task for the transaction's events, `webhooks.services.expand`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.utils import timezone

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
    if connection.vendor == "postgresql" and len(payloads) > 1:
        events = _insert_postgresql(team=team, type=type, payloads=payloads)
        events_expand_on_commit(event.pk for event in events)
        return events
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


# The rows travel as one JSON document, unpacked by the server: one parameter to bind, where
# `bulk_create` binds five per event (client-side, in Python: most of a large batch's time).
_INSERT = """
    INSERT INTO webhooks_event (team_id, public_id, type, payload, created_at)
    SELECT %s, r.public_id, %s, r.payload, %s
    FROM ROWS FROM (jsonb_to_recordset(%s::jsonb) AS (public_id text, payload jsonb))
        WITH ORDINALITY AS r(public_id, payload, n)
    ORDER BY r.n
    RETURNING id, public_id
"""


def _insert_postgresql(*, team: Team, type: str, payloads: Sequence[dict[str, Any]]) -> list[Event]:
    now = timezone.now()
    events = []
    for payload in payloads:
        public_id = new_event_id()
        event = Event(
            team_id=team.pk,
            public_id=public_id,
            type=type,
            payload=event_payload(public_id=public_id, type=type, payload=payload),
            created_at=now,
        )
        event._state.adding = False
        event._state.db = connection.alias
        events.append(event)
    rows = [{"public_id": event.public_id, "payload": event.payload} for event in events]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, [team.pk, str(type), now, json.dumps(rows)])
        ids = {public_id: pk for pk, public_id in cursor.fetchall()}
    for event in events:
        event.pk = ids[event.public_id]
    return events
