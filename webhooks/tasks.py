"""Celery entry points of webhook delivery (thin: the work is in webhooks.services).

The services publish the send task by its name (`webhooks.services.publish.SEND_TASK`), so
that they need not import this module.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app, shared_task
from django.conf import settings
from django.utils import timezone
from kombu.exceptions import ChannelError

from webhooks.metrics import attempts_count
from webhooks.services import deliveries_send, delivery_send, delivery_sweep, publish_resume
from webhooks.services.expand import EXPAND_BATCH, events_expand
from webhooks.services.publish import EXPAND_TASK, SEND_TASK, expansion_waiting_clear

logger = logging.getLogger(__name__)


# acks_late + reject_on_worker_lost (global settings): a killed worker's message comes back,
# and the claim in deliveries_send makes running it twice the same as once.
@shared_task(name=SEND_TASK, queue=settings.WEBHOOK_QUEUE, ignore_result=True)
def webhook_deliveries_send_task(delivery_ids: list[int]) -> None:
    """Send a batch (up to WEBHOOK_BATCH_SIZE deliveries, published together on commit)."""
    attempts_count(deliveries_send(delivery_ids=delivery_ids).values())


# One delivery per message: what was published before batches (messages still queued at an
# upgrade); the same claim and recording as a batch of one.
@shared_task(queue=settings.WEBHOOK_QUEUE, ignore_result=True)
def webhook_delivery_send_task(delivery_id: int) -> None:
    outcome = delivery_send(delivery_id=delivery_id)
    attempts_count([outcome] if outcome else [])


# Published when a transaction that recorded events commits (one for all of them).
@shared_task(name=EXPAND_TASK, ignore_result=True)
def webhook_event_expand(event_ids: list[int]) -> None:
    """Make the deliveries of these events (those not expanded yet) and publish their sends;
    where expansions coalesce, of every event recorded lately and not expanded yet, theirs
    included (webhooks.services.publish)."""
    if not expansion_waiting_clear():
        while events_expand(event_ids=event_ids) == EXPAND_BATCH:
            pass
        return
    # Those recorded lately: an older one is the sweeper's (older than
    # WEBHOOK_EXPAND_AFTER_SECONDS), and the partial index's range stays short however
    # many expanded rows wait for a vacuum.
    since = timezone.now() - timedelta(seconds=2 * int(settings.WEBHOOK_EXPAND_AFTER_SECONDS))
    while events_expand(created_after=since) == EXPAND_BATCH:
        pass


def webhook_queue_depth() -> int | None:
    """Messages waiting in the delivery queue (any kombu broker), or None if unknown."""
    try:
        with current_app.connection_for_write() as conn:
            try:
                # kombu types the channel as StdChannel, which lacks the queue_declare
                # that every transport's channel has.
                declared = conn.default_channel.queue_declare(  # type: ignore[attr-defined]
                    queue=settings.WEBHOOK_QUEUE, passive=True
                )
            except ChannelError:  # no such queue yet (Redis: an empty list does not exist)
                return 0
            return int(declared.message_count)
    except Exception:  # a broker that can't tell: sweep as if the queue were empty
        logger.warning("webhook sweep: the delivery queue's depth is unknown", exc_info=True)
        return None


@shared_task(ignore_result=True)
def webhook_delivery_sweep_task() -> None:
    # This message came through the broker: it is up, whatever this process saw before.
    publish_resume()
    depth = webhook_queue_depth() or 0
    room = int(settings.WEBHOOK_SWEEP_MAX_QUEUE_DEPTH) - depth
    delivery_sweep(publish_limit=room)
