"""The project package is also an app: it owns teams and API keys."""

from __future__ import annotations

from django.apps import AppConfig


class SparkloopConfig(AppConfig):
    name = "sparkloop"
    verbose_name = "Teams and API keys"

    def ready(self) -> None:
        from sparkloop import checks  # noqa: F401 (registers the deployment checks)
