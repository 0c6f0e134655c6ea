"""Celery entry points of webhook delivery (thin: the work is in webhooks.services)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from webhooks import services


# acks_late + reject_on_worker_lost (global settings): a killed worker's message comes back,
# and the claim in delivery_send makes running it twice the same as once.
@shared_task(queue=settings.WEBHOOK_QUEUE, ignore_result=True)
def webhook_delivery_send_task(delivery_id: int) -> None:
    services.delivery_send(delivery_id=delivery_id)


@shared_task(ignore_result=True)
def webhook_delivery_sweep_task() -> None:
    services.delivery_sweep()
