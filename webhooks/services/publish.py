"""Publishing send tasks to the broker once the rows that need them are committed.

A publish that fails (the broker is down) is not the caller's problem: the rows are
committed, their `enqueued_at` is cleared, and the next sweep (every few seconds, once the
broker is back) publishes them. After a failure this process does not try the broker again
for PUBLISH_PAUSE, so that an outage does not add the broker's connection timeout to every
write that records an event.

Tasks are published by name (`SEND_TASK`), so that this module does not import
`webhooks.tasks`, which imports the services.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from celery import current_app
from django.conf import settings
from django.db import transaction

from webhooks.models import WebhookDelivery

logger = logging.getLogger(__name__)

SEND_TASK = "webhooks.tasks.webhook_deliveries_send_task"
PUBLISH_PAUSE = 10.0  # seconds without publishing after a failure (the sweeper catches up)

_paused_until = 0.0
_pause_lock = threading.Lock()


def _paused() -> bool:
    return time.monotonic() < _paused_until


def _pause() -> None:
    global _paused_until
    with _pause_lock:
        _paused_until = time.monotonic() + PUBLISH_PAUSE


def publish_resume() -> None:
    """Forget a failure: publish at once again (the broker is known to be back)."""
    global _paused_until
    with _pause_lock:
        _paused_until = 0.0


def _leave_to_sweeper(delivery_ids: list[int]) -> None:
    try:
        WebhookDelivery.objects.filter(
            pk__in=delivery_ids, status=WebhookDelivery.Status.PENDING
        ).update(enqueued_at=None)
    except Exception:  # the database too: the sweeper finds them after WEBHOOK_REQUEUE_AFTER
        logger.exception("webhooks: could not mark %d deliveries unpublished", len(delivery_ids))


def deliveries_publish(delivery_ids: list[int]) -> bool:
    """Publish send tasks for these deliveries now: one message per WEBHOOK_BATCH_SIZE of
    them (a batch is claimed and sent together). Returns False when the broker refused
    (what was not published is left to the sweeper); never raises for a broker error."""
    size = int(settings.WEBHOOK_BATCH_SIZE)
    for start in range(0, len(delivery_ids), size):
        if _paused():
            _leave_to_sweeper(delivery_ids[start:])
            return False
        try:
            current_app.send_task(
                SEND_TASK, args=[delivery_ids[start : start + size]], queue=settings.WEBHOOK_QUEUE
            )
        except Exception:  # kombu's OperationalError, a timeout, a refused connection...
            logger.warning(
                "webhooks: the broker refused a send task; %d deliveries left to the sweeper",
                len(delivery_ids) - start,
                exc_info=True,
            )
            _pause()
            _leave_to_sweeper(delivery_ids[start:])
            return False
    return True


def deliveries_publish_on_commit(delivery_ids: Iterable[int]) -> None:
    """Publish send tasks for these deliveries when the current transaction commits (never
    if it rolls back). A broker outage never turns the committed change into an error."""
    ids = list(delivery_ids)
    if not ids:
        return

    # A plain function (Django's robust on_commit logs the callback's __qualname__).
    def publish() -> None:
        deliveries_publish(ids)

    transaction.on_commit(publish, robust=True)
