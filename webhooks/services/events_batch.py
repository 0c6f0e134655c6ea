"""The outbox for many events at once: a batch of writes records its events in one INSERT,
not a few statements per event.

The same rows as `event_record` writes one by one (the payload shaped by `event_payload`);
their deliveries are made by the worker once the caller's transaction commits (one
expansion task for the transaction's events, `webhooks.services.expand`). No `Event` model
instance is built on PostgreSQL: a settled batch records thousands, and its callers only
need their ids.
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


def events_record_many(*, team: Team, type: str, payloads: Sequence[dict[str, Any]]) -> list[int]:
    """Write one outbox event per payload, in the caller's transaction, in one statement;
    returns the events' ids, in the payloads' order.

    Each enabled endpoint of the team subscribed to `type` and covering a payload gets a
    delivery for it when the worker expands them, after the transaction commits.
    """
    if not payloads:
        return []
    if connection.vendor == "postgresql" and len(payloads) > 1:
        ids = _insert_postgresql(team=team, type=type, payloads=payloads)
    else:
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
        ids = [event.pk for event in Event.objects.bulk_create(events)]
    events_expand_on_commit(ids)
    return ids


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


def _insert_postgresql(*, team: Team, type: str, payloads: Sequence[dict[str, Any]]) -> list[int]:
    rows = []
    for payload in payloads:
        public_id = new_event_id()
        rows.append(
            {
                "public_id": public_id,
                "payload": event_payload(public_id=public_id, type=type, payload=payload),
            }
        )
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, [team.pk, str(type), timezone.now(), json.dumps(rows)])
        # Matched by public id, not by position: nothing promises RETURNING's order.
        by_public_id = {public_id: pk for pk, public_id in cursor.fetchall()}
    return [by_public_id[row["public_id"]] for row in rows]
