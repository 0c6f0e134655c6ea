"""The earnings selectors the catalogue and upscribe read: budget use, confirmation rates,
a partner's earnings."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from referrals.partners.earnings.selectors import (
    BudgetUse,
    campaign_budget_use,
    month_of,
    partner_earnings,
    program_budget_use,
    program_confirmation_rates,
)
from referrals.partners.models import (
    CampaignBudgetMonth,
    EarningsEntry,
    PartnerReferral,
    Payout,
    ProgramBudgetMonth,
)
from tests.partners.factories import (
    PartnerCampaignFactory,
    PartnerProgramFactory,
    PartnerReferralFactory,
)

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)


def test_month_of_is_the_first_day() -> None:
    assert month_of(date(2026, 3, 17)) == MARCH


def test_budget_use_answers_every_program_asked_for() -> None:
    used, unused = PartnerProgramFactory.create(), PartnerProgramFactory.create()
    ProgramBudgetMonth.objects.create(program=used, month=MARCH, used_cents=500, reserved_cents=250)
    ProgramBudgetMonth.objects.create(program=used, month=date(2026, 2, 1), used_cents=9)
    use = program_budget_use([used.pk, unused.pk], month=MARCH)
    assert use == {used.pk: BudgetUse(500, 250), unused.pk: BudgetUse(0, 0)}
    assert use[used.pk].total_cents == 750


def test_campaign_budget_use_is_per_campaign_and_month() -> None:
    campaign = PartnerCampaignFactory.create()
    CampaignBudgetMonth.objects.create(campaign=campaign, month=MARCH, reserved_cents=250)
    assert campaign_budget_use([campaign.pk], month=MARCH) == {campaign.pk: BudgetUse(0, 250)}
    assert campaign_budget_use([campaign.pk], month=date(2026, 4, 1)) == {
        campaign.pk: BudgetUse(0, 0)
    }


def _settled(campaign: object, n: int, status: str, reason: str | None = None) -> None:
    for _ in range(n):
        PartnerReferralFactory.create(
            campaign=campaign, status=status, rejection_reason=reason, settled_at=timezone.now()
        )


def test_confirmation_rate_needs_twenty_settled_referrals() -> None:
    campaign = PartnerCampaignFactory.create()
    _settled(campaign, 15, PartnerReferral.Status.CONFIRMED)
    _settled(campaign, 4, PartnerReferral.Status.REJECTED, "unsubscribed")
    # Rejections at the door are not outcomes of the screening: still 19.
    _settled(campaign, 5, PartnerReferral.Status.REJECTED, "budget_exhausted")
    PartnerReferralFactory.create(campaign=campaign)  # pending
    program = campaign.program
    assert program is not None
    assert program_confirmation_rates([program.pk]) == {program.pk: None}
    _settled(campaign, 1, PartnerReferral.Status.REJECTED, "rejected_by_publisher")
    assert program_confirmation_rates([program.pk]) == {program.pk: 15 / 20}


def test_confirmation_rate_forgets_what_settled_over_ninety_days_ago() -> None:
    campaign = PartnerCampaignFactory.create()
    _settled(campaign, 20, PartnerReferral.Status.CONFIRMED)
    PartnerReferral.objects.update(settled_at=timezone.now() - timedelta(days=91))
    program_id = campaign.program_id
    assert program_id is not None
    assert program_confirmation_rates([program_id]) == {program_id: None}


def test_partner_earnings_are_pending_balance_and_paid() -> None:
    campaign = PartnerCampaignFactory.create()
    profile = campaign.partner_profile
    PartnerReferralFactory.create(campaign=campaign, cpa_cents=250)  # pending, payable
    PartnerReferralFactory.create(campaign=campaign, cpa_cents=0, payable=False)
    earned = PartnerReferralFactory.create(campaign=campaign, status="confirmed")
    EarningsEntry.objects.create(
        partner_profile=profile, kind="earned", amount_cents=7000, referral=earned
    )
    payout = Payout.objects.create(
        partner_profile=profile,
        amount_cents=5000,
        period_start=MARCH,
        period_end=date(2026, 3, 31),
        status=Payout.Status.PAID,
    )
    EarningsEntry.objects.create(
        partner_profile=profile, kind="paid_out", amount_cents=-5000, payout=payout
    )
    earnings = partner_earnings(profile)
    assert (earnings.pending, earnings.confirmed, earnings.paid) == (250, 2000, 5000)
