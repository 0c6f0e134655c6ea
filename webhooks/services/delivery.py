"""Sending deliveries: claim, POST, record; retries on the database schedule; the sweeper."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import requests
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from sparkloop.exceptions import InvalidState
from sparkloop.models import Team
from webhooks.addresses import HostUnresolvable, UnsafeUrl, url_check
from webhooks.models import DeliveryAttempt, Event, WebhookDelivery, WebhookEndpoint
from webhooks.services.endpoints import WEBHOOK_DISABLED, endpoint_disable
from webhooks.services.events import deliveries_enqueue_on_commit
from webhooks.signing import signature_header

logger = logging.getLogger(__name__)

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
BODY_EXCERPT_CHARS = 1024
BODY_READ_LIMIT = 64 * 1024  # read at most this much of an answer (keeps the connection reusable)
USER_AGENT = "SparkLoop-Compatible-Webhooks/1.0 (+https://www.standardwebhooks.com/)"

DELIVERY_SENDING = "Delivery {id} is being sent; try again in a moment"
ENDPOINT_GONE = "The receiver answered 410 Gone"
ENDPOINT_FAILING = "Every delivery failed for {days} days"

_local = threading.local()


def _relaxed_commit() -> None:
    """Let this transaction's COMMIT return before its WAL is flushed (PostgreSQL).

    Only for the worker's bookkeeping (claims, outcomes, sweeps): a crash can lose the last
    few hundred milliseconds of them, and that only ever causes an attempt to be made again
    (at-least-once, same webhook-id), never an event lost. It saves an fsync per commit,
    the largest cost of a delivery. Events themselves are written in their cause's normal,
    durable transaction.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _session() -> requests.Session:
    # One session (connection pool) per worker thread: keep-alive to busy receivers.
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False  # no proxy from the environment: it would bypass url_check
        _local.session = session
    return session


@dataclass
class AttemptResult:
    outcome: str
    status_code: int | None = None
    body: str = ""
    error: str = ""
    duration_ms: int | None = None
    retry_after: timedelta | None = None


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when - now, timedelta(0)) if when.tzinfo else None


def _read_excerpt(response: requests.Response, deadline: float) -> str:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(8192):
        chunks.append(chunk)
        size += len(chunk)
        if size >= BODY_READ_LIMIT or time.monotonic() > deadline:
            break
    return b"".join(chunks)[:BODY_EXCERPT_CHARS].decode("utf-8", "replace")


def _signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    secrets = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires and expires > now:
        secrets.append(endpoint.previous_secret)
    return secrets


def _post(delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> AttemptResult:
    """One signed POST; never raises for anything the network or the receiver does."""
    Outcome = DeliveryAttempt.Outcome
    try:
        url_check(endpoint.url, require_resolution=True)  # again now: DNS may have changed
    except UnsafeUrl as exc:
        return AttemptResult(Outcome.REFUSED, error=exc.message)
    except HostUnresolvable:
        return AttemptResult(Outcome.CONNECTION_ERROR, error="The host name does not resolve")
    event = delivery.event
    body = json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False).encode()
    now = timezone.now()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "SparkLoop-Token": delivery.team.webhook_token,
        "webhook-id": event.public_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            secrets=_signing_secrets(endpoint, now),
            msg_id=event.public_id,
            timestamp=timestamp,
            body=body,
        ),
    }
    timeout = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    start = time.monotonic()
    try:
        with _session().post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        ) as response:
            excerpt = _read_excerpt(response, start + timeout)
    except requests.Timeout:
        return AttemptResult(
            Outcome.TIMEOUT, error=f"No answer within {timeout:g} s", duration_ms=_ms(start)
        )
    except requests.RequestException as exc:
        return AttemptResult(Outcome.CONNECTION_ERROR, error=str(exc)[:255], duration_ms=_ms(start))
    code = response.status_code
    if 200 <= code < 300:
        return AttemptResult(Outcome.SUCCESS, code, excerpt, duration_ms=_ms(start))
    error = f"HTTP {code}"
    if response.is_redirect:
        location = response.headers.get("Location", "")
        error = f"HTTP {code}: redirects are not followed (Location: {location})"
    return AttemptResult(
        Outcome.HTTP_ERROR,
        code,
        excerpt,
        error=error[:255],
        duration_ms=_ms(start),
        retry_after=_retry_after(response.headers.get("Retry-After"), timezone.now()),
    )


