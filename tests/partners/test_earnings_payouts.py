"""Payouts: the monthly job (minimum, fee, once per period), staff's paid and failed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.utils import timezone

from referrals.partners.earnings.selectors import partner_earnings
from referrals.partners.earnings.services import (
    payout_mark_failed,
    payout_mark_paid,
    payouts_create,
)
from referrals.partners.earnings.tasks import payouts_create_task
from referrals.partners.models import EarningsEntry, PartnerProfile, Payout
from sparkloop.exceptions import InvalidState, ServiceError
from tests.partners.factories import PartnerCampaignFactory, PartnerReferralFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db

MARCH_15 = date(2026, 3, 15)


def _earned(profile: PartnerProfile, cents: int, on: datetime) -> None:
    campaign = PartnerCampaignFactory.create(team=profile.team)
    referral = PartnerReferralFactory.create(campaign=campaign, status="confirmed")
    entry = EarningsEntry.objects.create(
        partner_profile=profile, kind="earned", amount_cents=cents, referral=referral
    )
    EarningsEntry.objects.filter(pk=entry.pk).update(created_at=on)


def _profile() -> PartnerProfile:
    return PartnerCampaignFactory.create().partner_profile


def _at(day: int, month: int = 2) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


def test_it_pays_a_balance_of_previous_months_that_reaches_the_minimum() -> None:
    rich, poor = _profile(), _profile()
    _earned(rich, 3000, _at(3, 1))
    _earned(rich, 2500, _at(20))
    _earned(rich, 9900, _at(2, 3))  # this month's: next time
    _earned(poor, 4999, _at(20))
    [payout] = payouts_create(today=MARCH_15)
    assert payout.partner_profile == rich
    assert (payout.amount_cents, payout.status, payout.referrals_count) == (5500, "pending", 2)
    assert (payout.period_start, payout.period_end) == (date(2026, 1, 1), date(2026, 2, 28))
    line = EarningsEntry.objects.get(payout=payout)
    assert (line.kind, line.amount_cents) == ("paid_out", -5500)
    assert partner_earnings(rich).confirmed == 9900
    event = Event.objects.get(type="payout_created")
    assert event.team_id == rich.team_id
    assert event.payload["payout"]["amount"] == 5500


def test_the_platform_fee_is_kept_from_the_payout(settings: Any) -> None:
    settings.PARTNER_PLATFORM_FEE_PERCENT = 10
    settings.PARTNER_PAYOUT_MINIMUM_DOLLARS = 20
    profile = _profile()
    _earned(profile, 3000, _at(20))
    [payout] = payouts_create(today=MARCH_15)
    assert payout.amount_cents == 2700
    assert EarningsEntry.objects.get(payout=payout).amount_cents == -3000
    assert partner_earnings(profile).confirmed == 0


def test_running_the_job_twice_makes_one_payout_per_period() -> None:
    profile = _profile()
    _earned(profile, 6000, _at(20))
    assert len(payouts_create(today=MARCH_15)) == 1
    assert payouts_create(today=MARCH_15) == []
    assert Payout.objects.count() == 1
    assert partner_earnings(profile).confirmed == 0


def test_the_task_makes_the_payouts_of_today(settings: Any) -> None:
    profile = _profile()
    _earned(profile, 6000, timezone.now().replace(year=timezone.now().year - 1))
    assert payouts_create_task() == 1
    assert payouts_create_task() == 0


def test_staff_mark_a_payout_paid_with_the_transfer_reference() -> None:
    profile = _profile()
    _earned(profile, 6000, _at(20))
    [payout] = payouts_create(today=MARCH_15)
    with pytest.raises(ServiceError, match="Reference can't be blank"):
        payout_mark_paid(payout=payout, reference="  ")
    paid = payout_mark_paid(payout=payout, reference="tr_123")
    assert (paid.status, paid.reference) == ("paid", "tr_123")
    assert paid.paid_at is not None
    assert partner_earnings(profile).paid == 6000
    with pytest.raises(InvalidState, match=f"Payout {payout.public_id} is not pending"):
        payout_mark_failed(payout=payout)


def test_a_failed_payout_returns_the_earnings_to_the_balance_for_next_month() -> None:
    profile = _profile()
    _earned(profile, 6000, _at(20))
    [payout] = payouts_create(today=MARCH_15)
    failed = payout_mark_failed(payout=payout)
    assert failed.status == "failed"
    assert partner_earnings(profile).confirmed == 6000
    with pytest.raises(InvalidState):
        payout_mark_paid(payout=payout, reference="x")
    [again] = payouts_create(today=date(2026, 4, 15))
    assert again.amount_cents == 6000
    assert again.period_start == date(2026, 3, 1)
