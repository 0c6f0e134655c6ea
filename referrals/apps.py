"""Referrals: campaigns, rewards, memberships, screening and referral attribution."""

from __future__ import annotations

from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"

    def ready(self) -> None:
        from referrals import (
            receivers,  # noqa: F401  (connects the receivers)
            receivers_batch,  # noqa: F401  (and those of batch writes)
        )
        from referrals.serializers import referral_programs
        from subscribers.expansions import expansion_register

        # `expand=campaigns` on the subscriber endpoints: each subscriber's campaigns.
        expansion_register(name="campaigns", key="referral_programs", render=referral_programs)
