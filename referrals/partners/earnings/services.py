"""Partner earnings: every write, one transaction each (keyword-only, typed).

The cross-subpackage interface (used by upscribe's subscribe and hosted pages, and by the
admin). Payouts are in `payouts.py`, re-exported here.

Lock order, the same everywhere so that no two writers wait on each other in a circle:
the recommended team's subscriber, then its partner referrals, then the budget rows
(ProgramBudgetMonth before CampaignBudgetMonth, each by id), then the partner campaigns
(their counters, by id). Settlement takes the first two with SKIP LOCKED (it never waits
for a subscriber that a reject, an unsubscribe or a delete is changing: it leaves that
referral to the next run).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Model
from django.utils import timezone

from referrals.partners.catalog.selectors import program_accepts_location
from referrals.partners.earnings.batch import (
    budgets_reserve_many,
    counters_add_many,
    referral_events_record,
    referrals_screen,
)
from referrals.partners.earnings.payloads import partner_referral_event_record
from referrals.partners.earnings.payouts import (
    payout_mark_failed,
    payout_mark_paid,
    payouts_create,
)
from referrals.partners.earnings.selectors import (
    campaign_loaded,
    month_of,
    referral_campaigns,
    teams_subscribed,
)
from referrals.partners.earnings.settlement import budget_move, reject_for_subscriber, settle_due
from referrals.partners.models import (
    CampaignBudgetMonth,
    PartnerCampaign,
    PartnerProgram,
    PartnerReferral,
    ProgramBudgetMonth,
)
from sparkloop.exceptions import Conflict
from sparkloop.inserts import rows_insert
from subscribers.batch.services import subscribers_create_across
from subscribers.models import Subscriber
from subscribers.services import subscriber_create
from webhooks.services.events_batch import events_deferred

__all__ = [
    "SUBSCRIBER_ORIGIN",
    "partner_referral_create",
    "partner_referral_reject_for_subscriber",
    "partner_referrals_create",
    "partner_referrals_settle",
    "payout_mark_failed",
    "payout_mark_paid",
    "payouts_create",
]

SUBSCRIBER_ORIGIN = "partner_network"
"""The `origin` of a subscriber that a partner referral creates in the recommended team."""

VELOCITY_WINDOW = timedelta(hours=1)
Reason = PartnerReferral.RejectionReason
Status = PartnerReferral.Status


def _reserve(model: type[Model], owner: str, owner_id: int, *, month: date, cpa: int,
             limit: int) -> bool:  # fmt: skip
    """Reserve `cpa` in `model`'s row of `owner_id` and `month` while reserved + used + cpa
    stays within `limit`, creating the row if needed: one INSERT ... ON CONFLICT DO UPDATE
    ... WHERE (PostgreSQL and SQLite alike). The conflict locks the row and the condition
    reads its latest version, so that budgets hold under concurrency."""
    table = model._meta.db_table
    sql = (
        f"INSERT INTO {table} ({owner}, month, reserved_cents, used_cents) "
        "SELECT %s, %s, %s, 0 WHERE %s <= %s "
        f"ON CONFLICT ({owner}, month) DO UPDATE SET "
        f"reserved_cents = {table}.reserved_cents + excluded.reserved_cents "
        f"WHERE {table}.reserved_cents + {table}.used_cents + excluded.reserved_cents <= %s "
        "RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [owner_id, month, cpa, cpa, limit, limit])
        return cursor.fetchone() is not None


def _budget_reserve(*, campaign: PartnerCampaign, program: PartnerProgram, month: date) -> bool:
    """Reserve the CPA in this month's program budget and the partner's monthly cap, both or
    neither (program row first: the lock order). Two statements when both hold."""
    cpa = program.cpa_cents
    if not _reserve(
        ProgramBudgetMonth, "program_id", program.pk, month=month, cpa=cpa,
        limit=program.total_budget_cents,
    ):  # fmt: skip
        return False
    if _reserve(
        CampaignBudgetMonth, "campaign_id", campaign.pk, month=month, cpa=cpa,
        limit=program.max_payout_cents,
    ):  # fmt: skip
        return True
    # The partner's cap is reached: give the program's reservation back (its row is locked
    # by this transaction since the statement above).
    ProgramBudgetMonth.objects.filter(program=program, month=month).update(
        reserved_cents=F("reserved_cents") - cpa
    )
    return False


def _counters_add(campaign_id: int, *, pending: int = 0, confirmed: int = 0, rejected: int = 0,
                  earnings: int = 0) -> None:  # fmt: skip
    PartnerCampaign.objects.filter(pk=campaign_id).update(
        pending_count=F("pending_count") + pending,
        confirmed_count=F("confirmed_count") + confirmed,
        rejected_count=F("rejected_count") + rejected,
        earnings_cents=F("earnings_cents") + earnings,
    )


# Inside a caller's transaction (subscribe's pick) no savepoint: the caller's transaction is
# the unit, and a failure here fails it (nothing catches one half-way).
@transaction.atomic(savepoint=False)
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
    already_subscribed: bool | None = None,
) -> PartnerReferral:
    """Record that `campaign` (an active partner campaign) sent `email` to the recommended
    publication's team, in one transaction.

    - The person becomes a subscriber of the recommended team through the subscribers app's
      public `subscriber_create` (origin `partner_network`, status `pending`,
      `referral_status` `pending`, `cpa` the program's CPA), unless `subscriber` (already
      that team's) is given; also when the referral is rejected for its country or the
      budget (the person asked to subscribe: only the partner is not paid).
    - Rejected at once, not payable, when the email is already a subscriber of the
      recommended team (`already_subscribed`: nobody is created), the program does not
      accept `country_code` / `region_code` (`country_not_allowed`) or this month's program
      budget or the partner's monthly cap cannot hold the CPA (`budget_exhausted`).
    - Otherwise `pending` until now + the program's `referral_pending_duration` days,
      `payable` for a paid campaign (a free one records `cpa_cents` 0, never payable).
    - Updates the campaign's counters, runs the referral screening of `referrals/` (flags
      in `signals`), and publishes `new_partner_pending_referral` (or
      `partner_referral_rejected`) to both teams' webhooks through the outbox.

    Never raises for the rejections above. Raises ServiceError for an invalid email.

    A caller making several referrals at once passes what it has read for all of them:
    `campaign` as `referral_campaigns` loads it, and `already_subscribed` from
    `teams_subscribed` (a subscriber created since is caught by `subscriber_create`).
    """
    if not campaign_loaded(campaign):
        campaign = referral_campaigns(campaign_ids=[campaign.pk])[campaign.pk]
    now = timezone.now()
    referral = _referral_new(
        campaign, now=now, email=email, name=name, country_code=country_code,
        region_code=region_code, origin=origin, utm_source=utm_source, utm_campaign=utm_campaign,
    )  # fmt: skip
    team, program = referral.team, referral.program
    reason: str | None = None
    if subscriber is None and (
        already_subscribed
        if already_subscribed is not None
        else bool(teams_subscribed(team_ids=[team.pk], email=referral.email))
    ):
        reason = Reason.ALREADY_SUBSCRIBED
    elif program is not None and not _accepts(program, referral):
        reason = Reason.COUNTRY_NOT_ALLOWED
    elif program is not None:
        month = month_of(now.date())
        if _budget_reserve(campaign=campaign, program=program, month=month):
            referral.payable, referral.budget_month = True, month
        else:
            reason = Reason.BUDGET_EXHAUSTED
    if reason != Reason.ALREADY_SUBSCRIBED and subscriber is None:
        try:
            subscriber = subscriber_create(
                team=team,
                email=referral.email,
                name=name,
                ip_address=ip_address,
                utm_source=utm_source,
                utm_campaign=utm_campaign,
                country_code=country_code,
                origin=SUBSCRIBER_ORIGIN,
                cpa=None if program is None else Decimal(program.cpa_cents) / _CENTS,
                referral_status=_REJECTED if reason else _PENDING,
            )
        except Conflict:  # created concurrently: the same as already subscribed
            reason = Reason.ALREADY_SUBSCRIBED
            _budget_release(referral)
    referral.subscriber = subscriber
    _decide(referral, reason, now)
    if referral.status == Status.PENDING and subscriber is not None:
        _screen([referral], ip_address=ip_address, now=now)
    referral.save(force_insert=True)
    if reason:
        _counters_add(campaign.pk, rejected=1)
    else:
        _counters_add(campaign.pk, pending=1)
    partner_referral_event_record(referral)
    return referral


@transaction.atomic(savepoint=False)
def partner_referrals_create(
    *,
    picks: Sequence[tuple[PartnerCampaign, bool]],
    email: str,
    name: str | None = None,
    country_code: str | None = None,
    region_code: str | None = None,
    origin: str = PartnerReferral.Origin.UPSCRIBE,
    utm_source: str | None = None,
    utm_campaign: str | None = None,
    ip_address: str | None = None,
) -> list[PartnerReferral]:
    """`partner_referral_create` for one person and several distinct campaigns at once (the
    picks of one subscribe), in one transaction and set-based: the same referrals,
    subscribers, reservations, counters and events, in a fixed number of statements.

    `picks` are `(campaign as referral_campaigns loads it, already_subscribed as
    teams_subscribed answers)`; the referrals come back in their order, saved. All or
    nothing: an error leaves none of them made (the caller may then make them one by one).
    """
    now = timezone.now()
    person = {"name": name, "country_code": country_code, "region_code": region_code,
              "origin": origin, "utm_source": utm_source, "utm_campaign": utm_campaign}  # fmt: skip
    referrals = [_referral_new(c, now=now, email=email, **person) for c, _ in picks]
    reasons: list[str | None] = []
    for (_, already), referral in zip(picks, referrals, strict=True):
        program = referral.program
        if already:
            reasons.append(Reason.ALREADY_SUBSCRIBED)
        elif program is not None and not _accepts(program, referral):
            reasons.append(Reason.COUNTRY_NOT_ALLOWED)
        else:
            reasons.append(None)
    month = month_of(now.date())
    paid = [(r.campaign, r.program) for r, why in zip(referrals, reasons, strict=True)
            if why is None and r.program is not None]  # fmt: skip
    reserved = budgets_reserve_many(paid, month=month)
    for index, referral in enumerate(referrals):
        if reasons[index] is None and referral.program is not None:
            if referral.campaign_id in reserved:
                referral.payable, referral.budget_month = True, month
            else:
                reasons[index] = Reason.BUDGET_EXHAUSTED
    # The events of every team and type (the subscribers' `sync_subscriber`, the referrals'
    # to both teams) in one INSERT, at the end of the block.
    with events_deferred():
        wanted = [i for i, why in enumerate(reasons) if why != Reason.ALREADY_SUBSCRIBED]
        made = subscribers_create_across(
            items=[(referrals[i].team, _subscriber_fields(referrals[i], reasons[i], ip_address))
                   for i in wanted],
            origin=SUBSCRIBER_ORIGIN,
        )  # fmt: skip
        for index, subscriber in zip(wanted, made, strict=True):
            if subscriber is None:  # created concurrently: the same as already subscribed
                reasons[index] = Reason.ALREADY_SUBSCRIBED
                _budget_release(referrals[index])
            referrals[index].subscriber = subscriber
        for referral, reason in zip(referrals, reasons, strict=True):
            _decide(referral, reason, now)
        _screen(
            [r for r in referrals if r.status == Status.PENDING], ip_address=ip_address, now=now
        )
        rows_insert(referrals)
        counters_add_many(referrals)
        referral_events_record(referrals)
    return referrals


def _subscriber_fields(
    referral: PartnerReferral, reason: str | None, ip_address: str | None
) -> dict[str, Any]:
    """What `partner_referral_create` gives `subscriber_create` for the referral's person."""
    program = referral.program
    return {
        "email": referral.email,
        "name": referral.name,
        "ip_address": ip_address,
        "utm_source": referral.utm_source,
        "utm_campaign": referral.utm_campaign,
        "country_code": referral.country_code,
        "cpa": None if program is None else Decimal(program.cpa_cents) / _CENTS,
        "referral_status": _REJECTED if reason else _PENDING,
    }


