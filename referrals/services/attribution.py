"""Referral attribution at the subscriber level: the one owner of what a referral counts.

This module alone moves a subscriber's `referral_status` after its creation, a referrer's
maintained counters (`referrals_count`: made and not rejected; `verified_referrals_count`),
the team-wide `subscribers.referred` and `subscribers.advocates` counters, and writes the
`sync_subscriber` events. The subscribers app announces its changes through
`subscribers.signals`; `referrals/receivers.py` calls these functions inside the same
transaction. The per-campaign side of a referral is `referrals/services/referrals.py`.

Lock order: see `referrals/services/referrals.py`.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F
from django.utils import timezone

from referrals.models import Campaign, CampaignMembership
from referrals.payloads import sync_subscriber_payload
from referrals.services.campaigns import campaign_default
from sparkloop.counters import counter_add
from subscribers.models import Subscriber
from subscribers.selectors import COUNTER_ADVOCATES, COUNTER_REFERRED
from webhooks.models import Event
from webhooks.services import event_record


def referrer_counts_adjust(
    *,
    referrer_id: int,
    team_id: int,
    made: int = 0,
    verified: int = 0,
    locked: Subscriber | None = None,
) -> None:
    """Move a referrer's maintained counters, and the team's advocate count with them.

    `locked`: the referrer's row as read under a lock already held by this transaction
    (`subscriber_create` locks the referrer it finds), so it need not be read again.
    """
    # The row lock serialises concurrent referrals of one referrer, so the 0 <-> 1
    # transition of referrals_count (advocate or not) is seen by exactly one transaction:
    # the UPDATE takes it and its RETURNING is the count after it, under the lock (one
    # statement, no read before it).
    if locked is not None:  # the instance stays what the row is
        locked.referrals_count += made
        locked.verified_referrals_count += verified
        Subscriber.objects.filter(pk=referrer_id).update(
            referrals_count=F("referrals_count") + made,
            verified_referrals_count=F("verified_referrals_count") + verified,
        )
        after = locked.referrals_count
    else:
        table = connection.ops.quote_name(Subscriber._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET referrals_count = referrals_count + %s, "  # noqa: S608
                "verified_referrals_count = verified_referrals_count + %s "
                "WHERE id = %s RETURNING referrals_count",
                [made, verified, referrer_id],
            )
            row = cursor.fetchone()
        if row is None:  # erased: nothing of it is counted any more
            return
        after = int(row[0])
    before = after - made
    if before == 0 and after > 0:
        counter_add(team_id=team_id, name=COUNTER_ADVOCATES, delta=1)
    elif before > 0 and after == 0:
        counter_add(team_id=team_id, name=COUNTER_ADVOCATES, delta=-1)


def _referrer_of(referred: Subscriber, *, made: int = 0, verified: int = 0) -> None:
    if referred.referrer_id is not None:
        referrer_counts_adjust(
            referrer_id=referred.referrer_id, team_id=referred.team_id, made=made, verified=verified
        )


def referral_status_set(*, subscriber: Subscriber, status: str) -> None:
    """Move the (locked) subscriber's `referral_status`, and its referrer's counters with it.

    Verified: one more verified referral for the referrer. Pending to rejected: one fewer
    referral made. The instance is updated too.
    """
    before = subscriber.referral_status
    if before == status:
        return
    subscriber.referral_status = status
    Subscriber.objects.filter(pk=subscriber.pk).update(
        referral_status=status, updated_at=timezone.now()
    )
    if status == Subscriber.ReferralStatus.VERIFIED:
        _referrer_of(subscriber, verified=1)
    elif (
        status == Subscriber.ReferralStatus.REJECTED and before == Subscriber.ReferralStatus.PENDING
    ):
        _referrer_of(subscriber, made=-1)


def referral_statuses_set(*, subscribers: list[Subscriber], status: str) -> None:
    """referral_status_set for many (locked) subscribers, e.g. a settled batch of partner
    referrals: those without a referrer in the team (nobody's counters move) in one UPDATE,
    the others one by one."""
    alone = [s for s in subscribers if s.referrer_id is None and s.referral_status != status]
    if alone:
        Subscriber.objects.filter(pk__in=[s.pk for s in alone]).update(
            referral_status=status, updated_at=timezone.now()
        )
        for subscriber in alone:
            subscriber.referral_status = status
    for subscriber in subscribers:
        if subscriber.referrer_id is not None:
            referral_status_set(subscriber=subscriber, status=status)


def attribution_subscriber_created(*, subscriber: Subscriber, referrer: Subscriber | None) -> None:
    """A new subscriber: counted as referred, and as one more referral of its referrer."""
    if subscriber.referred:
        counter_add(team_id=subscriber.team_id, name=COUNTER_REFERRED, delta=1)
    if referrer is not None:  # locked by subscriber_create
        referrer_counts_adjust(
            referrer_id=referrer.pk, team_id=subscriber.team_id, made=1, locked=referrer
        )


def attribution_subscriber_rejected(*, subscriber: Subscriber) -> None:
    """`PUT /v2/subscribers/:id/reject`: the pending referral is rejected."""
    referral_status_set(subscriber=subscriber, status=Subscriber.ReferralStatus.REJECTED)


def attribution_subscriber_deleted(*, subscriber: Subscriber) -> None:
    """Before a subscriber is erased: take it out of every count it is in."""
    team_id = subscriber.team_id
    if subscriber.referred:
        counter_add(team_id=team_id, name=COUNTER_REFERRED, delta=-1)
    if subscriber.referrals_count > 0:
        counter_add(team_id=team_id, name=COUNTER_ADVOCATES, delta=-1)
    status = subscriber.referral_status
    _referrer_of(
        subscriber,
        made=-1 if status != Subscriber.ReferralStatus.REJECTED else 0,
        verified=-1 if status == Subscriber.ReferralStatus.VERIFIED else 0,
    )


# Where `standing_remember` keeps the default campaign and membership on the instance.
_STANDING = "_referrals_default_standing"


def standing_remember(
    subscriber: Subscriber, campaign: Campaign, membership: CampaignMembership
) -> None:
    """Keep a new subscriber's default campaign and membership (both just written) on the
    instance, for the `sync_subscriber` event of the same create."""
    setattr(subscriber, _STANDING, (campaign, membership))


def standing_of(subscriber: Subscriber) -> tuple[Campaign, CampaignMembership] | None:
    """The default campaign and membership a create in this transaction kept on the new
    subscriber (`standing_remember`), if any: what it was counted within, not read again."""
    return getattr(subscriber, _STANDING, None)


def subscriber_sync_record(*, subscriber: Subscriber) -> None:
    """Write the `sync_subscriber` event of a subscriber's current state (the only writer).

    The subscriber is counted within the team's default campaign (as the create left it in
    hand, `standing_remember`, or read).
    """
    known: tuple[Campaign, CampaignMembership] | None = getattr(subscriber, _STANDING, None)
    if known is not None:
        event_record(
            team=subscriber.team,
            type=Event.Type.SYNC_SUBSCRIBER,
            payload=sync_subscriber_payload(known[0], subscriber, known[1]),
        )
        return
    membership = (
        CampaignMembership.objects.filter(subscriber_id=subscriber.pk, campaign__is_default=True)
        .select_related("campaign")
        .first()
    )
    campaign = membership.campaign if membership else campaign_default(team=subscriber.team)
    event_record(
        team=subscriber.team,
        type=Event.Type.SYNC_SUBSCRIBER,
        payload=sync_subscriber_payload(campaign, subscriber, membership),
    )
