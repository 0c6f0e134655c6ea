"""Resending deliveries: the same event (same webhook-id) again, with a fresh retry schedule."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from sparkloop.exceptions import InvalidState
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services.endpoints import WEBHOOK_DISABLED
from webhooks.services.publish import deliveries_publish_on_commit

DELIVERY_SENDING = "Delivery {id} is being sent; try again in a moment"


@transaction.atomic
def delivery_resend(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now (same webhook-id), with a fresh retry schedule.

    Raises InvalidState while it is being sent, or when its endpoint is disabled.
    """
    endpoint = WebhookEndpoint.objects.only("public_id", "is_enabled").get(pk=delivery.endpoint_id)
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
    deliveries_publish_on_commit([delivery.pk])
    delivery.refresh_from_db()
    return delivery