def _ms(start: float) -> int:
    return int((time.monotonic() - start) * 1000)


_PENDING_DELIVERY_SQL = """
SELECT d.id, d.public_id, d.status, d.attempt_count, d.retry_step, d.next_attempt_at,
       d.team_id, t.webhook_token, d.event_id, e.public_id, e.type, e.payload,
       d.endpoint_id, p.public_id, p.url, p.secret, p.previous_secret,
       p.previous_secret_expires_at, p.is_enabled, p.failing_since, p.last_success_at
FROM {delivery} d
JOIN {event} e ON e.id = d.event_id
JOIN {endpoint} p ON p.id = d.endpoint_id
JOIN {team} t ON t.id = d.team_id
WHERE d.id = %s AND d.status = 'pending'
"""


def _pending_delivery(delivery_id: int) -> WebhookDelivery | None:
    """The delivery with its event, endpoint and team, if it is pending.

    On PostgreSQL a fixed SQL string: compiling the ORM's four-table select_related cost
    about a third of a delivery's CPU. (SQLite returns datetimes as text to a raw cursor,
    so it keeps the ORM query.)
    """
    if connection.vendor != "postgresql":
        return (
            WebhookDelivery.objects.select_related("endpoint", "event", "team")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
            .first()
        )
    sql = _PENDING_DELIVERY_SQL.format(
        delivery=WebhookDelivery._meta.db_table,
        event=Event._meta.db_table,
        endpoint=WebhookEndpoint._meta.db_table,
        team=Team._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [delivery_id])
        row = cursor.fetchone()
    if row is None:
        return None
    (pk, public_id, status, attempt_count, retry_step, next_attempt_at, team_id, token,
     event_id, event_public_id, event_type, payload, endpoint_id, endpoint_public_id, url,
     secret, previous_secret, previous_expires, is_enabled, failing_since,
     last_success_at) = row  # fmt: skip
    delivery = WebhookDelivery(
        id=pk,
        public_id=public_id,
        status=status,
        attempt_count=attempt_count,
        retry_step=retry_step,
        next_attempt_at=next_attempt_at,
    )
    delivery.team = Team(id=team_id, webhook_token=token)
    delivery.event = Event(
        id=event_id,
        team_id=team_id,
        public_id=event_public_id,
        type=event_type,
        payload=json.loads(payload) if isinstance(payload, str) else payload,
    )
    delivery.endpoint = WebhookEndpoint(
        id=endpoint_id,
        team_id=team_id,
        public_id=endpoint_public_id,
        url=url,
        secret=secret,
        previous_secret=previous_secret,
        previous_secret_expires_at=previous_expires,
        is_enabled=is_enabled,
        failing_since=failing_since,
        last_success_at=last_success_at,
    )
    return delivery


