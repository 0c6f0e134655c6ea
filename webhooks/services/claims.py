"""Claiming due deliveries for an attempt: PENDING -> SENDING, one attempt number per claim."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from sparkloop.encryption import decrypt_str
from sparkloop.models import Team
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint
from webhooks.services.endpoints import WEBHOOK_DISABLED

Status = WebhookDelivery.Status


def relaxed_commit() -> None:
    """Let this transaction's COMMIT return before its WAL is flushed (PostgreSQL).

    Only for the worker's bookkeeping (claims, outcomes, sweeps): a crash of the database
    server can lose the last few hundred milliseconds of them, and that only ever causes an
    attempt to be made again (at-least-once, same webhook-id), never an event lost. It saves
    an fsync per commit, the largest cost of a delivery. Events themselves are written in
    their cause's normal, durable transaction.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


@dataclass
class Claim:
    """A claimed delivery, with what its attempt needs (secrets and token decrypted)."""

    delivery_id: int
    number: int  # the attempt number: the claim's token (attempt_count after the claim)
    retry_step: int
    team_id: int
    token: str
    previous_token: str  # "" unless a rotation's grace is running
    event_public_id: str
    event_type: str
    payload: dict[str, Any]
    endpoint_id: int
    endpoint_public_id: str
    url: str
    secrets: list[str]  # the current signing secret, then the previous one during its grace
    is_enabled: bool
    failing_since: datetime | None
    last_success_at: datetime | None


_CLAIM_SQL = """
WITH picked AS (
    SELECT id FROM {delivery}
    WHERE id = ANY(%(ids)s) AND status = 'pending'
      AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)
    ORDER BY id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE {delivery} AS d
    SET status = 'sending', claimed_at = %(now)s, attempt_count = d.attempt_count + 1,
        updated_at = %(now)s
    FROM picked
    WHERE d.id = picked.id AND d.status = 'pending'
    RETURNING d.id, d.attempt_count, d.retry_step, d.team_id, d.event_id, d.endpoint_id
)
SELECT c.id, c.attempt_count, c.retry_step, c.team_id, t.webhook_token,
       t.previous_webhook_token, t.previous_webhook_token_expires_at, e.public_id, e.type,
       e.payload, c.endpoint_id, p.public_id, p.url, p.secret, p.previous_secret,
       p.previous_secret_expires_at, p.is_enabled, p.failing_since, p.last_success_at
FROM claimed c
JOIN {event} e ON e.id = c.event_id
JOIN {endpoint} p ON p.id = c.endpoint_id
JOIN {team} t ON t.id = c.team_id
ORDER BY c.id
"""


def _in_grace(value: str, expires_at: datetime | None, now: datetime) -> bool:
    return bool(value) and expires_at is not None and expires_at > now


def deliveries_claim(delivery_ids: list[int], now: datetime) -> list[Claim]:
    """Claim the due, pending ones of these deliveries (at most WEBHOOK_BATCH_SIZE).

    On PostgreSQL one statement: the rows are picked and locked once, in a CTE (a subquery
    under `IN` may run again per row and pick more than the limit), with SKIP LOCKED and a
    re-check of their status, so two claimers never take the same row; each claimed row
    comes back with its event, endpoint and team. Elsewhere (SQLite, one writer at a time)
    a conditional UPDATE per row. Secrets and tokens are decrypted here, once per distinct
    value (`decrypt_str` caches).
    """
    limit = int(settings.WEBHOOK_BATCH_SIZE)
    if connection.vendor != "postgresql":
        return _claim_portable(delivery_ids, now, limit)
    sql = _CLAIM_SQL.format(
        delivery=WebhookDelivery._meta.db_table,
        event=Event._meta.db_table,
        endpoint=WebhookEndpoint._meta.db_table,
        team=Team._meta.db_table,
    )
    with transaction.atomic():
        relaxed_commit()
        with connection.cursor() as cursor:
            cursor.execute(sql, {"ids": list(delivery_ids), "now": now, "limit": limit})
            rows = cursor.fetchall()
    claims = []
    for row in rows:
        (pk, number, retry_step, team_id, token, previous_token, previous_token_expires,
         event_public_id, event_type, payload, endpoint_id, endpoint_public_id, url, secret,
         previous_secret, previous_expires, is_enabled, failing_since,
         last_success_at) = row  # fmt: skip
        secrets = [decrypt_str(secret)]
        if _in_grace(previous_secret, previous_expires, now):
            secrets.append(decrypt_str(previous_secret))
        claims.append(
            Claim(
                delivery_id=pk,
                number=number,
                retry_step=retry_step,
                team_id=team_id,
                token=decrypt_str(token),
                previous_token=decrypt_str(previous_token)
                if _in_grace(previous_token, previous_token_expires, now)
                else "",
                event_public_id=event_public_id,
                event_type=event_type,
                payload=json.loads(payload) if isinstance(payload, str) else payload,
                endpoint_id=endpoint_id,
                endpoint_public_id=endpoint_public_id,
                url=url,
                secrets=secrets,
                is_enabled=is_enabled,
                failing_since=failing_since,
                last_success_at=last_success_at,
            )
        )
    return claims


def _claim_portable(delivery_ids: list[int], now: datetime, limit: int) -> list[Claim]:
    candidates = (
        WebhookDelivery.objects.select_related("endpoint", "event", "team")
        .filter(pk__in=delivery_ids, status=Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("pk")[:limit]
    )
    claims = []
    with transaction.atomic():
        for delivery in candidates:
            taken = WebhookDelivery.objects.filter(
                pk=delivery.pk, status=Status.PENDING, attempt_count=delivery.attempt_count
            ).update(
                status=Status.SENDING,
                claimed_at=now,
                attempt_count=delivery.attempt_count + 1,
                updated_at=now,
            )
            if taken:
                claims.append(_claim_of(delivery, delivery.attempt_count + 1, now))
    return claims


def _claim_of(delivery: WebhookDelivery, number: int, now: datetime) -> Claim:
    endpoint, team, event = delivery.endpoint, delivery.team, delivery.event
    secrets = [endpoint.secret]
    if _in_grace(endpoint.previous_secret, endpoint.previous_secret_expires_at, now):
        secrets.append(endpoint.previous_secret)
    in_grace = _in_grace(team.previous_webhook_token, team.previous_webhook_token_expires_at, now)
    return Claim(
        delivery_id=delivery.pk,
        number=number,
        retry_step=delivery.retry_step,
        team_id=delivery.team_id,
        token=team.webhook_token,
        previous_token=team.previous_webhook_token if in_grace else "",
        event_public_id=event.public_id,
        event_type=event.type,
        payload=event.payload,
        endpoint_id=endpoint.pk,
        endpoint_public_id=endpoint.public_id,
        url=endpoint.url,
        secrets=secrets,
        is_enabled=endpoint.is_enabled,
        failing_since=endpoint.failing_since,
        last_success_at=endpoint.last_success_at,
    )


def claim_release_disabled(claim: Claim, now: datetime) -> None:
    """A claimed delivery of a disabled endpoint fails without an attempt (resendable)."""
    WebhookDelivery.objects.filter(
        pk=claim.delivery_id, status=Status.SENDING, attempt_count=claim.number
    ).update(
        status=Status.FAILED,
        attempt_count=claim.number - 1,
        claimed_at=None,
        next_attempt_at=None,
        last_error=WEBHOOK_DISABLED.format(uuid=claim.endpoint_public_id),
        updated_at=now,
    )
