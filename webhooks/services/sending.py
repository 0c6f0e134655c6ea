"""Sending a batch of deliveries: claim, resolve and check, POST concurrently, record."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from webhooks.addresses import HostUnresolvable, Target, UnsafeUrl, target_resolve
from webhooks.models import DeliveryAttempt
from webhooks.services.claims import Claim, claim_release_disabled, deliveries_claim
from webhooks.services.events import event_payload
from webhooks.services.health import endpoint_succeeded
from webhooks.services.recording import attempt_record_failure, attempts_record_successes
from webhooks.services.transport import USER_AGENT, AttemptResult, post
from webhooks.signing import signature_header

Outcome = DeliveryAttempt.Outcome
HOST_UNRESOLVABLE = "The host name does not resolve"

Sent = tuple[Claim, datetime, AttemptResult]


def _targets(claims: list[Claim]) -> dict[str, Target | AttemptResult]:
    """Each distinct URL resolved and checked once for this batch (send time: DNS may have
    changed since the URL was saved): where to connect, or why not."""
    targets: dict[str, Target | AttemptResult] = {}
    for url in {claim.url for claim in claims}:
        try:
            targets[url] = target_resolve(url)
        except UnsafeUrl as exc:
            targets[url] = AttemptResult(Outcome.REFUSED, error=exc.message)
        except HostUnresolvable:
            targets[url] = AttemptResult(Outcome.CONNECTION_ERROR, error=HOST_UNRESOLVABLE)
    return targets


def _headers(claim: Claim, body: bytes, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "SparkLoop-Token": claim.token,
        "webhook-id": claim.event_public_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            secrets=claim.secrets, msg_id=claim.event_public_id, timestamp=timestamp, body=body
        ),
    }
    if claim.previous_token:
        headers["SparkLoop-Token-Previous"] = claim.previous_token
    return headers


def _attempt(claim: Claim, target: Target | AttemptResult) -> Sent:
    started_at = timezone.now()
    if isinstance(target, AttemptResult):
        return claim, started_at, target
    payload = event_payload(
        public_id=claim.event_public_id, type=claim.event_type, payload=claim.payload
    )
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    result = post(
        target=target,
        body=body,
        headers=_headers(claim, body, started_at),
        timeout=float(settings.WEBHOOK_TIMEOUT_SECONDS),
    )
    return claim, started_at, result


class _Recorder:
    """Records outcomes as they come.

    On PostgreSQL a sender thread records its own success as soon as its POST returns, on
    the task's database connection, shared under a lock (one connection per batch, not one
    per thread): whichever thread holds the lock writes every success waiting at that moment
    in one statement (a group commit), so no hand-over to another thread, and no queue of
    one statement per delivery, stands between a POST and its record. Failures (retry
    schedule, health, perhaps disabling the endpoint), and every outcome on other databases,
    are recorded by the task's own thread as they arrive.
    """

    def __init__(self) -> None:
        self.outcomes: dict[int, str] = {}
        self.lock = threading.Lock()
        db = connections[DEFAULT_DB_ALIAS]
        self.shared = db if db.vendor == "postgresql" else None
        self._waiting: list[Sent] = []
        self._waiting_lock = threading.Lock()
        self._succeeded: dict[int, Claim] = {}  # endpoint id -> a claim, for its health

    def record_now(self, sent: Sent) -> bool:
        """In a sender thread: record a success at once if it can be; True if done (by this
        thread or by the one that held the lock before it)."""
        if self.shared is None or sent[2].outcome != Outcome.SUCCESS:
            return False
        with self._waiting_lock:
            self._waiting.append(sent)
        with self.lock:
            with self._waiting_lock:
                group, self._waiting = self._waiting, []
            if group:
                recorded = set(attempts_record_successes(group, db=self.shared))
                for claim, _, _ in group:
                    if claim.delivery_id in recorded:
                        self._succeeded.setdefault(claim.endpoint_id, claim)
        return True

    def record(self, sent: Sequence[Sent]) -> None:
        """In the task's thread: record these (successes of a group in one statement)."""
        successes = [item for item in sent if item[2].outcome == Outcome.SUCCESS]
        with self.lock:
            recorded = set(attempts_record_successes(successes))
            for claim, started_at, result in sent:
                if result.outcome != Outcome.SUCCESS:
                    attempt_record_failure(claim, started_at=started_at, result=result)
        for claim, _, _ in successes:
            if claim.delivery_id in recorded:
                self._succeeded.setdefault(claim.endpoint_id, claim)

    def done(self, sent: Sequence[Sent]) -> None:
        self.outcomes.update({claim.delivery_id: result.outcome for claim, _, result in sent})

    def finish(self) -> None:
        """Once the POSTs are over: the health of the endpoints that answered 2xx."""
        now = timezone.now()
        for endpoint_id, claim in self._succeeded.items():
            endpoint_succeeded(
                endpoint_id,
                failing_since=claim.failing_since,
                last_success_at=claim.last_success_at,
                now=now,
            )


def deliveries_send(*, delivery_ids: list[int]) -> dict[int, str]:
    """Make the due attempt of each of these deliveries that is due and not taken.

    Claims them in one go (a duplicate message, a redelivered one or a second worker gets
    nothing), resolves and checks each distinct URL once, POSTs them concurrently outside
    any transaction (a thread each, pooled keep-alive sessions, each connecting to the
    address that was checked), and records each outcome as soon as its POST returns
    (`_Recorder`), so that a worker killed mid-batch makes again only the attempts that
    were in flight. Returns the outcome per delivery id.
    """
    now = timezone.now()
    sendable = []
    for claim in deliveries_claim(list(delivery_ids), now):
        if claim.is_enabled:
            sendable.append(claim)
        else:
            claim_release_disabled(claim, now)
    recorder = _Recorder()
    if not sendable:
        return recorder.outcomes
    targets = _targets(sendable)
    if len(sendable) == 1:
        sent = _attempt(sendable[0], targets[sendable[0].url])
        recorder.record([sent])
        recorder.done([sent])
        recorder.finish()
        return recorder.outcomes

    def send(claim: Claim) -> tuple[Sent, bool]:
        sent = _attempt(claim, targets[claim.url])
        return sent, recorder.record_now(sent)

    if recorder.shared is not None:
        recorder.shared.inc_thread_sharing()
    try:
        # A thread per delivery: the batch lasts as long as its slowest receiver, well
        # within the time limit, however many of them time out.
        with ThreadPoolExecutor(len(sendable), thread_name_prefix="webhook-send") as pool:
            pending: set[Future[tuple[Sent, bool]]] = {
                pool.submit(send, claim) for claim in sendable
            }
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                results = [future.result() for future in done]
                recorder.record([sent for sent, recorded in results if not recorded])
                recorder.done([sent for sent, _ in results])
    finally:
        if recorder.shared is not None:
            recorder.shared.dec_thread_sharing()
    recorder.finish()
    return recorder.outcomes


def delivery_send(*, delivery_id: int) -> str | None:
    """Make one delivery's due attempt (see deliveries_send); its outcome, or None."""
    return deliveries_send(delivery_ids=[delivery_id]).get(delivery_id)
