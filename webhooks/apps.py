"""Webhooks: endpoints, the outbox of events, deliveries and their Celery tasks."""

from __future__ import annotations

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        from sparkloop.encryption import crypter
        from webhooks import metrics

        metrics.register()  # the outbox backlog at /metrics

        # Fail at startup (web, worker, beat, manage.py) rather than at the first secret
        # read: a malformed FIELD_ENCRYPTION_KEY, or none and a weak SECRET_KEY, DEBUG off.
        crypter()
