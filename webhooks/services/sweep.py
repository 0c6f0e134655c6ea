"""The sweeper (beat, every few seconds): events left unexpanded are expanded, lost claims
come back, due deliveries are published."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from webhooks.models import DeliveryAttempt, WebhookDelivery
from webhooks.services.claims import relaxed_commit
from webhooks.services.expand import events_expand
from webhooks.services.publish import deliveries_publish_on_commit

logger = logging.getLogger(__name__)

WORKER_LOST = "Worker lost during the attempt"
WORKER_LOST_ATTEMPT = "No result within the time limit; the receiver may have got it"

Status = WebhookDelivery.Status


def _stuck_recover(now: datetime, batch_size: int) -> int:
    """Deliveries claimed longer ago than the hard time limit allows (the worker died):
    the attempt is recorded as `worker_lost`, and they are due again at once."""
    recovered = 0
    stuck_before = now - timedelta(seconds=int(settings.WEBHOOK_STUCK_AFTER_SECONDS))
    stuck = WebhookDelivery.objects.filter(
        status=Status.SENDING, claimed_at__lt=stuck_before
    ).values_list("pk", "attempt_count", "claimed_at")[:batch_size]
    for pk, number, claimed_at in stuck:
        with transaction.atomic():
            relaxed_commit()
            taken = WebhookDelivery.objects.filter(
                pk=pk, status=Status.SENDING, attempt_count=number
            ).update(
                status=Status.PENDING,
                claimed_at=None,
                next_attempt_at=now,
                enqueued_at=None,
                last_error=WORKER_LOST,
                updated_at=now,
            )
            if taken:
                DeliveryAttempt.objects.create(
                    delivery_id=pk,
                    number=number,
                    outcome=DeliveryAttempt.Outcome.WORKER_LOST,
                    started_at=claimed_at or now,  # never None: the filter compared it
                    error=WORKER_LOST_ATTEMPT,
                )
                recovered += 1
    return recovered


def delivery_sweep(*, batch_size: int = 2000, publish_limit: int | None = None) -> dict[str, int]:
    """Expand events left unexpanded, recover deliveries stuck in SENDING and publish due
    ones that have no message.

    Unexpanded: events recorded more than WEBHOOK_EXPAND_AFTER_SECONDS ago whose expansion
    task never ran (the broker refused it, or it was lost); up to `batch_size` of them,
    their deliveries published as the worker's task would.

    Due: PENDING rows whose next_attempt_at has come and that have no recent message: a
    retry, a publish the broker refused (enqueued_at cleared: published by the next sweep
    after the broker is back), or a message lost with a broker or a killed worker (published
    again after WEBHOOK_REQUEUE_AFTER_SECONDS). At most `publish_limit` of them: the caller
    passes the room left in the broker queue, so that a backlog is not multiplied by
    republishing rows whose message is merely waiting in it. Returns counts.
    """
    now = timezone.now()
    expand_before = now - timedelta(seconds=int(settings.WEBHOOK_EXPAND_AFTER_SECONDS))
    expanded = events_expand(created_before=expand_before, limit=batch_size)
    recovered = _stuck_recover(now, batch_size)
    if publish_limit is None:
        publish_limit = batch_size
    requeue_before = now - timedelta(seconds=int(settings.WEBHOOK_REQUEUE_AFTER_SECONDS))
    with transaction.atomic():
        relaxed_commit()
        # SKIP LOCKED lets two sweepers share the work; the claim in deliveries_send is what
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
            deliveries_publish_on_commit(due)
    if expanded or recovered or due:
        logger.info(
            "webhook sweep: %d events expanded, %d recovered, %d published",
            expanded,
            recovered,
            len(due),
        )
    return {"expanded": expanded, "recovered": recovered, "published": len(due)}
