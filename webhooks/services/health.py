"""An endpoint's health: its run of failures, its last success, and disabling when failing."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q

from webhooks.models import WebhookEndpoint
from webhooks.services.endpoints import endpoint_disable

ENDPOINT_GONE = "The receiver answered 410 Gone"
ENDPOINT_FAILING = "Every delivery failed for {days} days"
# A healthy endpoint's last_success_at is refreshed at most this often: a busy endpoint is
# not one hot row written per delivery.
SUCCESS_REFRESH = timedelta(seconds=60)


def endpoint_succeeded(
    endpoint_id: int,
    *,
    failing_since: datetime | None,
    last_success_at: datetime | None,
    now: datetime,
) -> None:
    """Record a success: the run of failures ends. `failing_since` and `last_success_at` are
    the endpoint's as loaded with the claim; when they show nothing to change, no write."""
    recent = now - SUCCESS_REFRESH
    if failing_since is None and last_success_at and last_success_at > recent:
        return
    # Conditional, for the case where another worker has just recorded a failure.
    WebhookEndpoint.objects.filter(pk=endpoint_id).filter(
        Q(failing_since__isnull=False)
        | Q(last_success_at__isnull=True)
        | Q(last_success_at__lt=recent)
    ).update(failing_since=None, consecutive_failures=0, last_success_at=now)


def endpoint_failed(endpoint_id: int, now: datetime) -> None:
    """Record a failure; an endpoint failing for WEBHOOK_DISABLE_AFTER_DAYS is disabled
    (and its team told, see `endpoint_disable`). Runs in the caller's transaction."""
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
