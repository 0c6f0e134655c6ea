"""Partner earnings: every read that serves a request.

The cross-subpackage interface (used by catalog and upscribe) is declared here with typed
stubs; the earnings owner fills in the bodies. Each takes many ids and answers in a fixed
number of queries, so that a list page never makes one query per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from referrals.partners.models import (
    CampaignBudgetMonth,
    EarningsEntry,
    PartnerCampaign,
    PartnerProfile,
    PartnerProgram,
    PartnerReferral,
    Payout,
    ProgramBudgetMonth,
    Publication,
)
from sparkloop.exceptions import NotFound
from sparkloop.models import Team
from sparkloop.prepared import prepared_cursor
from subscribers.models import Subscriber

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


PROGRAM_NOT_FOUND = "Partner program {uuid} not found!"
PAYOUT_NOT_FOUND = "Payout {uuid} not found!"


@dataclass(frozen=True)
class ReferralListing:
    """The referrals a team may see of one program, and their count without filters (the
    campaigns' maintained counters, never a COUNT over a million rows)."""

    referrals: QuerySet[PartnerReferral]
    campaign_ids: list[int]

    def unfiltered_total(self) -> int:
        totals = PartnerCampaign.objects.filter(pk__in=self.campaign_ids).aggregate(
            total=Sum(F("pending_count") + F("confirmed_count") + F("rejected_count"))
        )
        return int(totals["total"] or 0)


def program_referral_list(*, team: Team, uuid: str) -> ReferralListing:
    """A program's referrals, newest first: all of them for the program's owner; for a
    partner in the program, only those it sent. Anyone else: NotFound, as for no program."""
    referrals = PartnerReferral.objects.select_related(
        "campaign__recommending_publication"
    ).order_by("-created_at", "-id")
    program = PartnerProgram.objects.filter(team=team, public_id=uuid).first()
    if program is not None:
        campaign_ids = list(
            PartnerCampaign.objects.filter(program=program).values_list("pk", flat=True)
        )
        return ReferralListing(referrals.filter(program=program), campaign_ids)
    campaign = PartnerCampaign.objects.filter(
        partner_profile__team=team, program__public_id=uuid
    ).first()
    if campaign is None:
        raise NotFound(PROGRAM_NOT_FOUND.format(uuid=uuid))
    return ReferralListing(referrals.filter(campaign=campaign), [campaign.pk])


def payout_get(*, profile: PartnerProfile, uuid: str) -> Payout:
    payout = Payout.objects.filter(partner_profile=profile, public_id=uuid).first()
    if payout is None:
        raise NotFound(PAYOUT_NOT_FOUND.format(uuid=uuid))
    return payout


def partner_profile_of(*, team: Team) -> PartnerProfile:
    """The team's partner profile (every team has one, made with the team)."""
    return PartnerProfile.objects.get(team=team)


REFERRAL_CAMPAIGN_RELATED = (
    "publication__team",
    "program",
    "partner_profile",
    "recommending_publication",
    "team",
)


def referral_campaigns(*, campaign_ids: Iterable[int]) -> dict[int, PartnerCampaign]:
    """Partner campaigns by id with what a partner referral of them reads (its program, the
    recommended team, the payload's publications and partner), in one query."""
    return PartnerCampaign.objects.select_related(*REFERRAL_CAMPAIGN_RELATED).in_bulk(
        set(campaign_ids)
    )


def campaign_loaded(campaign: PartnerCampaign) -> bool:
    """Whether `campaign` comes as `referral_campaigns` loads it."""
    fields = PartnerCampaign._meta
    return all(
        fields.get_field(name).is_cached(campaign)  # type: ignore[union-attr]
        for name in (
            "publication",
            "program",
            "partner_profile",
            "recommending_publication",
            "team",
        )
    ) and Publication._meta.get_field("team").is_cached(campaign.publication)


def teams_subscribed(*, team_ids: Iterable[int], email: str) -> set[int]:
    """Those of `team_ids` that have `email` as a subscriber already (any case), in one query
    (written out: on subscribe's path, the ORM's compiling cost more than the query)."""
    ids = sorted(set(team_ids))
    if not ids:
        return set()
    table = connection.ops.quote_name(Subscriber._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT team_id FROM {table} WHERE team_id IN ({marks}) "  # noqa: S608
            "AND email_normalized = %s",
            [*ids, email.strip().lower()],
        )
        return {int(team_id) for (team_id,) in cursor.fetchall()}
