"""Sending a batch of deliveries: claim, resolve and check, POST concurrently, record."""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime

from django.conf import settings
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
    """Records outcomes as they come, successes of a group in one statement."""

    def __init__(self) -> None:
        self.outcomes: dict[int, str] = {}
        self._healthy: set[int] = set()

    def record(self, sent: Sequence[Sent]) -> None:
        successes = [item for item in sent if item[2].outcome == Outcome.SUCCESS]
        recorded = set(attempts_record_successes(successes))
        now = timezone.now()
        for claim, _, _ in successes:
            if claim.delivery_id in recorded and claim.endpoint_id not in self._healthy:
                self._healthy.add(claim.endpoint_id)
                endpoint_succeeded(
                    claim.endpoint_id,
                    failing_since=claim.failing_since,
                    last_success_at=claim.last_success_at,
                    now=now,
                )
        for claim, started_at, result in sent:
            if result.outcome != Outcome.SUCCESS:
                attempt_record_failure(claim, started_at=started_at, result=result)
        self.outcomes.update({claim.delivery_id: result.outcome for claim, _, result in sent})


def deliveries_send(*, delivery_ids: list[int]) -> dict[int, str]:
    """Make the due attempt of each of these deliveries that is due and not taken.

    Claims them in one go (a duplicate message, a redelivered one or a second worker gets
    nothing), resolves and checks each distinct URL once, POSTs them concurrently outside
    any transaction (a thread each, pooled keep-alive sessions, each connecting to the
    address that was checked), and records each outcome as soon as its POST returns
    (those that return together in one statement), so that a worker killed mid-batch makes
    again only the attempts that were in flight. Returns the outcome per delivery id.
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
        recorder.record([_attempt(sendable[0], targets[sendable[0].url])])
        return recorder.outcomes
    # A thread per delivery: the batch lasts as long as its slowest receiver, well within
    # the time limit, however many of them time out. Only this thread writes (one database
    # connection per batch), as results arrive.
    with ThreadPoolExecutor(len(sendable), thread_name_prefix="webhook-send") as pool:
        pending: set[Future[Sent]] = {
            pool.submit(_attempt, claim, targets[claim.url]) for claim in sendable
        }
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            recorder.record([future.result() for future in done])
    return recorder.outcomes


def delivery_send(*, delivery_id: int) -> str | None:
    """Make one delivery's due attempt (see deliveries_send); its outcome, or None."""
    return deliveries_send(delivery_ids=[delivery_id]).get(delivery_id)
