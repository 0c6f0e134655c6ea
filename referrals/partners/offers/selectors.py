"""Reads of offers, submissions and the hosted pages' objects (team scoping lives here)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from referrals.partners.models import PartnerCampaign, PartnerProfile
from referrals.partners.models.offers import (
    Offer,
    OfferBudgetMonth,
    OfferSubmission,
    offer_expected_earnings,
)
from referrals.partners.models.upscribe import Upscribe, UpscribeOfferImpressionDay
from referrals.partners.upscribe.selectors import STATS_DAYS, Stats
from sparkloop.exceptions import NotFound
from sparkloop.models import Team

OFFER_NOT_FOUND = "Offer {uuid} not found."
# The conversion endpoint's own 404s (reference §10), without the identifier.
CONVERSION_OFFER_NOT_FOUND = "Offer not found"
CONVERSION_SUBMISSION_NOT_FOUND = "Submission not found"


def month_start(day: date | None = None) -> date:
    """The first day of `day`'s month (today's by default): a budget month's key."""
    day = timezone.now().date() if day is None else day
    return day.replace(day=1)


def _with_budget_used(qs: QuerySet[Offer], month: date) -> QuerySet[Offer]:
    used = OfferBudgetMonth.objects.filter(offer=OuterRef("pk"), month=month).values("used_cents")[
        :1
    ]
    return qs.annotate(
        budget_used_cents=Coalesce(Subquery(used, output_field=IntegerField()), Value(0))
    )


def offer_list(*, team: Team) -> QuerySet[Offer]:
    """The team's own offers, newest first, each with this month's spend
    (`budget_used_cents`)."""
    qs = Offer.objects.filter(team=team).order_by("-created_at", "-id")
    return _with_budget_used(qs, month_start())


def offer_get(*, team: Team, uuid: str) -> Offer:
    """The team's offer `uuid`; another team's is as missing as an unknown one."""
    offer = offer_list(team=team).filter(public_id=uuid).first()
    if offer is None:
        raise NotFound(OFFER_NOT_FOUND.format(uuid=uuid))
    return offer


def network_offer_list(*, team: Team) -> QuerySet[Offer]:
    """Other teams' active public offers whose budget this month still holds one more
    conversion, newest first (the partner network's offers)."""
    return _network_offers(team.pk)


def _network_offers(team_id: int) -> QuerySet[Offer]:
    qs = (
        Offer.objects.filter(status=Offer.Status.ACTIVE, visibility=Offer.Visibility.PUBLIC)
        .exclude(team_id=team_id)
        .order_by("-created_at", "-id")
    )
    # A Q object: the typed filter() knows no annotation.
    holds_one_more = Q(budget_used_cents__lte=F("monthly_budget_cents") - F("cpa_cents"))
    return _with_budget_used(qs, month_start()).filter(holds_one_more)


def conversion_submission_get(
    *, team: Team, offer_uuid: str, submission_uuid: str
) -> OfferSubmission:
    """The submission an advertiser confirms: its offer must be the team's."""
    offer = Offer.objects.filter(team=team, public_id=offer_uuid).first()
    if offer is None:
        raise NotFound(CONVERSION_OFFER_NOT_FOUND)
    submission = (
        OfferSubmission.objects.filter(offer=offer, public_id=submission_uuid)
        .select_related("offer", "partner_profile")
        .first()
    )
    if submission is None:
        raise NotFound(CONVERSION_SUBMISSION_NOT_FOUND)
    return submission


# --- The hosted pages (public: no team) ---------------------------------------------------


def page_offer_lookup(*, uuid: str) -> Offer | None:
    """An active offer of any team, for `/o/<offer_uuid>`."""
    return Offer.objects.filter(public_id=uuid, status=Offer.Status.ACTIVE).first()


def page_partner_lookup(*, public_id: str) -> PartnerProfile | None:
    return PartnerProfile.objects.filter(public_id=public_id).first() if public_id else None


def page_campaign_lookup(*, ref_code: str) -> PartnerCampaign | None:
    """The active partner campaign of `ref_code`, with what its pages show: the recommended
    publication and, when paid, its program (a paid campaign needs an active program)."""
    campaign = (
        PartnerCampaign.objects.filter(ref_code=ref_code, status=PartnerCampaign.Status.ACTIVE)
        .select_related("publication", "program", "partner_profile")
        .first()
    )
    if campaign is None:
        return None
    program = campaign.program
    if program is not None and program.status != program.Status.ACTIVE:
        return None
    return campaign


# --- Offers in an upscribe (docs/upscribe.md, offers) ---------------------------------------


@dataclass(frozen=True)
class OfferRecommendation:
    """Another team's offer as one upscribe shows it to one visitor: the offer (with this
    month's spend, `budget_used_cents`), the recommending team's partner profile uuid (the
    click link names it), and the expected earnings that ranked it (cents per pick)."""

    offer: Offer
    partner_id: str
    partner_profile_id: int
    expected: float


def offer_accepts_country(offer: Offer, *, country_code: str | None) -> bool:
    """Whether `offer`'s geo rules take a visitor from `country_code` (alpha-2, any case):
    the rules of catalog's program_accepts_location without regions. An unknown country
    (None) is taken only by a worldwide offer without a block list. Pure: no query."""
    country = (country_code or "").strip().upper() or None
    blocked = {c.upper() for c in offer.blocked_countries}
    if country is None:
        return offer.allow_worldwide_referrals and not blocked
    if country in blocked:
        return False
    allowed = {c.upper() for c in offer.allowed_countries}
    return offer.allow_worldwide_referrals or not allowed or country in allowed


