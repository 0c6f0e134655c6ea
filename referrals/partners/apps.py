"""The partners app: wires its receivers and registers its Celery tasks."""

from __future__ import annotations

from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "referrals.partners"
    label = "partners"
    verbose_name = "Partners"

    def ready(self) -> None:
        # Connect the receivers (team_created; subscriber changes) and load the tasks.
        from referrals.partners import receivers  # noqa: F401
        from referrals.partners.catalog import tasks as catalog_tasks  # noqa: F401
        from referrals.partners.earnings import receivers as earnings_receivers  # noqa: F401
        from referrals.partners.earnings import tasks as earnings_tasks  # noqa: F401
        from referrals.partners.offers import receivers as offers_receivers  # noqa: F401
        from referrals.partners.offers import tasks as offers_tasks  # noqa: F401
        from referrals.partners.upscribe import receivers as upscribe_receivers  # noqa: F401
        from referrals.partners.upscribe import tasks as upscribe_tasks  # noqa: F401
