"""Reads of referral campaigns, always scoped to a team."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection
from django.db.models import Q, QuerySet

from referrals.models import Campaign, CampaignMembership, Referral, Reward, RewardGrant
from sparkloop.counters import counter_get
from sparkloop.exceptions import NotFound, ServiceError
from sparkloop.models import Team
from sparkloop.prepared import prepared_cursor
from sparkloop.rows import model_columns, row_load
from subscribers.models import Subscriber
from subscribers.selectors import LIST_TYPES, SUBSCRIBER_NOT_FOUND, subscriber_lookup

__all__ = ["LIST_TYPES"]  # a campaign's member lists are the subscriber list's types

CAMPAIGN_NOT_FOUND = "Campaign {identifier} not found!"
MEMBERSHIP_NOT_FOUND = "Campaign membership {identifier} not found!"
GRANT_NOT_FOUND = "Reward {identifier} not found!"
MEMBERSHIP_SUBSCRIBER_UNKNOWN = "{identifier} not found!"


def counter_name(campaign_id: int, list_type: str) -> str:
    """The team counter behind a campaign member list's total (`all`/`referrals`/`advocates`)."""
    return f"campaign.{campaign_id}.{list_type}"


def _storable(identifier: str) -> bool:
    # PostgreSQL text can't hold NUL: such an identifier names nothing (a 404, not a 500).
    return "\x00" not in identifier


def campaign_list(*, team: Team) -> QuerySet[Campaign]:
    """A team's campaigns, newest first, with their rewards."""
    return (
        Campaign.objects.filter(team=team)
        .prefetch_related("rewards")
        .order_by("-created_at", "-id")
    )


def campaign_get(*, team: Team, identifier: str) -> Campaign:
    campaign = (
        campaign_list(team=team).filter(public_id=identifier.strip()).first()
        if _storable(identifier)
        else None
    )
    if campaign is None:
        raise NotFound(CAMPAIGN_NOT_FOUND.format(identifier=identifier))
    campaign.team = team  # the team it was found in: no query when its team is read again
    return campaign


def campaign_member_list(*, campaign: Campaign, type: str = "all") -> QuerySet[CampaignMembership]:
    """A campaign's members, newest subscriber first; `type` as in the subscriber list."""
    qs = CampaignMembership.objects.filter(campaign=campaign).select_related("subscriber")
    if type == "referrals":
        qs = qs.filter(referred=True)
    elif type == "advocates":
        qs = qs.filter(referrals_count__gt=0)
    return qs.order_by("-subscriber_created_at", "-id")


def campaign_member_total(*, campaign: Campaign, type: str = "all") -> int:
    return counter_get(team=campaign.team_id, name=counter_name(campaign.pk, type))


def campaign_member_get(*, campaign: Campaign, identifier: str) -> CampaignMembership:
    """The membership of the subscriber `identifier` (uuid or email); 404 if not a member."""
    # One query: the subscriber found as `subscriber_lookup` finds it, joined to its
    # membership (a campaign's members are all of its team).
    key = identifier.strip()
    membership = None
    if _storable(key):
        by = (
            {"subscriber__email_normalized": key.lower()}
            if "@" in key
            else {"subscriber__public_id": key}
        )
        found = CampaignMembership.objects.filter(
            campaign=campaign, subscriber__team_id=campaign.team_id, **by
        ).select_related("subscriber")
        membership = next(iter(found[:1]), None)
    if membership is None:
        raise NotFound(SUBSCRIBER_NOT_FOUND.format(identifier=identifier))
    return membership


def membership_get(*, campaign: Campaign, identifier: str) -> CampaignMembership:
    membership = (
        CampaignMembership.objects.filter(campaign=campaign, public_id=identifier.strip())
        .select_related("subscriber")
        .first()
        if _storable(identifier)
        else None
    )
    if membership is None:
        raise NotFound(MEMBERSHIP_NOT_FOUND.format(identifier=identifier))
    return membership


def campaign_referral_list(*, membership: CampaignMembership) -> QuerySet[Referral]:
    """The referrals a member made in its campaign, newest first."""
    return (
        Referral.objects.filter(
            campaign_id=membership.campaign_id, referrer_id=membership.subscriber_id
        )
        .select_related("referred")
        .order_by("-created_at", "-id")
    )


def campaign_members_of(
    *, campaign: Campaign, subscribers: Iterable[Subscriber]
) -> dict[int, CampaignMembership]:
    """The memberships in `campaign` of those of `subscribers` who are members, by subscriber
    pk (one query). Each membership's `subscriber` is the instance given."""
    by_pk = {s.pk: s for s in subscribers}
    found: dict[int, CampaignMembership] = {}
    for membership in CampaignMembership.objects.filter(
        campaign=campaign, subscriber_id__in=list(by_pk)
    ):
        membership.subscriber = by_pk[membership.subscriber_id]
        found[membership.subscriber_id] = membership
    return found


