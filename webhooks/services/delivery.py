"""Sending deliveries: claim, POST, record; retries on the database schedule; the sweeper."""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
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


# Idle sessions (connection pools), shared by the send threads: keep-alive to busy
# receivers across batches, although each batch runs on threads of its own.
_idle_sessions: list[requests.Session] = []
_idle_lock = threading.Lock()
MAX_IDLE_SESSIONS = 256
os.register_at_fork(after_in_child=_idle_sessions.clear)  # never share a parent's sockets


@contextmanager
def _session() -> Iterator[requests.Session]:
    with _idle_lock:
        session = _idle_sessions.pop() if _idle_sessions else None
    if session is None:
        session = requests.Session()
        session.trust_env = False  # no proxy from the environment: it would bypass url_check
    try:
        yield session
    finally:
        with _idle_lock:
            keep = len(_idle_sessions) < MAX_IDLE_SESSIONS
            if keep:
                _idle_sessions.append(session)
        if not keep:
            session.close()


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


def _refusal(url: str) -> AttemptResult | None:
    """Why this URL must not be sent to now (the SSRF check again: DNS may have changed)."""
    Outcome = DeliveryAttempt.Outcome
    try:
        url_check(url, require_resolution=True)
    except UnsafeUrl as exc:
        return AttemptResult(Outcome.REFUSED, error=exc.message)
    except HostUnresolvable:
        return AttemptResult(Outcome.CONNECTION_ERROR, error="The host name does not resolve")
    return None


def _post(delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> AttemptResult:
    """One signed POST (its URL checked by `_refusal` first); never raises for anything the
    network or the receiver does."""
    Outcome = DeliveryAttempt.Outcome
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
        with (
            _session() as session,
            session.post(
                endpoint.url,
                data=body,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
                stream=True,
            ) as response,
        ):
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
    RETURNING d.id, d.public_id, d.attempt_count, d.retry_step, d.team_id, d.event_id,
              d.endpoint_id
)
SELECT c.id, c.public_id, c.attempt_count, c.retry_step, c.team_id, t.webhook_token,
       c.event_id, e.public_id, e.type, e.payload, c.endpoint_id, p.public_id, p.url,
       p.secret, p.previous_secret, p.previous_secret_expires_at, p.is_enabled,
       p.failing_since, p.last_success_at
