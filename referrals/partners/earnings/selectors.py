"""Partner earnings: every read that serves a request.

The cross-subpackage interface (used by catalog and upscribe) is declared here with typed
stubs; the earnings owner fills in the bodies. Each takes many ids and answers in a fixed
number of queries, so that a list page never makes one query per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from referrals.partners.models import (
    CampaignBudgetMonth,
    EarningsEntry,
    PartnerProfile,
    PartnerReferral,
    Payout,
    ProgramBudgetMonth,
)

CONFIRMATION_WINDOW = timedelta(days=90)
CONFIRMATION_MIN_SETTLED = 20
# Rejections at the door are no outcome of the screening period: they do not count in the
# confirmation rate (what a partner can expect of a referral that got in).
AT_ONCE_REASONS = (
    PartnerReferral.RejectionReason.ALREADY_SUBSCRIBED,
    PartnerReferral.RejectionReason.COUNTRY_NOT_ALLOWED,
    PartnerReferral.RejectionReason.BUDGET_EXHAUSTED,
)


@dataclass(frozen=True)
class BudgetUse:
    """A program's (or a partner campaign's) spend in one month, in cents."""

    used_cents: int  # confirmed referrals' CPA
    reserved_cents: int  # pending payable referrals' CPA

    @property
    def total_cents(self) -> int:
        return self.used_cents + self.reserved_cents


@dataclass(frozen=True)
class PartnerEarnings:
    """A partner profile's earnings in cents: `pending` (pending payable referrals),
    `confirmed` (earned and not yet paid out: the ledger's balance) and `paid`."""

    pending: int
    confirmed: int
    paid: int


def month_of(day: date) -> date:
    """The first day of `day`'s month: the key of a month's budget."""
    return day.replace(day=1)


def program_budget_use(program_ids: list[int], *, month: date) -> dict[int, BudgetUse]:
    """Each program's budget use in `month` (its first day): confirmed plus reserved by
    pending payable referrals. Programs without any use answer BudgetUse(0, 0). Serves
    `budget_used_this_month` and `remaining_budget_dollars` (total budget less total use)
    of the program and partner campaign objects, and the upscribe's out-of-budget rule."""
    rows = ProgramBudgetMonth.objects.filter(program_id__in=program_ids, month=month)
    found = {r.program_id: BudgetUse(r.used_cents, r.reserved_cents) for r in rows}
    return {pk: found.get(pk, BudgetUse(0, 0)) for pk in program_ids}


def campaign_budget_use(campaign_ids: list[int], *, month: date) -> dict[int, BudgetUse]:
    """Each partner campaign's use of its program's per-partner monthly cap (`max_payout`)
    in `month`; as program_budget_use. Serves `remaining_budget` of a partner campaign and
    the upscribe's over-the-cap rule."""
    rows = CampaignBudgetMonth.objects.filter(campaign_id__in=campaign_ids, month=month)
    found = {r.campaign_id: BudgetUse(r.used_cents, r.reserved_cents) for r in rows}
    return {pk: found.get(pk, BudgetUse(0, 0)) for pk in campaign_ids}


def program_confirmation_rates(program_ids: list[int]) -> dict[int, float | None]:
    """Each program's confirmation rate over its own referrals settled in the last 90 days:
    confirmed / (confirmed + rejected), 0.0-1.0; None below 20 settled referrals (the wire
    shows `not_enough_data` / null). Serves `expected_referral_confirmation_rate`,
    `screening_strictness`, `expected_earning_per_referral` and the upscribe's ordering.
    Rejections at the door (already subscribed, country, budget) are not counted."""
    since = timezone.now() - CONFIRMATION_WINDOW
    rows = (
        PartnerReferral.objects.filter(
            program_id__in=program_ids,
            status__in=[PartnerReferral.Status.CONFIRMED, PartnerReferral.Status.REJECTED],
            settled_at__gte=since,
        )
        .exclude(rejection_reason__in=AT_ONCE_REASONS)
        .values("program_id")
        .annotate(
            settled=Count("id"),
            confirmed=Count("id", filter=Q(status=PartnerReferral.Status.CONFIRMED)),
        )
    )
    rates: dict[int, float | None] = dict.fromkeys(program_ids)
    for row in rows:
        if row["settled"] >= CONFIRMATION_MIN_SETTLED:
            rates[row["program_id"]] = row["confirmed"] / row["settled"]
    return rates


def partner_earnings(profile: PartnerProfile) -> PartnerEarnings:
    """The `earnings` object of `GET /v2/partner_profile`: pending payable referrals' CPA,
    the ledger's balance (confirmed, not paid out) and the paid payouts, in cents."""
    pending = PartnerReferral.objects.filter(
        partner_profile=profile, status=PartnerReferral.Status.PENDING, payable=True
    ).aggregate(total=Sum("cpa_cents"))["total"]
    balance = EarningsEntry.objects.filter(partner_profile=profile).aggregate(
        total=Sum("amount_cents")
    )["total"]
    paid = Payout.objects.filter(partner_profile=profile, status=Payout.Status.PAID).aggregate(
        total=Sum("amount_cents")
    )["total"]
    return PartnerEarnings(pending=pending or 0, confirmed=balance or 0, paid=paid or 0)


def partner_balance_cents(profile_id: int, *, before: date | None = None) -> int:
    """The ledger's balance of a partner (its lines created before `before`, if given)."""
    entries = EarningsEntry.objects.filter(partner_profile_id=profile_id)
    if before is not None:
        entries = entries.filter(created_at__date__lt=before)
    return int(entries.aggregate(total=Sum("amount_cents"))["total"] or 0)


def payout_list(*, profile: PartnerProfile) -> QuerySet[Payout]:
    """A partner's payouts, newest first."""
    return Payout.objects.filter(partner_profile=profile).order_by("-created_at", "-id")