def member_rank(*, membership: CampaignMembership) -> int | None:
    """1-based leaderboard position; None until the first verified referral.

    Two range counts over the leaderboard index: those ahead by score, and those tied
    who reached the score earlier.
    """
    score = membership.verified_referrals_count
    if score == 0:
        return None
    ranked = CampaignMembership.objects.filter(
        campaign_id=membership.campaign_id, verified_referrals_count__gt=0
    )
    ahead = ranked.filter(verified_referrals_count__gt=score).count()
    tied_before = ranked.filter(
        Q(score_reached_at__lt=membership.score_reached_at)
        | Q(score_reached_at=membership.score_reached_at, id__lt=membership.pk),
        verified_referrals_count=score,
    ).count()
    return ahead + tied_before + 1


def campaign_leaderboard(*, campaign: Campaign, limit: int) -> list[CampaignMembership]:
    """Top `limit` members by verified referrals; ties go to who reached the score first."""
    return list(
        CampaignMembership.objects.filter(campaign=campaign, verified_referrals_count__gt=0)
        .select_related("subscriber")
        .order_by("-verified_referrals_count", "score_reached_at", "id")[:limit]
    )


def grant_list(*, membership: CampaignMembership) -> QuerySet[RewardGrant]:
    return (
        RewardGrant.objects.filter(
            campaign_id=membership.campaign_id, subscriber_id=membership.subscriber_id
        )
        .select_related("reward")
        .order_by("-created_at", "-id")
    )


def grant_get(*, membership: CampaignMembership, identifier: str) -> RewardGrant:
    grant = (
        grant_list(membership=membership).filter(public_id=identifier.strip()).first()
        if _storable(identifier)
        else None
    )
    if grant is None:
        raise NotFound(GRANT_NOT_FOUND.format(identifier=identifier))
    return grant


def campaign_memberships_of(
    *, team: Team, subscribers: Iterable[Subscriber]
) -> dict[int, list[CampaignMembership]]:
    """`expand=campaigns`: each subscriber's memberships (oldest campaign first), by pk.

    Two queries whatever the number of subscribers: memberships with their campaigns, and
    those campaigns' rewards. Each membership's `subscriber` is the instance given.
    """
    by_pk = {s.pk: s for s in subscribers}
    memberships = (
        CampaignMembership.objects.filter(team=team, subscriber_id__in=list(by_pk))
        .select_related("campaign")
        .prefetch_related("campaign__rewards")
        .order_by("campaign__created_at", "campaign_id")
    )
    found: dict[int, list[CampaignMembership]] = defaultdict(list)
    for membership in memberships:
        membership.subscriber = by_pk[membership.subscriber_id]
        found[membership.subscriber_id].append(membership)
    return {pk: found.get(pk, []) for pk in by_pk}


def membership_subscriber_get(*, team: Team, identifier: str) -> Subscriber:
    """The subscriber to add to a campaign. Unknown: a 400, not a 404 (reference §4.1)."""
    subscriber = subscriber_lookup(team=team, identifier=identifier)
    if subscriber is None:
        raise ServiceError(MEMBERSHIP_SUBSCRIBER_UNKNOWN.format(identifier=identifier))
    return subscriber


def default_campaigns_with_rewards(*, team_ids: Iterable[int]) -> dict[int, Campaign]:
    """The default campaign of each of `team_ids` that has one, with its rewards in hand
    (as `prefetch_related("rewards")` leaves them), in one statement: the rewards travel
    as one JSON array per campaign. Written out for the hot write paths (an upscribe
    subscribe's subscribers): the ORM's read and its prefetch were two statements to
    compile and run."""
    ids = sorted(set(team_ids))
    if not ids:
        return {}
    if connection.vendor != "postgresql":
        rows = Campaign.objects.filter(team_id__in=ids, is_default=True).prefetch_related("rewards")
        return {campaign.team_id: campaign for campaign in rows}
    fields = list(Reward._meta.concrete_fields)
    quote = connection.ops.quote_name
    reward_columns = ", ".join(f"r.{quote(str(f.column))}" for f in fields)
    marks = ", ".join(["%s"] * len(ids))
    # Only table and column names are formatted in; every value is a parameter.
    sql = (
        f"SELECT {model_columns(Campaign, 'c')}, (SELECT json_agg("  # noqa: S608
        f"json_build_array({reward_columns}) ORDER BY r.referrals, r.id)::text "
        f"FROM {quote(Reward._meta.db_table)} r WHERE r.campaign_id = c.id) "
        f"FROM {quote(Campaign._meta.db_table)} c WHERE c.team_id IN ({marks}) AND c.is_default"
    )
    with prepared_cursor() as cursor:
        cursor.execute(sql, ids)
        rows = cursor.fetchall()
    defaults = {}
    for row in rows:
        campaign = row_load(Campaign, row[:-1])
        rewards = [
            Reward.from_db(
                connection.alias,
                [f.attname for f in fields],
                [f.to_python(value) for f, value in zip(fields, values, strict=True)],
            )
            for values in json.loads(row[-1] or "[]")
        ]
        cached = campaign.rewards.all()
        cached._result_cache, cached._prefetch_done = rewards, True  # type: ignore[attr-defined]
        campaign._prefetched_objects_cache = {"rewards": cached}  # type: ignore[attr-defined]
        defaults[campaign.team_id] = campaign
    return defaults
