"""Celery entry points of the OAuth app."""

from __future__ import annotations

from celery import shared_task
from oauth2_provider.models import clear_expired


@shared_task(acks_late=True, reject_on_worker_lost=True)
def oauth_tokens_clear_expired_task() -> None:
    """Delete expired access tokens and authorization codes, and refresh tokens past their life.

    Idempotent (a second run finds nothing left); scheduled hourly by beat (settings).
    """
    clear_expired()
