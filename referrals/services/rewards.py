"""Rewards: unlocking in the verifying transaction, approval, coupons and redemption."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from referrals.models import Campaign, CampaignMembership, RewardCoupon, RewardGrant
from referrals.payloads import reward_event_payload, reward_redeemed_payload
from referrals.selectors import GRANT_NOT_FOUND
from sparkloop.exceptions import InvalidState, NotFound
from subscribers.models import Subscriber
from webhooks.models import Event
from webhooks.services import event_record

GRANT_NOT_PENDING_APPROVAL = "Reward {grant_id} is not waiting for approval"
GRANT_NOT_UNLOCKED = "Reward {grant_id} has not been unlocked"
GRANT_ALREADY_REDEEMED = "Reward {grant_id} has already been redeemed"


def _coupon_take(grant: RewardGrant) -> None:
    # skip_locked: concurrent unlocks of one reward by different subscribers take
    # different codes instead of queueing on the first free one.
    coupon = (
        RewardCoupon.objects.select_for_update(skip_locked=True)
        .filter(reward_id=grant.reward_id, handed_out_at__isnull=True)
        .order_by("id")
        .first()
    )
    if coupon is not None:
        coupon.grant = grant
        coupon.handed_out_at = timezone.now()
        coupon.save(update_fields=["grant", "handed_out_at"])
        grant.coupon_code = coupon.code


def _membership(grant: RewardGrant) -> CampaignMembership | None:
    return CampaignMembership.objects.filter(
        campaign_id=grant.campaign_id, subscriber_id=grant.subscriber_id
    ).first()


def _unlock(
    grant: RewardGrant, subscriber: Subscriber, membership: CampaignMembership | None
) -> None:
    grant.status = RewardGrant.Status.UNLOCKED
    grant.unlocked_at = timezone.now()
    _coupon_take(grant)
    grant.save(update_fields=["status", "unlocked_at", "coupon_code", "decided_by"])
    event_record(
        team=grant.campaign.team,
        type=Event.Type.REWARD_UNLOCKED,
        payload=reward_event_payload(grant, subscriber, membership),
    )


def rewards_unlock(
    *, campaign: Campaign, membership: CampaignMembership, subscriber: Subscriber
) -> list[RewardGrant]:
    """Grant every reward (occurrence) the member's verified count has reached.

    Runs under the membership's row lock (taken by `membership_adjust`), so the check and
    the insert are not raced; the unique constraint on (reward, subscriber, occurrence) is
    the backstop. Emits `reward_unlocked` for each grant not waiting for approval.
    """
    count = membership.verified_referrals_count
    rewards = list(campaign.rewards.all())
    if not any(count >= reward.referrals for reward in rewards):
        return []
    have = set(
        RewardGrant.objects.filter(campaign=campaign, subscriber=subscriber).values_list(
            "reward_id", "occurrence"
        )
    )
    grants = []
    for reward in rewards:
        due = count // reward.referrals if reward.recurring else int(count >= reward.referrals)
        for occurrence in range(1, due + 1):
            if (reward.pk, occurrence) in have:
                continue
            grant = RewardGrant(
                team_id=campaign.team_id,
                campaign=campaign,
                reward=reward,
                subscriber=subscriber,
                occurrence=occurrence,
                referrals=occurrence * reward.referrals,
                status=RewardGrant.Status.PENDING_APPROVAL,
            )
            try:
                with transaction.atomic():
                    grant.save(force_insert=True)
            except IntegrityError:  # granted by a concurrent transaction
                continue
            if not reward.requires_approval:
                _unlock(grant, subscriber, membership)
            grants.append(grant)
    return grants


def _lock(grant: RewardGrant) -> RewardGrant:
    """The grant, locked and fresh; NotFound (the API's 404) if it was erased since it was
    read, with its subscriber by a concurrent request."""
    locked = (
        RewardGrant.objects.select_for_update(of=("self",))
        .select_related("campaign__team", "reward", "subscriber")
        .filter(pk=grant.pk)
        .first()
    )
    if locked is None:
        raise NotFound(GRANT_NOT_FOUND.format(identifier=grant.public_id))
    return locked


@transaction.atomic
def grant_approve(*, grant: RewardGrant, decided_by: str = "") -> RewardGrant:
    """Staff approve a reward that requires it: it unlocks (coupon, `reward_unlocked`)."""
    grant = _lock(grant)
    if grant.status != RewardGrant.Status.PENDING_APPROVAL:
        raise InvalidState(GRANT_NOT_PENDING_APPROVAL.format(grant_id=grant.public_id))
    grant.decided_by = decided_by
    _unlock(grant, grant.subscriber, _membership(grant))
    return grant


@transaction.atomic
def grant_reject(*, grant: RewardGrant, decided_by: str = "") -> RewardGrant:
    """Staff refuse a reward waiting for approval."""
    grant = _lock(grant)
    if grant.status != RewardGrant.Status.PENDING_APPROVAL:
        raise InvalidState(GRANT_NOT_PENDING_APPROVAL.format(grant_id=grant.public_id))
    grant.status = RewardGrant.Status.REJECTED
    grant.decided_by = decided_by
    grant.save(update_fields=["status", "decided_by"])
    return grant


@transaction.atomic
def grant_redeem(
    *,
    grant: RewardGrant,
    reward_variant_name: str | None = None,
    reward_variant_sku: str | None = None,
    shipping_details: dict[str, Any] | None = None,
    decided_by: str = "",
) -> RewardGrant:
    """Record the redemption of an unlocked reward; emits `reward_redeemed`.

    Raises InvalidState if it was redeemed already or is not unlocked (waiting for
    approval, or refused).
    """
    grant = _lock(grant)
    if grant.status == RewardGrant.Status.REDEEMED:
        raise InvalidState(GRANT_ALREADY_REDEEMED.format(grant_id=grant.public_id))
    if grant.status != RewardGrant.Status.UNLOCKED:
        raise InvalidState(GRANT_NOT_UNLOCKED.format(grant_id=grant.public_id))
    grant.status = RewardGrant.Status.REDEEMED
    grant.redeemed_at = timezone.now()
    grant.reward_variant_name = reward_variant_name
    grant.reward_variant_sku = reward_variant_sku
    grant.shipping_details = shipping_details
    if decided_by:
        grant.decided_by = decided_by
    grant.save()
    event_record(
        team=grant.campaign.team,
        type=Event.Type.REWARD_REDEEMED,
        payload=reward_redeemed_payload(grant, grant.subscriber, _membership(grant)),
    )
    return grant
