"""Partner earnings: every write, one transaction each (keyword-only, typed).

The cross-subpackage interface (used by upscribe's subscribe and hosted pages, and by the
admin) is declared here with typed stubs; the earnings owner fills in the bodies.
"""

from __future__ import annotations

from datetime import date, datetime

from referrals.partners.models import PartnerCampaign, PartnerReferral, Payout
from subscribers.models import Subscriber

SUBSCRIBER_ORIGIN = "partner_network"
"""The `origin` of a subscriber that a partner referral creates in the recommended team."""


def partner_referral_create(
    *,
    campaign: PartnerCampaign,
    email: str,
    name: str | None = None,
    country_code: str | None = None,
    region_code: str | None = None,
    subscriber: Subscriber | None = None,
    origin: str = PartnerReferral.Origin.UPSCRIBE,
    utm_source: str | None = None,
    utm_campaign: str | None = None,
    ip_address: str | None = None,
) -> PartnerReferral:
    """Record that `campaign` (an active partner campaign) sent `email` to the recommended
    publication's team, in one transaction.

    - The person becomes a subscriber of the recommended team through the subscribers app's
      public `subscriber_create` (origin `partner_network`, status `pending`,
      `referral_status` `pending`, `cpa` the program's CPA), unless `subscriber` (already
      that team's) is given.
    - Rejected at once, not payable, when the email is already a subscriber of the
      recommended team (`already_subscribed`), the program does not accept `country_code` /
      `region_code` (`country_not_allowed`, via catalog.selectors.program_accepts_location)
      or this month's program budget or the partner's monthly cap cannot hold the CPA
      (`budget_exhausted`; reserved with a conditional UPDATE of ProgramBudgetMonth and
      CampaignBudgetMonth, so budgets hold under concurrency).
    - Otherwise `pending` until now + the program's `referral_pending_duration` days,
      `payable` for a paid campaign (a free one records `cpa_cents` 0, never payable).
    - Updates the campaign's counters, runs the referral screening of `referrals/` (flags
      in `signals`), and publishes `new_partner_pending_referral` (or
      `partner_referral_rejected`) to both teams' webhooks through the outbox.

    Never raises for the rejections above: the returned referral says what happened
    (`status`, `rejection_reason`). `ip_address` feeds the screening.
    """
    raise NotImplementedError


def partner_referrals_settle(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Settle pending referrals whose `pending_until` is past, in batches (not one
    transaction each); returns how many were settled.

    Still subscribed -> `confirmed`, payable ones add an `earned` ledger line (the partner
    earns the CPA), reservation moves to use, `new_partner_referral`; unsubscribed or
    deleted -> `rejected` (`unsubscribed` / `deleted`), reservation released,
    `partner_referral_rejected`. Each referral settles exactly once, whatever runs at the
    same time (claimed by a conditional UPDATE ... WHERE status = 'pending'). The hourly
    beat task calls this."""
    raise NotImplementedError


def partner_referral_reject_for_subscriber(*, subscriber: Subscriber, reason: str) -> int:
    """Reject the pending referrals that created `subscriber` (the recommended team's),
    with `reason` (`rejected_by_publisher` from `PUT /v2/subscribers/:id/reject`,
    `unsubscribed`, `deleted`); returns how many. Runs inside the subscriber service's
    transaction (called from earnings/receivers.py), exactly once against settlement."""
    raise NotImplementedError


def payouts_create(*, today: date | None = None) -> list[Payout]:
    """Make one payout per partner profile whose confirmed, unpaid earnings of the months
    before `today`'s reach `PARTNER_PAYOUT_MINIMUM_DOLLARS`, each with its `paid_out`
    ledger line, and publish `payout_created`. Safe to run twice for a period."""
    raise NotImplementedError


def payout_mark_paid(*, payout: Payout, reference: str) -> Payout:
    """Staff: a pending payout was paid, with the transfer `reference`."""
    raise NotImplementedError


def payout_mark_failed(*, payout: Payout) -> Payout:
    """Staff: a pending payout failed; a `reversed` ledger line returns its amount to the
    partner's balance."""
    raise NotImplementedError