def _referral_new(campaign: PartnerCampaign, *, now: datetime, email: str, **person: Any
                  ) -> PartnerReferral:  # fmt: skip
    """The referral of `campaign` (as `referral_campaigns` loads it) for the person, not
    saved yet: pending, not payable."""
    program = campaign.program if campaign.campaign_type != PartnerCampaign.Type.FREE else None
    country_code = person.pop("country_code")
    return PartnerReferral(
        campaign=campaign,
        program=program,
        partner_profile=campaign.partner_profile,
        team=campaign.publication.team,
        email=email.strip(),
        country_code=country_code.upper() if country_code else None,
        cpa_cents=program.cpa_cents if program is not None else 0,
        pending_until=now,
        created_at=now,
        **person,
    )


def _decide(referral: PartnerReferral, reason: str | None, now: datetime) -> None:
    """Rejected at once with `reason`, or pending for the program's pending duration."""
    if reason:
        referral.status, referral.rejection_reason = Status.REJECTED, reason
        referral.payable, referral.budget_month, referral.settled_at = False, None, now
        return
    program = referral.program
    days = program.referral_pending_duration if program is not None else _FREE_PENDING_DAYS
    if program is not None and not program.referral_pending_duration_enabled:
        days = 0
    referral.pending_until = now + timedelta(days=days)


