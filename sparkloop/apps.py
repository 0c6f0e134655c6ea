"""The project package is also an app: it owns teams and API keys."""

from __future__ import annotations

from django.apps import AppConfig


class SparkloopConfig(AppConfig):
    name = "sparkloop"
    verbose_name = "Teams and API keys"

    def ready(self) -> None:
        # The deployment checks, and the Celery signal hooks of request ids and metrics (in
        # every process: web, worker and beat).
        from sparkloop import checks, metrics, requestid  # noqa: F401
