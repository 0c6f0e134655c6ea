"""Celery entry points of referral campaigns (thin: the work is in referrals.services)."""

from __future__ import annotations

from celery import shared_task

from referrals import services


@shared_task(ignore_result=True)
def referral_holding_sweep_task() -> int:
    """Verify (or reject) the holding-period referrals that are due; safe to run twice."""
    return services.referral_holding_sweep()
