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
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    ForeignKey,
    Model,
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
    PartnerProfile,
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
from sparkloop.prepared import prepared_cursor
from sparkloop.rows import model_columns, row_load, rows_fetch
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


def upscribe_row_get(*, team: Team, identifier: str) -> Upscribe:
    """`upscribe_get` for the hot paths (subscribe, generate), which read the upscribe's own
    fields only (not its publication): the row in plain SQL (the ORM's compiling of the
    join was ~0.6 ms of a request's CPU, bench/README.md "Subscribe with 3 picks"); the
    same 404."""
    rows = rows_fetch(Upscribe, _upscribe_row_sql(), [team.pk, identifier])
    if not rows:
        raise NotFound(UPSCRIBE_NOT_FOUND.format(identifier=identifier))
    return rows[0]


@cache
def _upscribe_row_sql() -> str:
    table = connection.ops.quote_name(Upscribe._meta.db_table)
    # Only the table and column names are formatted in; the values are parameters.
    return (
        f"SELECT {model_columns(Upscribe)} FROM {table} "  # noqa: S608
        "WHERE team_id = %s AND public_id = %s LIMIT 1"
    )


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
    """Each program's confirmed share, in percent, of its referrals settled in 30 days: its
    maintained counts (earnings/rates.py, as of the hourly settlement job), not a scan of
    its referrals."""
    if not program_ids:
        return {}
    rows = PartnerProgram.objects.filter(id__in=program_ids, recent_settled_count__gt=0)
    counts = rows.values_list("id", "recent_confirmed_count", "recent_settled_count")
    return {pk: round(100 * confirmed / settled) for pk, confirmed, settled in counts}


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


# The picked campaigns' query, written out (`_picked_sql`): each table of
# REFERRAL_CAMPAIGN_RELATED (alias, model, joined from alias, by field) and its columns.
_PICKED_JOINS: tuple[tuple[str, type[Model], str, str], ...] = (
    ("c", PartnerCampaign, "", ""),
    ("pub", Publication, "c", "publication"),
    ("pubteam", Team, "pub", "team"),
    ("prog", PartnerProgram, "c", "program"),
    ("prof", PartnerProfile, "c", "partner_profile"),
    ("rec", Publication, "c", "recommending_publication"),
    ("partner", Team, "c", "team"),
)
_MODEL_OF = {alias: model for alias, model, _, _ in _PICKED_JOINS}


def _relation(alias: str, field_name: str) -> ForeignKey[Any, Any]:
    field = _MODEL_OF[alias]._meta.get_field(field_name)
    assert isinstance(field, ForeignKey)  # noqa: S101
    return field


@cache
def _picked_sql() -> str:
    """SELECT every column of the campaign and its REFERRAL_CAMPAIGN_RELATED rows, LEFT
    JOINed, of the picked ref codes (`{codes}`: their placeholders) that are the upscribe's
    active, unpaused recommendations. Built once from the models' metadata."""
    quote = connection.ops.quote_name
    paths = {"c": ""}
    for alias, _, parent, field_name in _PICKED_JOINS[1:]:
        paths[alias] = f"{paths[parent]}__{field_name}".lstrip("_")
    # The joins are earnings' REFERRAL_CAMPAIGN_RELATED, no fewer (campaign_loaded checks).
    assert set(REFERRAL_CAMPAIGN_RELATED) <= set(paths.values())  # noqa: S101
    columns = []
    joins = []
    for alias, model, parent, field_name in _PICKED_JOINS:
        columns.append(model_columns(model, alias))
        if parent:
            fk = quote(str(_relation(parent, field_name).column))
            pk = quote(str(model._meta.pk.column))
            joins.append(
                f"LEFT JOIN {quote(model._meta.db_table)} {alias} ON {alias}.{pk} = {parent}.{fk}"
            )
    settings = UpscribeRecommendation._meta
    # NOT IN, not NOT EXISTS: an anti-join among this many joins took PostgreSQL's planner
    # ~3 ms more than the query itself (bench/README.md, "Subscribe with 3 picks").
    return (
        f"SELECT {', '.join(columns)} FROM {quote(PartnerCampaign._meta.db_table)} c "  # noqa: S608
        f"{' '.join(joins)} "
        "WHERE prof.team_id = %s AND c.status = %s AND c.ref_code IN ({codes}) "
        f"AND c.id NOT IN (SELECT campaign_id FROM {quote(settings.db_table)} "
        "WHERE upscribe_id = %s AND paused)"
    )


@cache
def _picked_columns() -> list[slice]:
    """Each table of _PICKED_JOINS: its columns' slice of a row."""
    slices, start = [], 0
    for _alias, model, _parent, _field in _PICKED_JOINS:
        count = len(model._meta.concrete_fields)
        slices.append(slice(start, start + count))
        start += count
    return slices


def recommendations_by_ref_code(
    *, upscribe: Upscribe, ref_codes: list[str]
) -> dict[str, PartnerCampaign]:
    """Those of `ref_codes` that are the upscribe's active, unpaused recommendations (of
    `recommendation_list`), with what a partner referral of them reads (as earnings'
    `referral_campaigns` loads them: REFERRAL_CAMPAIGN_RELATED), in one query.

    The query is written out and its rows turned into the models here: built by the ORM,
    its 119 columns across 7 tables took ~2 ms of CPU to compile and load, the largest
    read of a subscribe (bench/README.md, "Subscribe with 3 picks")."""
    if not ref_codes:
        return {}
    sql = _picked_sql().format(codes=", ".join(["%s"] * len(ref_codes)))
    params: list[int | str] = [
        upscribe.team_id, PartnerCampaign.Status.ACTIVE.value, *ref_codes, upscribe.pk
    ]  # fmt: skip
    with prepared_cursor() as cursor:  # ~2 ms of planning for seven tables, once
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    picked = {}
    for row in rows:
        made: dict[str, Model | None] = {}
        for (alias, model, parent, field_name), columns in zip(
            _PICKED_JOINS, _picked_columns(), strict=True
        ):
            values = row[columns]
            # None: no row joined (a free campaign's program).
            made[alias] = None if values[0] is None else row_load(model, values)
            if parent:
                owner = made[parent]
                assert owner is not None  # noqa: S101 - the campaign and its publication exist
                _relation(parent, field_name).set_cached_value(owner, made[alias])
        campaign = made["c"]
        assert isinstance(campaign, PartnerCampaign)  # noqa: S101
        picked[campaign.ref_code] = campaign
    return picked


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
