"""Campaign memberships and the per-campaign maintained counters of each member list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from referrals.models import Campaign, CampaignMembership, Referral
from referrals.selectors import counter_name
from sparkloop.counters import counter_add
from sparkloop.exceptions import Conflict
from subscribers.models import Subscriber
from subscribers.services import subscriber_create

ALREADY_MEMBER = "{identifier} has already been added to this campaign"


def membership_join(
    *,
    campaign: Campaign,
    subscriber: Subscriber,
    referred: bool = False,
    recount: bool = False,
    new_subscriber: bool = False,
) -> tuple[CampaignMembership, bool]:
    """Make `subscriber` a member of `campaign` (if not already); returns (membership, new).

    With `recount`, referrals already made or received in the campaign (before an earlier
    removal) are counted once, at join time. A `new_subscriber` (created in this
    transaction) can't be a member yet, which saves the look-up.
    """
    membership = (
        None
        if new_subscriber
        else CampaignMembership.objects.filter(campaign=campaign, subscriber=subscriber).first()
    )
    if membership is not None:
        if referred and not membership.referred:
            CampaignMembership.objects.filter(pk=membership.pk).update(referred=True)
            membership.referred = True
            counter_add(
                team_id=campaign.team_id, name=counter_name(campaign.pk, "referrals"), delta=1
            )
        return membership, False
    made = verified = 0
    if recount:
        counts = Referral.objects.filter(campaign=campaign, referrer=subscriber).aggregate(
            made=Count("pk", filter=~Q(status=Referral.Status.REJECTED)),
            verified=Count("pk", filter=Q(status=Referral.Status.VERIFIED)),
        )
        made, verified = counts["made"], counts["verified"]
        referred = (
            referred or Referral.objects.filter(campaign=campaign, referred=subscriber).exists()
        )
    membership = CampaignMembership(
        team_id=campaign.team_id,
        campaign=campaign,
        subscriber=subscriber,
        referred=referred,
        referrals_count=made,
        verified_referrals_count=verified,
        score_reached_at=timezone.now() if verified else None,
        subscriber_created_at=subscriber.created_at,
    )
    if new_subscriber:
        membership.save(force_insert=True)
    else:
        try:
            with transaction.atomic():
                membership.save(force_insert=True)
        except IntegrityError:  # joined concurrently
            return CampaignMembership.objects.get(campaign=campaign, subscriber=subscriber), False
    team_id = campaign.team_id
    counter_add(team_id=team_id, name=counter_name(campaign.pk, "all"), delta=1)
    if referred:
        counter_add(team_id=team_id, name=counter_name(campaign.pk, "referrals"), delta=1)
    if made:
        counter_add(team_id=team_id, name=counter_name(campaign.pk, "advocates"), delta=1)
    return membership, True


def memberships_join_many(
    *, campaign: Campaign, subscriber_ids: Sequence[int], new_subscribers: bool = False
) -> int:
    """Each of the team's `subscriber_ids` joins `campaign` as the campaigns API's add does
    (`membership_join` with `recount`: referrals made and received there counted at join
    time, the list totals moved), in a few statements a thousand; members already stay as
    they are, so doing it twice adds nobody twice. `new_subscribers` (created in this
    transaction, nobody's referral there: no member yet, nothing to recount) saves the
    look-ups. Returns how many joined."""
    joined = 0
    unique = list(dict.fromkeys(subscriber_ids))
    for start in range(0, len(unique), 1000):
        joined += _join_slice(campaign, unique[start : start + 1000], new_subscribers)
    return joined


def _join_slice(campaign: Campaign, subscriber_ids: list[int], new_subscribers: bool) -> int:
    if new_subscribers:
        return _join_new(campaign, subscriber_ids)
    members = CampaignMembership.objects.filter(campaign=campaign, subscriber_id__in=subscriber_ids)
    known = set(members.values_list("subscriber_id", flat=True))
    subscribers = list(
        Subscriber.objects.filter(team_id=campaign.team_id, pk__in=subscriber_ids)
        .exclude(pk__in=known)
        .only("pk", "created_at")
        .order_by("pk")
    )
    if not subscribers:
        return 0
    fresh = [subscriber.pk for subscriber in subscribers]
    counts = {
        row["referrer_id"]: (row["made"], row["verified"])
        for row in Referral.objects.filter(campaign=campaign, referrer_id__in=fresh)
        .values("referrer_id")
        .annotate(
            made=Count("pk", filter=~Q(status=Referral.Status.REJECTED)),
            verified=Count("pk", filter=Q(status=Referral.Status.VERIFIED)),
        )
    }
    referred = set(
        Referral.objects.filter(campaign=campaign, referred_id__in=fresh).values_list(
            "referred_id", flat=True
        )
    )
    now = timezone.now()
    rows = []
    for subscriber in subscribers:
        made, verified = counts.get(subscriber.pk, (0, 0))
        rows.append(
            CampaignMembership(
                team_id=campaign.team_id,
                campaign=campaign,
                subscriber=subscriber,
                referred=subscriber.pk in referred,
                referrals_count=made,
                verified_referrals_count=verified,
                score_reached_at=now if verified else None,
                subscriber_created_at=subscriber.created_at,
            )
        )
    try:
        with transaction.atomic():
            CampaignMembership.objects.bulk_create(rows)
    except IntegrityError:  # some joined concurrently: one by one, as the API would
        return sum(
            membership_join(campaign=campaign, subscriber=subscriber, recount=True)[1]
            for subscriber in subscribers
        )
    team_id, campaign_id = campaign.team_id, campaign.pk
    counter_add(team_id=team_id, name=counter_name(campaign_id, "all"), delta=len(rows))
    deltas = {
        "referrals": sum(1 for row in rows if row.referred),
        "advocates": sum(1 for row in rows if row.referrals_count > 0),
    }
    for name, delta in deltas.items():
        if delta:
            counter_add(team_id=team_id, name=counter_name(campaign_id, name), delta=delta)
    return len(rows)


def _join_new(campaign: Campaign, subscriber_ids: list[int]) -> int:
    created_at = dict(
        Subscriber.objects.filter(team_id=campaign.team_id, pk__in=subscriber_ids).values_list(
            "pk", "created_at"
        )
    )
    rows = CampaignMembership.objects.bulk_create(
        CampaignMembership(
            team_id=campaign.team_id,
            campaign=campaign,
            subscriber_id=pk,
            subscriber_created_at=created_at[pk],
        )
        for pk in subscriber_ids
        if pk in created_at
    )
    counter_add(team_id=campaign.team_id, name=counter_name(campaign.pk, "all"), delta=len(rows))
    return len(rows)


def memberships_create_new(
    *, subscriber: Subscriber, campaigns: list[Campaign], referred: list[bool]
) -> list[CampaignMembership]:
    """A subscriber created in this transaction joins `campaigns` (in one INSERT), referred
    in those whose flag in `referred` is set; their list totals count it."""
    memberships = CampaignMembership.objects.bulk_create(
        CampaignMembership(
            team_id=campaign.team_id,
            campaign=campaign,
            subscriber=subscriber,
            referred=was_referred,
            subscriber_created_at=subscriber.created_at,
        )
        for campaign, was_referred in zip(campaigns, referred, strict=True)
    )
    for membership in memberships:
        team_id, campaign_id = membership.team_id, membership.campaign_id
        counter_add(team_id=team_id, name=counter_name(campaign_id, "all"), delta=1)
        if membership.referred:
            counter_add(team_id=team_id, name=counter_name(campaign_id, "referrals"), delta=1)
    return memberships


def memberships_referral_made(*, team_id: int, campaign_ids: list[int], referrer_id: int) -> None:
    """One more referral made by `referrer_id` in each of these campaigns (one UPDATE).

    The caller holds the referrer's subscriber row lock, under which every change of its
    made/verified counts happens (lock order: `referrals/services/referrals.py`); the
    UPDATE's RETURNING tells which memberships just became advocates (0 -> 1).
    """
    if not campaign_ids:
        return
    table = connection.ops.quote_name(CampaignMembership._meta.db_table)
    marks = ", ".join(["%s"] * len(campaign_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET referrals_count = referrals_count + 1 "  # noqa: S608
            f"WHERE subscriber_id = %s AND campaign_id IN ({marks}) "
            "RETURNING campaign_id, referrals_count",
            [referrer_id, *campaign_ids],
        )
        rows = cursor.fetchall()
    for campaign_id, count in rows:
        if count == 1:
            counter_add(team_id=team_id, name=counter_name(campaign_id, "advocates"), delta=1)


def memberships_referral_unmade(*, team_id: int, campaign_ids: list[int], referrer_id: int) -> None:
    """One referral fewer made by `referrer_id` in each of these campaigns (one UPDATE,
    never below 0), under the referrer's subscriber row lock as `memberships_referral_made`;
    the RETURNING tells which memberships stopped being advocates (1 -> 0)."""
    if not campaign_ids:
        return
    table = connection.ops.quote_name(CampaignMembership._meta.db_table)
    marks = ", ".join(["%s"] * len(campaign_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET referrals_count = referrals_count - 1 "  # noqa: S608
            f"WHERE subscriber_id = %s AND campaign_id IN ({marks}) AND referrals_count > 0 "
            "RETURNING campaign_id, referrals_count",
            [referrer_id, *campaign_ids],
        )
        rows = cursor.fetchall()
    for campaign_id, count in rows:
        if count == 0:
            counter_add(team_id=team_id, name=counter_name(campaign_id, "advocates"), delta=-1)


def membership_counters_leave(membership: CampaignMembership) -> None:
    """Take a departing membership out of its campaign's list totals."""
    team_id, campaign_id = membership.team_id, membership.campaign_id
    counter_add(team_id=team_id, name=counter_name(campaign_id, "all"), delta=-1)
    if membership.referred:
        counter_add(team_id=team_id, name=counter_name(campaign_id, "referrals"), delta=-1)
    if membership.referrals_count > 0:
        counter_add(team_id=team_id, name=counter_name(campaign_id, "advocates"), delta=-1)


def membership_adjust(
    *, campaign_id: int, subscriber_id: int, made: int = 0, verified: int = 0
) -> CampaignMembership | None:
    """Move a referrer's counters in one campaign, under a lock on its membership row.

    The lock serialises every verification of one referrer's referrals, so that reward
    thresholds are crossed by exactly one transaction. None if it is not a member.
    """
    membership = (
        CampaignMembership.objects.select_for_update()
        .filter(campaign_id=campaign_id, subscriber_id=subscriber_id)
        .first()
    )
    if membership is None:
        return None
    before = membership.referrals_count
    membership.referrals_count = max(0, before + made)
    membership.verified_referrals_count = max(0, membership.verified_referrals_count + verified)
    fields = ["referrals_count", "verified_referrals_count"]
    if verified:
        membership.score_reached_at = timezone.now()
        fields.append("score_reached_at")
    membership.save(update_fields=fields)
    name = counter_name(campaign_id, "advocates")
    if before == 0 and membership.referrals_count > 0:
        counter_add(team_id=membership.team_id, name=name, delta=1)
    elif before > 0 and membership.referrals_count == 0:
        counter_add(team_id=membership.team_id, name=name, delta=-1)
    return membership


@transaction.atomic
def membership_create(
    *, campaign: Campaign, subscriber: Subscriber, identifier: str
) -> CampaignMembership:
    """Add a subscriber to a campaign; Conflict(ALREADY_MEMBER) if it is a member."""
    membership, created = membership_join(campaign=campaign, subscriber=subscriber, recount=True)
    if not created:
        raise Conflict(ALREADY_MEMBER.format(identifier=identifier))
    return membership


@transaction.atomic
def membership_delete(*, membership: CampaignMembership) -> CampaignMembership:
    """Remove a subscriber from a campaign. Its referrals there stay recorded."""
    locked = CampaignMembership.objects.select_for_update().filter(pk=membership.pk).first()
    if locked is None:
        return membership
    membership_counters_leave(locked)
    locked.delete()
    return membership


@transaction.atomic
def campaign_subscriber_create(*, campaign: Campaign, **fields: Any) -> CampaignMembership:
    """Create a subscriber of the campaign's team who joins `campaign` (API v1's create).

    `fields` are `subscriber_create`'s (email, name, referrer_code, origin, ...): the
    subscriber joins the default campaign and its referrer's campaigns as every new one
    does, and `campaign` too, in the same transaction. Raises what `subscriber_create`
    raises (Conflict(EMAIL_TAKEN) for an email already in the team).
    """
    subscriber = subscriber_create(team=campaign.team, **fields)
    membership, _ = membership_join(campaign=campaign, subscriber=subscriber)
    membership.subscriber = subscriber
    return membership
