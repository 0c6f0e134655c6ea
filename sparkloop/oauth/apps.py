"""The OAuth app (label `oauth`): swapped django-oauth-toolkit models that carry a team."""

from __future__ import annotations

from django.apps import AppConfig


class OAuthConfig(AppConfig):
    name = "sparkloop.oauth"
    label = "oauth"
    verbose_name = "OAuth 2.0 apps"
