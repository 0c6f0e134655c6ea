"""Writes of referral campaigns."""

from __future__ import annotations

from sparkloop.models import Team


def team_setup_referrals(*, team: Team) -> None:
    """What every new team starts with in the referral program (its default campaign)."""
