"""Upscribes: every read that serves a request (team scoping lives here).

A recommendation is one of the team's partner campaigns (paid or free) as one upscribe shows
it: the campaign's facts, the upscribe's own settings (`UpscribeRecommendation`), this
month's budget left and the program's recent confirmation rate. Each page or generate reads
those in a fixed number of queries, whatever the number of recommendations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import (
    Count,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone

from referrals.partners.catalog.selectors import network_program_list, program_accepts_location
from referrals.partners.earnings.selectors import (
    REFERRAL_CAMPAIGN_RELATED,
    month_of,
    program_budget_use,
)
from referrals.partners.models import (
    PartnerCampaign,
    PartnerProgram,
    PartnerReferral,
    Publication,
)
from referrals.partners.models.upscribe import (
    Upscribe,
    UpscribeImpressionDay,
    UpscribePick,
    UpscribeRecommendation,
)
from referrals.partners.upscribe import ranking
from sparkloop.exceptions import InvalidState, NotFound
from sparkloop.models import Team
from subscribers.selectors import SUBSCRIBER_NOT_FOUND, subscriber_lookup

UPSCRIBE_NOT_FOUND = "Upscribe {identifier} not found."
UPSCRIBE_NOT_ACTIVE = "Upscribe {identifier} is not active."
RECOMMENDATION_NOT_FOUND = "Recommendation {identifier} not found."
PUBLICATION_NOT_FOUND = "Publication {identifier} not found."

# A recommendation is listed while its campaign is one of these (§ Upscribe: archived,
# rejected and pending-approval campaigns are left out); only active ones are shown.
LISTED_STATUSES = (PartnerCampaign.Status.ACTIVE, PartnerCampaign.Status.PAUSED)
GENERATE_MAX = 20
STATS_DAYS = 30
CHANNEL = ranking.CHANNEL


@dataclass(frozen=True)
class Recommendation:
    """What the Recommendation Object is rendered from."""

    campaign: PartnerCampaign
    setting: UpscribeRecommendation | None
    available_budget_cents: int | None  # None: a free recommendation
    confirmation_rate: int | None  # percent over the last 30 days; None: nothing settled

    @property
    def paused(self) -> bool:
        return self.setting is not None and self.setting.paused

    @property
    def pinned(self) -> bool:
        return self.setting is not None and self.setting.pinned


def upscribe_list(*, team: Team) -> QuerySet[Upscribe]:
    """The team's upscribes, newest first."""
    return (
        Upscribe.objects.filter(team=team)
        .select_related("publication")
        .order_by("-created_at", "-id")
    )


def upscribe_get(*, team: Team, identifier: str) -> Upscribe:
    """The team's upscribe `identifier`; 404 `Upscribe <uuid> not found.` otherwise."""
    upscribe = next(iter(upscribe_list(team=team).filter(public_id=identifier)[:1]), None)
    if upscribe is None:
        raise NotFound(UPSCRIBE_NOT_FOUND.format(identifier=identifier))
    return upscribe


def upscribe_publication_get(*, team: Team, identifier: str) -> Publication:
    """The team's own publication that a new upscribe belongs to."""
    publication = next(iter(Publication.objects.filter(team=team, public_id=identifier)[:1]), None)
    if publication is None:
        raise NotFound(PUBLICATION_NOT_FOUND.format(identifier=identifier))
    return publication


def recommendation_list(*, upscribe: Upscribe) -> QuerySet[PartnerCampaign]:
    """The upscribe's recommendations (its team's listed partner campaigns), newest first."""
    return (
        PartnerCampaign.objects.filter(
            partner_profile__team_id=upscribe.team_id, status__in=LISTED_STATUSES
        )
        .select_related("publication", "program")
        .order_by("-created_at", "-id")
    )


def recommendation_total(*, upscribe: Upscribe) -> int:
    return recommendation_list(upscribe=upscribe).order_by().count()


def recommendation_get(*, upscribe: Upscribe, identifier: str) -> PartnerCampaign:
    """One of the upscribe's recommendations by its uuid (or its ref_code)."""
    field = "public_id" if identifier.startswith("partner_campaign_") else "ref_code"
    campaign = next(
        iter(recommendation_list(upscribe=upscribe).filter(**{field: identifier})[:1]), None
    )
    if campaign is None:
        raise NotFound(RECOMMENDATION_NOT_FOUND.format(identifier=identifier))
    return campaign


