"""Partner earnings: every read that serves a request.

The cross-subpackage interface (used by catalog and upscribe) is declared here with typed
stubs; the earnings owner fills in the bodies. Each takes many ids and answers in a fixed
number of queries, so that a list page never makes one query per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from referrals.partners.models import PartnerProfile


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
    raise NotImplementedError


def campaign_budget_use(campaign_ids: list[int], *, month: date) -> dict[int, BudgetUse]:
    """Each partner campaign's use of its program's per-partner monthly cap (`max_payout`)
    in `month`; as program_budget_use. Serves `remaining_budget` of a partner campaign and
    the upscribe's over-the-cap rule."""
    raise NotImplementedError


def program_confirmation_rates(program_ids: list[int]) -> dict[int, float | None]:
    """Each program's confirmation rate over its own referrals settled in the last 90 days:
    confirmed / (confirmed + rejected), 0.0-1.0; None below 20 settled referrals (the wire
    shows `not_enough_data` / null). Serves `expected_referral_confirmation_rate`,
    `screening_strictness`, `expected_earning_per_referral` and the upscribe's ordering."""
    raise NotImplementedError


def partner_earnings(profile: PartnerProfile) -> PartnerEarnings:
    """The `earnings` object of `GET /v2/partner_profile`."""
    raise NotImplementedError