def delivery_send(*, delivery_id: int) -> str | None:
    """Make the delivery's due attempt, if it is due and nobody else is making it.

    Claims the row with a conditional UPDATE (PENDING -> SENDING, attempt_count + 1), so a
    duplicate task, a redelivered message or a second worker does nothing. The POST runs
    outside any transaction; the outcome is then recorded (`_record`). Returns the outcome,
    or None when there was nothing to do.
    """
    now = timezone.now()
    delivery = _pending_delivery(delivery_id)
    if delivery is None or (delivery.next_attempt_at and delivery.next_attempt_at > now):
        return None  # done, taken, or early: the sweeper publishes it again when due
    if not delivery.endpoint.is_enabled:
        WebhookDelivery.objects.filter(pk=delivery.pk, status=delivery.status).update(
            status=WebhookDelivery.Status.FAILED,
            next_attempt_at=None,
            last_error=WEBHOOK_DISABLED.format(uuid=delivery.endpoint.public_id),
            updated_at=now,
        )
        return None
    number = delivery.attempt_count + 1
    with transaction.atomic():
        _relaxed_commit()
        claimed = WebhookDelivery.objects.filter(
            pk=delivery.pk,
            status=WebhookDelivery.Status.PENDING,
            attempt_count=delivery.attempt_count,
        ).update(status=WebhookDelivery.Status.SENDING, claimed_at=now, attempt_count=number)
    if not claimed:
        return None
    started_at = timezone.now()
    result = _post(delivery, delivery.endpoint)
    _record(delivery, number=number, started_at=started_at, result=result)
    return result.outcome


def _next_delay(step: int, retry_after: timedelta | None) -> timedelta:
    delay = RETRY_SCHEDULE[step] * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


@transaction.atomic
def _record(
    delivery: WebhookDelivery, *, number: int, started_at: datetime, result: AttemptResult
) -> None:
    _relaxed_commit()
    now = timezone.now()
    Status, Outcome = WebhookDelivery.Status, DeliveryAttempt.Outcome
    changes: dict[str, object] = {
        "claimed_at": None,
        "last_status_code": result.status_code,
        "last_error": result.error,
        "updated_at": now,
    }
    gone = result.status_code == 410
    if result.outcome == Outcome.SUCCESS:
        changes.update(status=Status.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif not gone and delivery.retry_step < len(RETRY_SCHEDULE):
        changes.update(
            status=Status.PENDING,
            next_attempt_at=now + _next_delay(delivery.retry_step, result.retry_after),
            retry_step=delivery.retry_step + 1,
            enqueued_at=None,  # the sweeper publishes it when due
        )
    else:
        changes.update(status=Status.FAILED, next_attempt_at=None)
    # Only the claim holder records: if the sweeper took the row back (worker thought lost),
    # this late result is dropped; the retry it scheduled keeps the same webhook-id.
    recorded = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=Status.SENDING, attempt_count=number
    ).update(**changes)
    if not recorded:
        return
    DeliveryAttempt.objects.create(
        delivery_id=delivery.pk,
        number=number,
        outcome=result.outcome,
        started_at=started_at,
        duration_ms=result.duration_ms,
        response_status_code=result.status_code,
        response_body=result.body,
        error=result.error,
    )
    if result.outcome == Outcome.SUCCESS:
        _endpoint_succeeded(delivery.endpoint, now)
    elif gone:
        endpoint_disable(endpoint_id=delivery.endpoint_id, reason=ENDPOINT_GONE)
    else:
        _endpoint_failed(delivery.endpoint_id, now)


def _endpoint_succeeded(endpoint: WebhookEndpoint, now: datetime) -> None:
    # A busy healthy endpoint is not one hot row written per delivery: the row as loaded
    # with the delivery tells whether there is anything to change, and the UPDATE is
    # conditional for the case where another worker has just recorded a failure.
    recent = now - timedelta(seconds=60)
    if (
        endpoint.failing_since is None
        and endpoint.last_success_at
        and endpoint.last_success_at > recent
    ):
        return
    WebhookEndpoint.objects.filter(pk=endpoint.pk).filter(
        Q(failing_since__isnull=False)
        | Q(last_success_at__isnull=True)
        | Q(last_success_at__lt=recent)
    ).update(failing_since=None, consecutive_failures=0, last_success_at=now)


def _endpoint_failed(endpoint_id: int, now: datetime) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(
        failing_since=now
    )
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        consecutive_failures=F("consecutive_failures") + 1, last_failure_at=now
    )
    days = int(settings.WEBHOOK_DISABLE_AFTER_DAYS)
    if WebhookEndpoint.objects.filter(
        pk=endpoint_id, is_enabled=True, failing_since__lte=now - timedelta(days=days)
    ).exists():
        endpoint_disable(endpoint_id=endpoint_id, reason=ENDPOINT_FAILING.format(days=days))