def _settings(upscribe: Upscribe, campaign_ids: list[int]) -> dict[int, UpscribeRecommendation]:
    rows = UpscribeRecommendation.objects.filter(upscribe=upscribe, campaign_id__in=campaign_ids)
    return {row.campaign_id: row for row in rows}


def _rates_last_30_days(program_ids: list[int]) -> dict[int, int]:
    """Each program's confirmed share, in percent, of its referrals settled in 30 days."""
    if not program_ids:
        return {}
    since = timezone.now() - timedelta(days=STATS_DAYS)
    rows = (
        PartnerReferral.objects.filter(
            program_id__in=program_ids,
            settled_at__gte=since,
            status__in=(PartnerReferral.Status.CONFIRMED, PartnerReferral.Status.REJECTED),
        )
        .values("program_id")
        .annotate(
            confirmed=Count("id", filter=Q(status=PartnerReferral.Status.CONFIRMED)),
            settled=Count("id"),
        )
    )
    return {r["program_id"]: round(100 * r["confirmed"] / r["settled"]) for r in rows}


def _available(campaigns: Iterable[PartnerCampaign]) -> dict[int, int]:
    """This month's budget left (cents) of each paid campaign's program."""
    program_ids = sorted({c.program_id for c in campaigns if c.program_id is not None})
    if not program_ids:
        return {}
    use = program_budget_use(program_ids, month=month_of(timezone.now().date()))
    return {
        c.program_id: max(0, c.program.total_budget_cents - use[c.program_id].total_cents)
        for c in campaigns
        if c.program is not None and c.program_id is not None
    }


def recommendations_render(
    *, upscribe: Upscribe, campaigns: list[PartnerCampaign]
) -> list[Recommendation]:
    """`campaigns` (rows of recommendation_list) with what their objects show, in 3 queries."""
    settings = _settings(upscribe, [c.pk for c in campaigns])
    available = _available(campaigns)
    rates = _rates_last_30_days(sorted({c.program_id for c in campaigns if c.program_id}))
    return [
        Recommendation(
            campaign=c,
            setting=settings.get(c.pk),
            available_budget_cents=available.get(c.program_id) if c.program_id else None,
            confirmation_rate=rates.get(c.program_id) if c.program_id else None,
        )
        for c in campaigns
    ]


def recommendations_for_visitor(
    *,
    upscribe: Upscribe,
    country_code: str | None = None,
    region_code: str | None = None,
    limit: int = 1,
) -> list[Recommendation]:
    """The recommendations to show one visitor now (§ Upscribe, generate).

    Active ones only, never one paused by this upscribe, whose program is not active or not
    recommendable through an upscribe, whose program has not this month's budget left for
    one more CPA, whose partner is over the program's monthly cap, or whose program does
    not accept the visitor's country and region. Pinned first (by position), then by
    expected earnings (CPA x the program's confirmation rate, ranking.UNKNOWN_RATE without one);
    free ones after paid ones. The database ranks and returns only the `limit` rows
    (_ranked_for_visitor); only those are rendered. Raises 400 `Upscribe <uuid> is not
    active.`
    """
    if not upscribe.active:
        raise InvalidState(UPSCRIBE_NOT_ACTIVE.format(identifier=upscribe.public_id))
    ranked = ranking.ranked_for_visitor(
        upscribe=upscribe,
        country_code=country_code,
        region_code=region_code,
        limit=max(1, min(limit, GENERATE_MAX)),
    )
    return [
        Recommendation(
            campaign=r.campaign,
            setting=r.setting,
            available_budget_cents=r.available_budget_cents,
            confirmation_rate=r.confirmation_rate,
        )
        for r in ranked
    ]


@dataclass(frozen=True)
class Stats:
    """One upscribe's (or one recommendation's) last 30 days."""

    impressions: int
    picks: int
    pending: int
    confirmed: int
    rejected: int
    earnings_cents: int