def _screen(referrals: list[PartnerReferral], *, ip_address: str | None, now: datetime) -> None:
    referrals_screen(
        referrals, ip_address=ip_address, origin=SUBSCRIBER_ORIGIN, window=VELOCITY_WINDOW, now=now
    )


_CENTS = 100
_PENDING = Subscriber.ReferralStatus.PENDING
_REJECTED = Subscriber.ReferralStatus.REJECTED
_VERIFIED = Subscriber.ReferralStatus.VERIFIED
_FREE_PENDING_DAYS = 14


def _accepts(program: PartnerProgram, referral: PartnerReferral) -> bool:
    # A worldwide program without a block list takes everyone: no need to ask the catalogue.
    if program.allow_worldwide_referrals and not program.blocked_countries:
        return True
    return program_accepts_location(
        program, country_code=referral.country_code, region_code=referral.region_code
    )


def _budget_release(referral: PartnerReferral) -> None:
    """Give a (never to be paid) referral's reservation back."""
    if not referral.payable or referral.budget_month is None:
        return
    budget_move([referral], confirmed=False)
    referral.payable, referral.budget_month = False, None


def partner_referrals_settle(
    *, now: datetime | None = None, batch_size: int = 1000, parallel: int | None = None
) -> int:
    """Settle pending referrals whose `pending_until` is past, in batches (one transaction
    and a fixed number of statements each, see settlement.py); returns how many were settled.

    Still subscribed -> `confirmed`, payable ones add an `earned` ledger line (the partner
    earns the CPA), reservation moves to use, the subscriber's `referral_status` becomes
    `verified`, `new_partner_referral`; unsubscribed or deleted -> `rejected`
    (`unsubscribed` / `deleted`), reservation released, `partner_referral_rejected`. Each
    referral settles exactly once, whatever runs at the same time (claimed by a conditional
    UPDATE ... WHERE status = 'pending' of rows locked FOR UPDATE SKIP LOCKED). The hourly
    beat task calls this, with PARTNER_SETTLE_PARALLEL settlers at once (`parallel`)."""
    now = now or timezone.now()
    if parallel is None:
        parallel = settings.PARTNER_SETTLE_PARALLEL
    return settle_due(now=now, batch_size=batch_size, parallel=parallel)


@transaction.atomic
def partner_referral_reject_for_subscriber(*, subscriber: Subscriber, reason: str) -> int:
    """Reject the pending referrals that created `subscriber` (the recommended team's),
    with `reason` (`rejected_by_publisher` from `PUT /v2/subscribers/:id/reject`,
    `unsubscribed`, `deleted`); returns how many. Runs inside the subscriber service's
    transaction (called from earnings/receivers.py, the subscriber locked), exactly once
    against settlement (the referral rows are locked, then claimed while `pending`)."""
    return reject_for_subscriber(subscriber=subscriber, reason=reason)
