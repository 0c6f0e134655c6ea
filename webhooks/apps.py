"""Webhooks: endpoints, the outbox of events, deliveries and their Celery tasks."""

from __future__ import annotations

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
