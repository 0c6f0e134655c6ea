"""Imports and exports: CSV in through a Celery task, CSV or JSON Lines out as a stream."""

from __future__ import annotations

from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "subscribers.transfer"
    label = "transfer"
    verbose_name = "Imports and exports"
