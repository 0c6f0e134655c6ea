"""System checks of the deployment: `manage.py check --deploy` runs them (docs/security.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

DEV_SECRET_KEY_IN_USE = Error(
    "SECRET_KEY is the built-in development key.",
    hint="Set SECRET_KEY to a long random value, the same on every web machine.",
    id="sparkloop.E001",
)


@register(Tags.security, deploy=True)
def check_secret_key(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The built-in key signs nothing in production (Django's own check can't tell it apart)."""
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        return [DEV_SECRET_KEY_IN_USE]
    return []
