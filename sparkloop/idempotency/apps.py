"""Idempotency keys of the API (a plumbing app: it sees requests, not any app's models)."""

from __future__ import annotations

from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    name = "sparkloop.idempotency"
    label = "idempotency"
    verbose_name = "Idempotency keys"
