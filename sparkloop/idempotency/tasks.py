"""Celery entry points of idempotency keys."""

from __future__ import annotations

from celery import shared_task

from sparkloop.idempotency.services import idempotency_keys_expire


@shared_task(acks_late=True, reject_on_worker_lost=True)
def idempotency_keys_expire_task() -> int:
    """Beat job: delete the keys kept longer than IDEMPOTENCY_KEY_TTL_SECONDS."""
    return idempotency_keys_expire()