def _geo_filter(qs: QuerySet[Offer], country_code: str | None) -> QuerySet[Offer]:
    """offer_accepts_country in SQL, on the JSON lists' text (`["US", "CA"]` holds `"US"`
    quoted on PostgreSQL and SQLite alike; `icontains` escapes LIKE's wildcards)."""
    country = (country_code or "").strip().upper() or None
    qs = qs.annotate(
        blocked_text=Cast("blocked_countries", TextField()),
        allowed_text=Cast("allowed_countries", TextField()),
    )
    if country is None:
        return qs.filter(allow_worldwide_referrals=True, blocked_text="[]")
    quoted = json.dumps(country)
    return qs.exclude(blocked_text__icontains=quoted).filter(
        Q(allow_worldwide_referrals=True) | Q(allowed_text="[]") | Q(allowed_text__icontains=quoted)
    )


def upscribe_offer_candidates(
    *, team_id: int, country_code: str | None, limit: int
) -> QuerySet[Offer]:
    """Other teams' active public offers that a visitor from `country_code` may be shown
    through team `team_id`'s upscribe now: open to the country, this month's budget holding
    one more CPA; best expected earnings first (`expected`, models' offer_expected_earnings:
    the order of the index `offer_expected_idx`), newest first among equals. Each row also
    carries the team's partner profile (`partner_id`, `partner_pk`: the partner its link
    names), so that one query serves it all."""
    profile = PartnerProfile.objects.filter(team_id=team_id)
    qs = _geo_filter(_network_offers(team_id), country_code).annotate(
        expected=offer_expected_earnings(),
        partner_id=Subquery(profile.values("public_id")[:1]),
        partner_pk=Subquery(profile.values("pk")[:1]),
    )
    return qs.order_by("-expected", "-created_at", "-id")[:limit]


def upscribe_offer_picks(*, team: Team, codes: list[str]) -> dict[str, Offer]:
    """Those of `codes` (offer uuids) that are other teams' active public offers, by uuid,
    each with this month's spend (`budget_used_cents`)."""
    return {o.public_id: o for o in network_offer_list(team=team).filter(public_id__in=codes)}


def offer_recommendations_counts(
    recs: list[OfferRecommendation],
) -> dict[int, dict[str, int]]:
    """Per offer of `recs` (by id), what their recommending partner sent converted, all
    time: `confirmed` (payable), `rejected` (converted beyond the budget) and `earnings`
    (cents). One grouped query; none without offers."""
    if not recs:
        return {}
    rows = (
        OfferSubmission.objects.filter(
            partner_profile_id=recs[0].partner_profile_id,
            offer_id__in=[r.offer.pk for r in recs],
            converted_at__isnull=False,
        )
        .values("offer_id")
        .annotate(
            confirmed=Count("id", filter=Q(payable=True)),
            rejected=Count("id", filter=Q(payable=False)),
            earnings=Sum("cpa_cents", filter=Q(payable=True)),
        )
    )
    return {
        r["offer_id"]: {
            "confirmed": r["confirmed"],
            "rejected": r["rejected"],
            "earnings": int(r["earnings"] or 0),
        }
        for r in rows
    }


def upscribe_offer_stats(*, upscribe: Upscribe) -> list[tuple[Offer, Stats]]:
    """The upscribe's offers of the last 30 days, as its stats show recommendations:
    impressions, picks (submissions its subscribe made) and what they became (`confirmed`:
    payable conversions, `rejected`: beyond the budget; `pending` 0: a lead converts at
    once) with their earnings. Three queries, none for an upscribe that never showed one."""
    today = timezone.now().date()
    impressions = dict(
        UpscribeOfferImpressionDay.objects.filter(
            upscribe=upscribe, day__gt=today - timedelta(days=STATS_DAYS)
        )
        .values("offer_id")
        .annotate(n=Sum("impressions"))
        .values_list("offer_id", "n")
    )
    since = timezone.now() - timedelta(days=STATS_DAYS)
    picks = {
        row["offer_id"]: row
        for row in OfferSubmission.objects.filter(upscribe=upscribe, created_at__gte=since)
        .values("offer_id")
        .annotate(
            picks=Count("id"),
            confirmed=Count("id", filter=Q(converted_at__isnull=False, payable=True)),
            rejected=Count("id", filter=Q(converted_at__isnull=False, payable=False)),
            earnings=Sum("cpa_cents", filter=Q(payable=True)),
        )
    }
    ids = set(impressions) | set(picks)
    if not ids:
        return []
    offers = Offer.objects.filter(pk__in=ids).order_by("-created_at", "-id")
    rows = []
    for offer in offers:
        row: dict[str, Any] = dict(picks.get(offer.pk, {}))
        stats = Stats(
            impressions=int(impressions.get(offer.pk) or 0),
            picks=row.get("picks", 0),
            pending=0,
            confirmed=row.get("confirmed", 0),
            rejected=row.get("rejected", 0),
            earnings_cents=int(row.get("earnings") or 0),
        )
        rows.append((offer, stats))
    return rows