@transaction.atomic
def delivery_resend(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now (same webhook-id), with a fresh retry schedule.

    Raises InvalidState while it is being sent, or when its endpoint is disabled.
    """
    endpoint = WebhookEndpoint.objects.get(pk=delivery.endpoint_id)
    if not endpoint.is_enabled:
        raise InvalidState(WEBHOOK_DISABLED.format(uuid=endpoint.public_id))
    now = timezone.now()
    updated = (
        WebhookDelivery.objects.filter(pk=delivery.pk)
        .exclude(status=WebhookDelivery.Status.SENDING)
        .update(
            status=WebhookDelivery.Status.PENDING,
            retry_step=0,
            next_attempt_at=now,
            enqueued_at=now,
            updated_at=now,
        )
    )
    if not updated:
        raise InvalidState(DELIVERY_SENDING.format(id=delivery.public_id))
    deliveries_enqueue_on_commit([delivery.pk])
    delivery.refresh_from_db()
    return delivery


def deliveries_resend(*, deliveries: list[WebhookDelivery]) -> int:
    """Resend many (admin action); returns how many were queued, skipping refused ones."""
    queued = 0
    for delivery in deliveries:
        try:
            delivery_resend(delivery=delivery)
        except InvalidState:
            continue
        queued += 1
    return queued


def _stuck_after() -> timedelta:
    return timedelta(seconds=int(settings.WEBHOOK_STUCK_AFTER_SECONDS))


def delivery_sweep(*, batch_size: int = 2000, publish_limit: int | None = None) -> dict[str, int]:
    """Recover deliveries stuck in SENDING and publish due ones whose message is missing.

    Stuck: claimed longer ago than the hard time limit allows (the worker died); the attempt
    is recorded as `worker_lost` and the delivery is due again at once. Due: PENDING rows
    whose next_attempt_at has come and that have no recent message (a retry, or a message
    lost with a broker or a killed worker), at most `publish_limit` of them: the caller
    passes the room left in the broker queue, so that a backlog is not multiplied by
    republishing rows whose message is merely waiting in it. Returns counts.
    """
    now = timezone.now()
    Status = WebhookDelivery.Status
    recovered = 0
    stuck = WebhookDelivery.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - _stuck_after()
    ).values_list("pk", "attempt_count", "claimed_at")[:batch_size]
    for pk, number, claimed_at in stuck:
        with transaction.atomic():
            _relaxed_commit()
            taken = WebhookDelivery.objects.filter(
                pk=pk, status=Status.SENDING, attempt_count=number
            ).update(
                status=Status.PENDING,
                claimed_at=None,
                next_attempt_at=now,
                enqueued_at=None,
                last_error="Worker lost during the attempt",
                updated_at=now,
            )
            if taken:
                DeliveryAttempt.objects.create(
                    delivery_id=pk,
                    number=number,
                    outcome=DeliveryAttempt.Outcome.WORKER_LOST,
                    started_at=claimed_at,
                    error="No result within the time limit; the receiver may have got it",
                )
                recovered += 1

    if publish_limit is None:
        publish_limit = batch_size
    requeue_before = now - timedelta(seconds=int(settings.WEBHOOK_REQUEUE_AFTER_SECONDS))
    with transaction.atomic():
        _relaxed_commit()
        # SKIP LOCKED lets two sweepers share the work; the claim in delivery_send is what
        # makes a duplicate message harmless anyway.
        due = list(
            WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=requeue_before))
            .order_by("next_attempt_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[: min(batch_size, max(publish_limit, 0))]
        )
        if due:
            WebhookDelivery.objects.filter(pk__in=due).update(enqueued_at=now)
            deliveries_enqueue_on_commit(due)
    if recovered or due:
        logger.info("webhook sweep: %d recovered, %d published", recovered, len(due))
    return {"recovered": recovered, "published": len(due)}
