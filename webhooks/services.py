"""Writes of the webhooks app: recording outbox events."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from sparkloop.models import Team
from webhooks.models import Event


@transaction.atomic
def event_record(*, team: Team, type: str, payload: dict[str, Any]) -> Event:
    """Write an outbox event in the caller's transaction.

    The payload is stored exactly as it will be sent, with `type` first; it never has a
    top-level `event` key (consumers read that before `type`).
    """
    body = {"type": type, **{k: v for k, v in payload.items() if k not in ("type", "event")}}
    return Event.objects.create(team=team, type=type, payload=body)
