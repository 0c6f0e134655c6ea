"""Recording attempts: the outcome, the attempt row and the retry schedule, claim holders only.

Outcomes are recorded as their POSTs return (`deliveries_send` hands them over a few at a
time), so a worker killed in the middle of a batch repeats only what was in flight. Every
write checks the claim's token (`status = sending AND attempt_count = number`): a result that
comes back after the sweeper took the claim back is dropped.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from webhooks.models import DeliveryAttempt, WebhookDelivery
from webhooks.services.claims import Claim, relaxed_commit
from webhooks.services.endpoints import endpoint_disable
from webhooks.services.health import ENDPOINT_GONE, endpoint_failed
from webhooks.services.transport import AttemptResult

# Standard Webhooks' schedule: the delay before each retry (10 attempts over ~3 days).
RETRY_SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
MAX_RETRY_AFTER = timedelta(hours=24)
JITTER = 0.1  # +/- 10 % so that retries of one outage don't arrive in one burst

Status, Outcome = WebhookDelivery.Status, DeliveryAttempt.Outcome


def _next_delay(step: int, retry_after: timedelta | None) -> timedelta:
    delay = RETRY_SCHEDULE[step] * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


# One statement, so one round trip in autocommit mode; set_config(..., true) is SET LOCAL
# for the statement's own transaction (see claims.relaxed_commit for why).
_SUCCESS_SQL = """
WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)),
v (id, number, code, started_at, duration_ms, body) AS (VALUES {rows}),
done AS (
    UPDATE {delivery} AS d
    SET status = 'delivered', delivered_at = %s, next_attempt_at = NULL, claimed_at = NULL,
        last_status_code = v.code, last_error = '', updated_at = %s
    FROM v CROSS JOIN relaxed
    WHERE d.id = v.id AND d.status = 'sending' AND d.attempt_count = v.number
    RETURNING d.id
)
INSERT INTO {attempt}
    (delivery_id, number, outcome, started_at, duration_ms, response_status_code,
     response_body, error)
SELECT v.id, v.number, 'success', v.started_at, v.duration_ms, v.code, v.body, ''
FROM v JOIN done ON done.id = v.id
RETURNING delivery_id
"""
_SUCCESS_ROW = "(%s::bigint, %s::integer, %s::smallint, %s::timestamptz, %s::integer, %s::text)"


def attempts_record_successes(
    results: Sequence[tuple[Claim, datetime, AttemptResult]],
    *,
    db: BaseDatabaseWrapper | None = None,
) -> list[int]:
    """Mark these deliveries delivered and write their attempts; returns the ids recorded
    (those whose claim was still held).

    On PostgreSQL one statement for any number of them (an UPDATE and the INSERT of the
    attempts of the rows it updated, in one CTE), on `db` if given (a connection shared
    with the calling thread); elsewhere one small transaction.
    """
    if not results:
        return []
    now = timezone.now()
    db = db or connection
    if db.vendor != "postgresql":
        return _record_successes_portable(results, now)
    params: list[Any] = []
    for claim, started_at, result in results:
        params += [
            claim.delivery_id,
            claim.number,
            result.status_code,
            started_at,
            result.duration_ms,
            result.body,
        ]
    sql = _SUCCESS_SQL.format(
        rows=", ".join([_SUCCESS_ROW] * len(results)),
        delivery=WebhookDelivery._meta.db_table,
        attempt=DeliveryAttempt._meta.db_table,
    )
    with db.cursor() as cursor:
        cursor.execute(sql, [*params, now, now])
        return [row[0] for row in cursor.fetchall()]


def _record_successes_portable(
    results: Sequence[tuple[Claim, datetime, AttemptResult]], now: datetime
) -> list[int]:
    recorded = []
    with transaction.atomic():
        for claim, started_at, result in results:
            held = WebhookDelivery.objects.filter(
                pk=claim.delivery_id, status=Status.SENDING, attempt_count=claim.number
            ).update(
                status=Status.DELIVERED,
                delivered_at=now,
                next_attempt_at=None,
                claimed_at=None,
                last_status_code=result.status_code,
                last_error="",
                updated_at=now,
            )
            if held:
                DeliveryAttempt.objects.create(
                    delivery_id=claim.delivery_id,
                    number=claim.number,
                    outcome=Outcome.SUCCESS,
                    started_at=started_at,
                    duration_ms=result.duration_ms,
                    response_status_code=result.status_code,
                    response_body=result.body,
                )
                recorded.append(claim.delivery_id)
    return recorded


@transaction.atomic
def attempt_record_failure(claim: Claim, *, started_at: datetime, result: AttemptResult) -> bool:
    """Record a failed attempt: the next retry (or `failed` when out of retries, or at once
    on a 410, which also disables the endpoint), the attempt row and the endpoint's health.
    Returns False when the claim is no longer held (nothing written)."""
    relaxed_commit()
    now = timezone.now()
    changes: dict[str, object] = {
        "claimed_at": None,
        "last_status_code": result.status_code,
        "last_error": result.error,
        "updated_at": now,
    }
    gone = result.status_code == 410
    if not gone and claim.retry_step < len(RETRY_SCHEDULE):
        changes.update(
            status=Status.PENDING,
            next_attempt_at=now + _next_delay(claim.retry_step, result.retry_after),
            retry_step=claim.retry_step + 1,
            enqueued_at=None,  # the sweeper publishes it when due
        )
    else:
        changes.update(status=Status.FAILED, next_attempt_at=None)
    recorded = WebhookDelivery.objects.filter(
        pk=claim.delivery_id, status=Status.SENDING, attempt_count=claim.number
    ).update(**changes)
    if not recorded:
        return False
    DeliveryAttempt.objects.create(
        delivery_id=claim.delivery_id,
        number=claim.number,
        outcome=result.outcome,
        started_at=started_at,
        duration_ms=result.duration_ms,
        response_status_code=result.status_code,
        response_body=result.body,
        error=result.error,
    )
    if gone:
        endpoint_disable(endpoint_id=claim.endpoint_id, reason=ENDPOINT_GONE)
    else:
        endpoint_failed(claim.endpoint_id, now)
    return True
