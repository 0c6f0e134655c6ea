"""The webhooks app's Prometheus figures (served by `sparkloop.metrics` at /metrics).

Deliveries by outcome are counted by the worker as each attempt ends; the outbox backlog is
read when scraped, from the sweeper's two partial indexes (deliveries pending and sending),
so a scrape costs two index scans however many deliveries were ever made.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from django.db.models import Min
from django.utils import timezone
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from sparkloop.metrics import register_scrape_collector
from webhooks.models import WebhookDelivery

logger = logging.getLogger(__name__)

DELIVERY_ATTEMPTS = Counter(
    "sparkloop_webhook_delivery_attempts",
    "Webhook delivery attempts made, by outcome (success, http_error, timeout, ...).",
    ["outcome"],
)


def attempts_count(outcomes: Iterable[str]) -> None:
    for outcome in outcomes:
        DELIVERY_ATTEMPTS.labels(outcome).inc()


class BacklogCollector(Collector):
    """Deliveries waiting (pending, sending) and the age of the oldest due one."""

    def collect(self) -> Iterator[Metric]:
        backlog = GaugeMetricFamily(
            "sparkloop_webhook_backlog",
            "Webhook deliveries not finished yet, by status.",
            labels=["status"],
        )
        oldest = GaugeMetricFamily(
            "sparkloop_webhook_oldest_due_seconds",
            "How long the longest-waiting due pending delivery has been due (0: none).",
        )
        try:
            now = timezone.now()
            pending = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING)
            sending = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.SENDING)
            due = pending.filter(next_attempt_at__lte=now).aggregate(Min("next_attempt_at"))
        except Exception:  # a scrape must answer even when the database does not
            logger.warning("metrics: the webhook backlog could not be read", exc_info=True)
            return
        backlog.add_metric(["pending"], pending.count())
        backlog.add_metric(["sending"], sending.count())
        first_due = due["next_attempt_at__min"]
        oldest.add_metric([], (now - first_due).total_seconds() if first_due else 0.0)
        yield backlog
        yield oldest


def register() -> None:
    register_scrape_collector(BacklogCollector())
