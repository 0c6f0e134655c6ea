"""Partner earnings: Celery tasks (thin: each calls a service; safe to run twice)."""

from __future__ import annotations

from celery import shared_task

from referrals.partners.earnings import services
from referrals.partners.earnings.rates import program_rates_refresh


@shared_task(ignore_result=True)
def partner_referrals_settle_task() -> int:
    """Hourly: settle the partner referrals whose pending period is over, then refresh the
    programs' 90-day confirmation rates (what the upscribe ranking reads)."""
    settled = services.partner_referrals_settle()
    program_rates_refresh()
    return settled


@shared_task(ignore_result=True)
def payouts_create_task() -> int:
    """On the 15th: make the month's payouts (one per partner and period)."""
    return len(services.payouts_create())
