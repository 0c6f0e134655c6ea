"""The outbox for many events at once: a batch of writes records its events in one INSERT,
not a few statements per event.

The same rows as `event_record` writes one by one (the payload shaped by `event_payload`);
their deliveries are made by the worker once the caller's transaction commits (one
expansion task for the transaction's events, `webhooks.services.expand`). No `Event` model
instance is built on PostgreSQL: a settled batch records thousands, and its callers only
need their ids.

A set-based write that records events of several teams and types (the picks of an upscribe
subscribe) opens `events_deferred()` and records them with `events_record_later`: they are
written at the end of the block, all in one INSERT, in the order recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.utils import timezone

from sparkloop.models import Team
from sparkloop.prepared import prepared_cursor
from webhooks.models import Event, new_event_id
from webhooks.services.events import event_payload
from webhooks.services.publish import events_expand_on_commit

# One event to write: (team id, type, public id, payload as event_payload shapes it).
_Row = tuple[int, str, str, dict[str, Any]]


def _rows(team_id: int, type: str, payloads: Sequence[dict[str, Any]]) -> list[_Row]:
    rows = []
    for payload in payloads:
        public_id = new_event_id()
        rows.append(
            (
                team_id,
                type,
                public_id,
                event_payload(public_id=public_id, type=type, payload=payload),
            )
        )
    return rows


def events_record_many(*, team: Team, type: str, payloads: Sequence[dict[str, Any]]) -> list[int]:
    """Write one outbox event per payload, in the caller's transaction, in one statement;
    returns the events' ids, in the payloads' order.

    Each enabled endpoint of the team subscribed to `type` and covering a payload gets a
    delivery for it when the worker expands them, after the transaction commits.
    """
    if not payloads:
        return []
    return _write(_rows(team.pk, str(type), payloads))


def events_record_later(*, team_id: int, type: str, payloads: Sequence[dict[str, Any]]) -> None:
    """`events_record_many`, written at the end of the enclosing `events_deferred()` block
    with the block's other events (at once without one). The payloads are shaped now."""
    if not payloads:
        return
    rows = _rows(team_id, str(type), payloads)
    pending: list[_Row] | None = getattr(connection, "_sparkloop_events", None)
    if pending is None:
        _write(rows)
    else:
        pending.extend(rows)


@contextmanager
def events_deferred() -> Iterator[None]:
    """Write the block's `events_record_later` events at its end, in one INSERT whatever
    their teams and types, in the order recorded (their ids too), and publish their
    expansion with the transaction's other events. Nested blocks write with the outermost;
    an exception writes nothing (the transaction is rolled back anyway). Call it inside
    the transaction."""
    if getattr(connection, "_sparkloop_events", None) is not None:
        yield
        return
    pending: list[_Row] = []
    connection._sparkloop_events = pending  # type: ignore[attr-defined]
    try:
        yield
    finally:
        connection._sparkloop_events = None  # type: ignore[attr-defined]
    if pending:
        _write(pending)


def _write(rows: list[_Row]) -> list[int]:
    if connection.vendor == "postgresql" and len(rows) > 1:
        ids = _insert_postgresql(rows)
    else:
        events = [
            Event(team_id=team_id, public_id=public_id, type=type, payload=payload)
            for team_id, type, public_id, payload in rows
        ]
        ids = [event.pk for event in Event.objects.bulk_create(events)]
    events_expand_on_commit(ids)
    return ids


# The rows travel as one JSON document, unpacked by the server: one parameter to bind, where
# `bulk_create` binds five per event (client-side, in Python: most of a large batch's time).
_INSERT = """
    INSERT INTO webhooks_event (team_id, public_id, type, payload, created_at)
    SELECT r.team_id, r.public_id, r.type, r.payload, %s
    FROM ROWS FROM (
        jsonb_to_recordset(%s::jsonb) AS (team_id bigint, type text, public_id text, payload jsonb)
    ) WITH ORDINALITY AS r(team_id, type, public_id, payload, n)
    ORDER BY r.n
    RETURNING id, public_id
"""


def _insert_postgresql(rows: list[_Row]) -> list[int]:
    document = json.dumps(
        [
            {"team_id": team_id, "type": type, "public_id": public_id, "payload": payload}
            for team_id, type, public_id, payload in rows
        ]
    )
    with prepared_cursor() as cursor:
        cursor.execute(_INSERT, [timezone.now(), document])
        # Matched by public id, not by position: nothing promises RETURNING's order.
        by_public_id = {public_id: pk for pk, public_id in cursor.fetchall()}
    return [by_public_id[public_id] for _, _, public_id, _ in rows]
