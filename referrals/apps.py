"""Referrals: campaigns, rewards, memberships, partner programs and payouts."""

from __future__ import annotations

from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"

    def ready(self) -> None:
        from referrals import receivers  # noqa: F401  (connects the receivers)