def upscribe_stats(*, upscribe: Upscribe) -> tuple[Stats, dict[int, Stats]]:
    """The upscribe's last 30 days in all and per recommendation (partner campaign id):
    impressions, picks, the picks' referrals by status now, and the confirmed payable CPA.
    Two grouped queries."""
    today = timezone.now().date()
    impressions = dict(
        UpscribeImpressionDay.objects.filter(
            upscribe=upscribe, day__gt=today - timedelta(days=STATS_DAYS)
        )
        .values("campaign_id")
        .annotate(n=Sum("impressions"))
        .values_list("campaign_id", "n")
    )
    since = timezone.now() - timedelta(days=STATS_DAYS)
    status = "referral__status"
    picks = {
        row["campaign_id"]: row
        for row in UpscribePick.objects.filter(upscribe=upscribe, created_at__gte=since)
        .values("campaign_id")
        .annotate(
            picks=Count("id"),
            pending=Count("id", filter=Q(**{status: PartnerReferral.Status.PENDING})),
            confirmed=Count("id", filter=Q(**{status: PartnerReferral.Status.CONFIRMED})),
            rejected=Count("id", filter=Q(**{status: PartnerReferral.Status.REJECTED})),
            earnings=Sum(
                "referral__cpa_cents",
                filter=Q(**{status: PartnerReferral.Status.CONFIRMED}, referral__payable=True),
            ),
        )
    }
    per: dict[int, Stats] = {}
    for campaign_id in set(impressions) | set(picks):
        row: dict[str, Any] = dict(picks.get(campaign_id, {}))
        per[campaign_id] = Stats(
            impressions=int(impressions.get(campaign_id) or 0),
            picks=row.get("picks", 0),
            pending=row.get("pending", 0),
            confirmed=row.get("confirmed", 0),
            rejected=row.get("rejected", 0),
            earnings_cents=int(row.get("earnings") or 0),
        )
    total = Stats(*(sum(getattr(s, f) for s in per.values()) for f in Stats.__dataclass_fields__))
    return total, per


def stats_campaigns(*, upscribe: Upscribe, campaign_ids: Iterable[int]) -> list[PartnerCampaign]:
    """The partner campaigns the stats name (of the upscribe's team), for their labels."""
    return list(
        PartnerCampaign.objects.filter(
            pk__in=list(campaign_ids), partner_profile__team_id=upscribe.team_id
        )
        .select_related("publication")
        .order_by("-created_at", "-id")
    )


def recommendations_by_ref_code(
    *, upscribe: Upscribe, ref_codes: list[str]
) -> dict[str, PartnerCampaign]:
    """Those of `ref_codes` that are the upscribe's active, unpaused recommendations, with
    what a partner referral of them reads (as earnings' `referral_campaigns` loads them),
    in one query."""
    paused = UpscribeRecommendation.objects.filter(upscribe=upscribe, paused=True)
    # NOT IN, not NOT EXISTS: an anti-join among this many joins took PostgreSQL's planner
    # ~3 ms more than the query itself (bench/README.md, "Subscribe with 3 picks").
    campaigns = (
        recommendation_list(upscribe=upscribe)
        .filter(status=PartnerCampaign.Status.ACTIVE, ref_code__in=ref_codes)
        .exclude(pk__in=paused.values("campaign_id"))
        .select_related(*REFERRAL_CAMPAIGN_RELATED)
        .order_by()
    )
    return {campaign.ref_code: campaign for campaign in campaigns}


def subscribe_person(*, team: Team, identifier: str) -> tuple[str, str | None]:
    """The email (and name) that subscribe signs up: `identifier` is an email, or the uuid
    of one of the team's subscribers (the older body form; 404 when it is not one)."""
    subscriber = subscriber_lookup(team=team, identifier=identifier)
    if subscriber is not None:
        return subscriber.email, subscriber.name
    if "@" in identifier:
        return identifier.strip(), None
    raise NotFound(SUBSCRIBER_NOT_FOUND.format(identifier=identifier))


AUTO_PILOT_SCAN = 200


def auto_pilot_programs(
    *, upscribe: Upscribe, country_code: str | None, region_code: str | None, limit: int
) -> list[PartnerProgram]:
    """Up to `limit` listed network programs the team has not joined that it could show this
    visitor now (auto pilot): open without approval, recommendable through an upscribe,
    open to the visitor's country and region, with this month's budget left; best paid
    first. Scans the AUTO_PILOT_SCAN best-paying ones at most."""
    joined = PartnerCampaign.objects.filter(
        partner_profile__team_id=upscribe.team_id, program__isnull=False
    ).values("program_id")
    programs = [
        p
        for p in network_program_list(team=upscribe.team)
        .filter(requires_approval=False)
        .exclude(pk__in=joined)
        .order_by("-cpa_cents", "-id")[:AUTO_PILOT_SCAN]
        if CHANNEL in (p.can_be_recommended_via or [])
        and program_accepts_location(p, country_code=country_code, region_code=region_code)
    ]
    if not programs:
        return []
    use = program_budget_use([p.pk for p in programs], month=month_of(timezone.now().date()))
    return [p for p in programs if use[p.pk].total_cents + p.cpa_cents <= p.total_budget_cents][
        :limit
    ]
