"""Publishing tasks to the broker once the rows that need them are committed: the sends of
deliveries, and the expansion of new events into deliveries (`events_expand_on_commit`).

A publish that fails (the broker is down) is not the caller's problem: the rows are
committed, their `enqueued_at` is cleared, and the next sweep (every few seconds, once the
broker is back) publishes them. After a failure this process does not try the broker again
for PUBLISH_PAUSE, so that an outage does not add the broker's connection timeout to every
write that records an event.

Expansions coalesce where the cache is Redis (shared by the web processes and the workers):
a transaction's commit publishes an expansion task only if none is waiting already
(`EXPAND_WAITING_KEY`, set with the publish); the task clears it before it reads, then
expands every event recorded lately (in the last 2 x WEBHOOK_EXPAND_AFTER_SECONDS), so
that an event committed while a task waited is the waiting task's (its commit saw the key
before the task cleared it, hence came before the task's read), and one committed after the
clearing publishes a task of its own; an event recorded earlier than that (a long
transaction's) is older than WEBHOOK_EXPAND_AFTER_SECONDS, the sweeper's. The task runs
EXPAND_GATHER_SECONDS after its publish, so that the commits of that moment share it. Under
load most commits publish nothing (a broker round trip and ~0.5 ms of CPU less on every
write that records events) and a worker runs a few expansions a second whatever the write
rate (one per commit took as much CPU as the writes themselves: bench/README.md). Should a
waiting task be lost, the key expires after EXPAND_WAITING_SECONDS and the sweeper expands
its events after WEBHOOK_EXPAND_AFTER_SECONDS. With another cache (the embedded default's
file cache, whose add is not atomic across processes; a local-memory one), every commit
publishes the expansion of its own events.

Tasks are published by name (`SEND_TASK`, `EXPAND_TASK`), so that this module does not import
`webhooks.tasks`, which imports the services.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from celery import current_app
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

from webhooks.models import WebhookDelivery

logger = logging.getLogger(__name__)

SEND_TASK = "webhooks.tasks.webhook_deliveries_send_task"
EXPAND_TASK = "webhooks.tasks.webhook_event_expand"
PUBLISH_PAUSE = 10.0  # seconds without publishing after a failure (the sweeper catches up)
EXPAND_WAITING_KEY = "webhooks:expand:waiting"
EXPAND_WAITING_SECONDS = 10  # a lost task's key lets publishes through again after this
EXPAND_GATHER_SECONDS = 0.25  # a coalescing task runs this long after its publish

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


def expansions_coalesce() -> bool:
    """Whether expansion tasks coalesce: the cache is Redis, shared by every process."""
    return isinstance(caches["default"], RedisCache)


def expansion_waiting_clear() -> bool:
    """For the expansion task, before it reads: forget that it is waiting, so that events
    committed from now on publish a task of their own. True when expansions coalesce (the
    task must then expand every event recorded lately, not only its own)."""
    if not expansions_coalesce():
        return False
    try:
        cache.delete(EXPAND_WAITING_KEY)
    except Exception:  # the key expires by itself; this task expands what is there now
        logger.warning("webhooks: could not clear the waiting expansion", exc_info=True)
    return True


def _expansion_claim() -> bool:
    """Whether to publish an expansion now: no other is waiting (and now this one is)."""
    try:
        return bool(cache.add(EXPAND_WAITING_KEY, 1, timeout=EXPAND_WAITING_SECONDS))
    except Exception:  # the cache is down: publish, as if expansions did not coalesce
        logger.warning("webhooks: the cache refused; publishing the expansion", exc_info=True)
        return True


def events_expand_publish(event_ids: list[int]) -> bool:
    """Publish one expansion task for these events now (the worker turns them into
    deliveries), unless one that will take them too is waiting (expansions coalesce: see
    the module's docstring). Returns False when the broker refused or publishing is
    paused; never raises for a broker error: the events stay unexpanded and the sweeper
    expands them after WEBHOOK_EXPAND_AFTER_SECONDS."""
    if not event_ids or _paused():
        return False
    coalescing = expansions_coalesce()
    if coalescing and not _expansion_claim():
        return True
    try:
        current_app.send_task(
            EXPAND_TASK,
            args=[event_ids],
            queue=settings.WEBHOOK_EXPAND_QUEUE,
            # Run a moment later, so that the commits of that moment share the task.
            countdown=EXPAND_GATHER_SECONDS if coalescing else None,
        )
    except Exception:  # kombu's OperationalError, a timeout, a refused connection...
        logger.warning(
            "webhooks: the broker refused an expansion task; %d events left to the sweeper",
            len(event_ids),
            exc_info=True,
        )
        _pause()
        if coalescing:  # none is waiting after all
            expansion_waiting_clear()
        return False
    return True


class _ExpandOnCommit:
    """The on-commit callback of a transaction's events: one task for all of them."""

    def __init__(self) -> None:
        self.event_ids: list[int] = []
        # Django's robust on_commit logs the callback's __qualname__.
        self.__qualname__ = "events_expand_publish"

    def __call__(self) -> None:
        events_expand_publish(self.event_ids)


def events_expand_on_commit(event_ids: Iterable[int]) -> None:
    """Publish the expansion of these events when the current transaction commits (never if
    it rolls back), in one message with the transaction's other events.

    The callback already registered in this transaction is reused. An id appended to it
    from a savepoint that later rolls back names no row when the task runs (ignored); a
    callback dropped with a rolled-back savepoint only held ids of that savepoint, since
    it is still open when they are appended.
    """
    conn = transaction.get_connection()
    if conn.in_atomic_block:
        for _, func, _ in reversed(conn.run_on_commit):
            if isinstance(func, _ExpandOnCommit):
                func.event_ids.extend(event_ids)
                return
    callback = _ExpandOnCommit()
    callback.event_ids.extend(event_ids)
    transaction.on_commit(callback, robust=True)