FROM claimed c
JOIN {event} e ON e.id = c.event_id
JOIN {endpoint} p ON p.id = c.endpoint_id
JOIN {team} t ON t.id = c.team_id
ORDER BY c.id
"""


def _claim(delivery_ids: list[int], now: datetime) -> list[WebhookDelivery]:
    """Claim the due, pending ones of these deliveries (PENDING -> SENDING, attempt_count + 1).

    On PostgreSQL one statement: the rows are picked and locked once, in a CTE (a subquery
    under `IN` may run again per row and pick more than the limit), with SKIP LOCKED and a
    re-check of their status, so two claimers never take the same row; each claimed row
    comes back with its event, endpoint and team. The returned deliveries carry the new
    attempt_count (the claim's token). Elsewhere (SQLite, one writer at a time) a
    conditional UPDATE per row.
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
        _relaxed_commit()
        with connection.cursor() as cursor:
            cursor.execute(sql, {"ids": list(delivery_ids), "now": now, "limit": limit})
            rows = cursor.fetchall()
    claimed = []
    for row in rows:
        (pk, public_id, attempt_count, retry_step, team_id, token, event_id, event_public_id,
         event_type, payload, endpoint_id, endpoint_public_id, url, secret, previous_secret,
         previous_expires, is_enabled, failing_since, last_success_at) = row  # fmt: skip
        delivery = WebhookDelivery(
            id=pk,
            public_id=public_id,
            status=WebhookDelivery.Status.SENDING,
            attempt_count=attempt_count,
            retry_step=retry_step,
            team_id=team_id,
            event_id=event_id,
            endpoint_id=endpoint_id,
            claimed_at=now,
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
        claimed.append(delivery)
    return claimed


def _claim_portable(delivery_ids: list[int], now: datetime, limit: int) -> list[WebhookDelivery]:
    Status = WebhookDelivery.Status
    candidates = (
        WebhookDelivery.objects.select_related("endpoint", "event", "team")
        .filter(pk__in=delivery_ids, status=Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("pk")[:limit]
    )
    claimed = []
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
                delivery.status, delivery.claimed_at = Status.SENDING, now
                delivery.attempt_count += 1
                claimed.append(delivery)
    return claimed


def _release_disabled(delivery: WebhookDelivery, now: datetime) -> None:
    """A claimed delivery of a disabled endpoint fails without an attempt (resendable)."""
    WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.SENDING, attempt_count=delivery.attempt_count
    ).update(
        status=WebhookDelivery.Status.FAILED,
        attempt_count=delivery.attempt_count - 1,
        claimed_at=None,
        next_attempt_at=None,
        last_error=WEBHOOK_DISABLED.format(uuid=delivery.endpoint.public_id),
        updated_at=now,
    )


def deliveries_send(*, delivery_ids: list[int]) -> dict[int, str]:
    """Make the due attempt of each of these deliveries that is due and not taken.

    Claims them in one go (`_claim`: a duplicate message, a redelivered one or a second
    worker gets nothing), checks each distinct URL's address once (send time: DNS may have
    changed), POSTs them concurrently outside any transaction, a thread each on pooled
    keep-alive sessions, then records every attempt (`_record_batch`). Returns the outcome
    per delivery id for the attempts made.
    """
    now = timezone.now()
    claimed = _claim(list(delivery_ids), now)
    sendable = []
    for delivery in claimed:
        if delivery.endpoint.is_enabled:
            sendable.append(delivery)
        else:
            _release_disabled(delivery, now)
    if not sendable:
        return {}
    refusals = {url: _refusal(url) for url in {d.endpoint.url for d in sendable}}

    def attempt(delivery: WebhookDelivery) -> tuple[WebhookDelivery, datetime, AttemptResult]:
        started_at = timezone.now()
        refused = refusals[delivery.endpoint.url]
        return delivery, started_at, refused or _post(delivery, delivery.endpoint)

    if len(sendable) == 1:
        results = [attempt(sendable[0])]
    else:
        # A thread per delivery: the batch lasts as long as its slowest receiver, well
        # within the time limit, however many of them time out.
        with ThreadPoolExecutor(len(sendable), thread_name_prefix="webhook-send") as pool:
            results = list(pool.map(attempt, sendable))
    _record_batch(results)
    return {delivery.pk: result.outcome for delivery, _, result in results}


def delivery_send(*, delivery_id: int) -> str | None:
    """Make one delivery's due attempt (see deliveries_send); its outcome, or None."""
    return deliveries_send(delivery_ids=[delivery_id]).get(delivery_id)


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


def _record_batch(results: list[tuple[WebhookDelivery, datetime, AttemptResult]]) -> None:
    """Record a batch's attempts: its successes in one transaction of a few statements
    (lock the rows still held by these claims, mark them delivered, insert their attempts),
    anything else one by one (`_record`: retry schedule, 410, failing endpoints)."""
    Status, Outcome = WebhookDelivery.Status, DeliveryAttempt.Outcome
    succeeded = {d.pk: (d, started, r) for d, started, r in results if r.outcome == Outcome.SUCCESS}
    if succeeded:
        with transaction.atomic():
            _relaxed_commit()
            now = timezone.now()
            # Only the claim holder records (see `_record`): rows whose claim was taken back
            # by the sweeper are left to the attempt it scheduled.
            held = [
                pk
                for pk, count in WebhookDelivery.objects.select_for_update()
                .filter(pk__in=list(succeeded), status=Status.SENDING)
                .values_list("pk", "attempt_count")
                if count == succeeded[pk][0].attempt_count
            ]
            by_code: dict[int | None, list[int]] = defaultdict(list)
            for pk in held:
                by_code[succeeded[pk][2].status_code].append(pk)
            for code, pks in by_code.items():
                WebhookDelivery.objects.filter(pk__in=pks).update(
                    status=Status.DELIVERED,
                    delivered_at=now,
                    next_attempt_at=None,
                    claimed_at=None,
                    last_status_code=code,
                    last_error="",
                    updated_at=now,
                )
            DeliveryAttempt.objects.bulk_create(
                DeliveryAttempt(
                    delivery_id=pk,
                    number=succeeded[pk][0].attempt_count,
                    outcome=Outcome.SUCCESS,
                    started_at=succeeded[pk][1],
                    duration_ms=succeeded[pk][2].duration_ms,
                    response_status_code=succeeded[pk][2].status_code,
                    response_body=succeeded[pk][2].body,
                )
                for pk in held
            )
            endpoints = {succeeded[pk][0].endpoint_id: succeeded[pk][0].endpoint for pk in held}
            for endpoint in endpoints.values():
                _endpoint_succeeded(endpoint, now)
    for delivery, started_at, result in results:
        if result.outcome != Outcome.SUCCESS:
            _record(delivery, number=delivery.attempt_count, started_at=started_at, result=result)


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
