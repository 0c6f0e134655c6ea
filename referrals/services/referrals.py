"""Referrals within campaigns: recording, screening, verification, rejection, erasure.

Lock order, everywhere: the referred subscriber, then its referrer's subscriber row
(`attribution.referrer_counts_adjust`), then the referrer's membership rows. The referral
graph is acyclic (a referrer exists before the people it refers), so this order cannot
deadlock. The subscriber-level side of a referral (its `referral_status`, the referrer's
team-wide counters, `sync_subscriber`) is `referrals/services/attribution.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, prefetch_related_objects
from django.utils import timezone

from referrals import screening
from referrals.models import Campaign, CampaignMembership, Referral
from referrals.payloads import new_referral_payload
from referrals.services.attribution import (
    referral_status_set,
    standing_remember,
    subscriber_sync_record,
)
from referrals.services.campaigns import campaign_default
from referrals.services.memberships import (
    membership_adjust,
    membership_counters_leave,
    membership_join,
    memberships_create_new,
    memberships_referral_made,
    memberships_referral_unmade,
)
from referrals.services.rewards import rewards_unlock
from sparkloop.exceptions import InvalidState, NotFound
from sparkloop.models import Team
from subscribers.models import Subscriber
from webhooks.models import Event
from webhooks.services import event_record

REFERRAL_NOT_PENDING = "Referral of {email} must be pending"
REFERRAL_NOT_FOUND = "Referral {referral.pk} not found!"
HOLDING_UNSUBSCRIBED = "Unsubscribed before the end of the holding period"


def _new_referral_event(
    campaign: Campaign, referred: Subscriber, referrer_membership: CampaignMembership | None
) -> None:
    own = CampaignMembership.objects.filter(campaign=campaign, subscriber_id=referred.pk).first()
    event_record(
        team=campaign.team,
        type=Event.Type.NEW_REFERRAL,
        payload=new_referral_payload(campaign, referred, own, referrer_membership),
    )


def _verify(*, referred: Subscriber, referrals: Iterable[Referral], decided_by: str = "") -> int:
    """Verify pending campaign referrals of a (locked) referred subscriber.

    Credits each to its referrer's membership, unlocks the rewards it reaches and emits
    `new_referral` per campaign. Returns how many were verified.
    """
    referrals = list(referrals)
    if not referrals:
        return 0
    referral_status_set(subscriber=referred, status=Subscriber.ReferralStatus.VERIFIED)
    verified = 0
    now = timezone.now()
    for referral in referrals:
        # Conditional UPDATE: a referral is verified, and credited, at most once.
        claimed = Referral.objects.filter(pk=referral.pk, status=Referral.Status.PENDING).update(
            status=Referral.Status.VERIFIED, decided_at=now, decided_by=decided_by
        )
        if not claimed:
            continue
        verified += 1
        campaign = referral.campaign
        membership = None
        if referral.referrer_id is not None:
            membership = membership_adjust(
                campaign_id=campaign.pk, subscriber_id=referral.referrer_id, verified=1
            )
        if membership is not None:
            rewards_unlock(
                campaign=campaign, membership=membership, subscriber=membership.subscriber
            )
        _new_referral_event(campaign, referred, membership)
    return verified


def _campaigns_of_referrer(
    team: Team, referred: Subscriber, referrer: Subscriber
) -> tuple[Campaign, list[Campaign], dict[str, Any]]:
    """The team's default campaign, the referrer's campaigns (with their rewards) and the
    screening figures of the referral (`screening.screening_figures_sql`), in one query
    (plus the rewards'); the referrer joins the default campaign (counting what it made
    there before) when it is in none."""
    campaign = connection.ops.quote_name(Campaign._meta.db_table)
    member = connection.ops.quote_name(CampaignMembership._meta.db_table)
    columns, column_params = screening.screening_figures_sql(referred=referred, referrer=referrer)
    # Raw SQL: the ORM's compiling of this query cost more CPU than running it.
    found = list(
        Campaign.objects.raw(
            f"SELECT c.*, EXISTS (SELECT 1 FROM {member} m WHERE m.campaign_id = c.id"  # noqa: S608
            f" AND m.subscriber_id = %s) AS referrer_member, {columns} FROM {campaign} c"
            f" WHERE (c.team_id = %s AND c.is_default) OR c.id IN"
            f" (SELECT m.campaign_id FROM {member} m WHERE m.subscriber_id = %s) ORDER BY c.id",
            [referrer.pk, *column_params, team.pk, referrer.pk],
        )
    )
    prefetch_related_objects(found, "rewards")
    default = next((c for c in found if c.is_default), None) or campaign_default(team=team)
    campaigns: list[Campaign] = [c for c in found if getattr(c, "referrer_member", False)]
    if not campaigns:
        membership_join(campaign=default, subscriber=referrer, recount=True)
        campaigns = [default]
    if not found:  # a team without its default campaign yet (made just now)
        counts = screening.velocity_counts(referred=referred, referrer=referrer)
        return default, campaigns, {**counts, "blocks": True}
    first: Any = found[0]
    figures = {
        "referrer": int(first.velocity_referrer or 0),
        "ip": int(first.velocity_ip or 0),
        "blocks": bool(first.blocks),
    }
    return default, campaigns, figures


def referral_subscriber_created(*, subscriber: Subscriber, referrer: Subscriber | None) -> None:
    """Place a new subscriber in campaigns (on `subscriber_created`, in its transaction).

    Every new subscriber joins the default campaign. A referred one is referred within
    each of its referrer's campaigns (the default one if the referrer has none) and joins
    them; each referral is screened there (and, when the subscriber was created confirmed,
    verified on the `subscriber_confirmed` that follows). `referrer` is locked by the
    create. The default campaign and the new membership in it are kept on the subscriber
    for the `sync_subscriber` of the same transaction (`standing_remember`).
    """
    team = subscriber.team
    if referrer is None:
        default = campaign_default(team=team)
        [membership] = memberships_create_new(
            subscriber=subscriber, campaigns=[default], referred=[False]
        )
        standing_remember(subscriber, default, membership)
        return
    default, campaigns, velocity = _campaigns_of_referrer(team, subscriber, referrer)
    joined = campaigns if default in campaigns else [default, *campaigns]
    memberships = memberships_create_new(
        subscriber=subscriber, campaigns=joined, referred=[c in campaigns for c in joined]
    )
    standing_remember(subscriber, default, memberships[joined.index(default)])
    base = (
        screening.referral_signals(
            referred=subscriber, referrer=referrer, blocklist=velocity["blocks"]
        )
        if any(c.screening_enabled for c in campaigns)
        else []
    )
    now = timezone.now()
    Referral.objects.bulk_create(
        Referral(
            team=team,
            campaign=campaign,
            referrer=referrer,
            referred=subscriber,
            flagged=bool(signals),
            signals=signals,
            ip_address=subscriber.ip_address,
            verify_after=(
                now + timedelta(days=campaign.holding_days)
                if campaign.verification == Campaign.Verification.HOLDING_PERIOD
                else None
            ),
        )
        for campaign in campaigns
        for signals in [screening.campaign_signals(campaign, base, velocity)]
    )
    memberships_referral_made(
        team_id=team.pk, campaign_ids=[c.pk for c in campaigns], referrer_id=referrer.pk
    )


def referral_subscriber_confirmed(*, subscriber: Subscriber) -> int:
    """The (locked) subscriber confirmed: verify what its campaigns verify on confirmation.

    That is every pending, unflagged referral in an `on_confirmation` campaign, in a
    `holding_period` campaign whose holding period is over, and in a `staff` campaign once
    staff approved it. A referral recorded before campaigns existed is verified as the
    subscriber is. Sets `subscriber.referral_status`.
    """
    if not subscriber.referred:
        return 0
    referrals = list(
        Referral.objects.filter(referred=subscriber, status=Referral.Status.PENDING, flagged=False)
        .filter(
            Q(campaign__verification=Campaign.Verification.ON_CONFIRMATION)
            | Q(
                campaign__verification=Campaign.Verification.HOLDING_PERIOD,
                verify_after__lte=timezone.now(),
            )
            | Q(campaign__verification=Campaign.Verification.STAFF, approved_at__isnull=False)
        )
        .select_related("campaign__team", "referrer")
        .prefetch_related("campaign__rewards")
    )
    if (
        not referrals
        and subscriber.referral_status == Subscriber.ReferralStatus.PENDING
        and not Referral.objects.filter(referred=subscriber).exists()
    ):
        referral_status_set(subscriber=subscriber, status=Subscriber.ReferralStatus.VERIFIED)
        return 0
    return _verify(referred=subscriber, referrals=referrals)


def referral_subscriber_rejected(*, subscriber: Subscriber) -> None:
    """`PUT /v2/subscribers/:id/reject` rejected the subscriber's referral: in every campaign.

    `attribution_subscriber_rejected` moves the subscriber-level status and team counters.
    """
    # One UPDATE ... RETURNING for the referrals, one for the referrer's memberships (the
    # referrer's subscriber row is locked by `attribution_subscriber_rejected` before).
    table = connection.ops.quote_name(Referral._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, decided_at = %s, decided_by = %s "  # noqa: S608
            "WHERE referred_id = %s AND status = %s RETURNING campaign_id, referrer_id",
            [
                Referral.Status.REJECTED.value,
                now,
                "api",
                subscriber.pk,
                Referral.Status.PENDING.value,
            ],
        )
        rejected = cursor.fetchall()
    by_referrer: dict[int, list[int]] = {}
    for campaign_id, referrer_id in rejected:
        if referrer_id is not None:
            by_referrer.setdefault(referrer_id, []).append(campaign_id)
    for referrer_id, campaign_ids in sorted(by_referrer.items()):
        memberships_referral_unmade(
            team_id=subscriber.team_id, campaign_ids=sorted(campaign_ids), referrer_id=referrer_id
        )


def referral_subscriber_deleted(*, subscriber: Subscriber) -> None:
    """Before a subscriber is erased: correct its referrers' and its campaigns' counters."""
    # The counters are written at the end of the transaction, sorted
    # (`counters_deferred`, which every subscriber service opens), as a create's are: the
    # two cannot deadlock on them.
    for membership in CampaignMembership.objects.filter(subscriber=subscriber):
        membership_counters_leave(membership)
    received = Referral.objects.filter(referred=subscriber, referrer__isnull=False).exclude(
        status=Referral.Status.REJECTED
    )
    for referral in received.order_by("pk"):
        if referral.referrer_id is None:  # excluded by the filter (this narrows the type)
            continue
        membership_adjust(
            campaign_id=referral.campaign_id,
            subscriber_id=referral.referrer_id,
            made=-1,
            verified=-1 if referral.status == Referral.Status.VERIFIED else 0,
        )


def _lock_referred(referral: Referral) -> tuple[Subscriber, Referral]:
    """The referred subscriber (locked) and the referral, fresh; NotFound if either was
    erased since it was read (the referred subscriber deleted by a concurrent request)."""
    referred = (
        Subscriber.objects.select_for_update(of=("self",))
        .select_related("team")
        .filter(pk=referral.referred_id)
        .first()
    )
    fresh = (
        Referral.objects.select_related("campaign__team", "referrer")
        .prefetch_related("campaign__rewards")
        .filter(pk=referral.pk)
        .first()
    )
    if referred is None or fresh is None:
        raise NotFound(REFERRAL_NOT_FOUND.format(referral=referral))
    return referred, fresh


def _verifiable_now(referral: Referral, referred: Subscriber, now: datetime) -> bool:
    """Whether an unflagged pending referral is due for verification, by its campaign's policy.

    Never before the referred subscriber is confirmed; a holding period must be over too,
    and a `staff` campaign's referral must have been approved.
    """
    if referred.status != Subscriber.Status.CONFIRMED:
        return False
    policy = referral.campaign.verification
    if policy == Campaign.Verification.HOLDING_PERIOD:
        return referral.verify_after is not None and referral.verify_after <= now
    if policy == Campaign.Verification.STAFF:
        return referral.approved_at is not None
    return True


@transaction.atomic
def referral_approve(*, referral: Referral, decided_by: str = "") -> Referral:
    """Staff approve a pending (typically flagged) referral: its screening flag is cleared.

    It is then verified as its campaign's policy says: at once if the referred subscriber
    is confirmed (and a holding period is over), else when it confirms (or when the holding
    sweep reaches it). In a `staff` campaign the approval is what verification waits for.
    Raises InvalidState unless it is pending. When it verifies: emits `new_referral`,
    `reward_unlocked` for the rewards it reaches, and `sync_subscriber`.
    """
    referred, referral = _lock_referred(referral)
    if referral.status != Referral.Status.PENDING:
        raise InvalidState(REFERRAL_NOT_PENDING.format(email=referred.email))
    now = timezone.now()
    Referral.objects.filter(pk=referral.pk).update(
        flagged=False, approved_at=now, approved_by=decided_by
    )
    referral.flagged, referral.approved_at, referral.approved_by = False, now, decided_by
    if _verifiable_now(referral, referred, now):
        _verify(referred=referred, referrals=[referral], decided_by=decided_by)
        subscriber_sync_record(subscriber=referred)
    referral.refresh_from_db()
    return referral


def _reject(referred: Subscriber, referral: Referral, decided_by: str) -> None:
    still_open = (
        Referral.objects.filter(referred=referred)
        .exclude(pk=referral.pk)
        .exclude(status=Referral.Status.REJECTED)
        .exists()
    )
    if not still_open and referred.referral_status == Subscriber.ReferralStatus.PENDING:
        referral_status_set(subscriber=referred, status=Subscriber.ReferralStatus.REJECTED)
    Referral.objects.filter(pk=referral.pk).update(
        status=Referral.Status.REJECTED, decided_at=timezone.now(), decided_by=decided_by
    )
    if referral.referrer_id is not None:
        membership_adjust(
            campaign_id=referral.campaign_id, subscriber_id=referral.referrer_id, made=-1
        )
    subscriber_sync_record(subscriber=referred)


@transaction.atomic
def referral_reject(*, referral: Referral, decided_by: str = "") -> Referral:
    """Staff reject a pending referral in its campaign; it no longer counts for the referrer.

    When it was the subscriber's last open referral, the subscriber's `referral_status`
    becomes `rejected` too. Raises InvalidState unless pending. Emits `sync_subscriber`.
    """
    referred, referral = _lock_referred(referral)
    if referral.status != Referral.Status.PENDING:
        raise InvalidState(REFERRAL_NOT_PENDING.format(email=referred.email))
    _reject(referred, referral, decided_by)
    referral.refresh_from_db()
    return referral


@transaction.atomic
def referral_holding_settle(*, referral_id: int, now: datetime | None = None) -> str | None:
    """End the holding period of one referral: verified if the referred is confirmed,
    rejected if it unsubscribed, left pending otherwise. Idempotent; returns the outcome."""
    referral = Referral.objects.filter(pk=referral_id).first()
    if referral is None:
        return None
    referred, referral = _lock_referred(referral)
    now = now or timezone.now()
    if (
        referral.status != Referral.Status.PENDING
        or referral.flagged
        or referral.verify_after is None
        or referral.verify_after > now
    ):
        return None
    if referred.status == Subscriber.Status.CONFIRMED:
        _verify(referred=referred, referrals=[referral], decided_by="holding-period")
        subscriber_sync_record(subscriber=referred)
        return Referral.Status.VERIFIED
    if referred.status == Subscriber.Status.UNSUBSCRIBED:
        Referral.objects.filter(pk=referral.pk).update(
            signals=[*referral.signals, {"code": "unsubscribed", "reason": HOLDING_UNSUBSCRIBED}]
        )
        _reject(referred, referral, "holding-period")
        return Referral.Status.REJECTED
    return None


def referral_holding_sweep(*, now: datetime | None = None, batch: int = 500) -> int:
    """Settle holding-period referrals that are due (beat job). Returns how many settled.

    Only referrals whose referred subscriber has decided (confirmed or unsubscribed) are
    taken; each is settled in its own transaction, idempotently.
    """
    now = now or timezone.now()
    due = (
        Referral.objects.filter(
            status=Referral.Status.PENDING,
            flagged=False,
            verify_after__lte=now,
            referred__status__in=[Subscriber.Status.CONFIRMED, Subscriber.Status.UNSUBSCRIBED],
        )
        .order_by("verify_after")
        .values_list("pk", flat=True)[:batch]
    )
    return sum(1 for pk in list(due) if referral_holding_settle(referral_id=pk, now=now))
