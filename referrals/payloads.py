"""Campaign-aware pieces of wire objects: referral links, next rewards, webhook payloads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from referrals.models import Campaign, CampaignMembership, Reward, RewardGrant
from subscribers.models import Subscriber
from subscribers.payloads import subscriber_webhook_object


def referral_link(campaign: Campaign, subscriber: Subscriber) -> str | None:
    """`<landing_url>?rh_ref=<ref_code>` (reference §12.2); None without a landing URL."""
    if not campaign.landing_url:
        return None
    separator = "&" if "?" in campaign.landing_url else "?"
    return f"{campaign.landing_url}{separator}{urlencode({'rh_ref': subscriber.ref_code})}"


def next_reward(count: int, rewards: Iterable[Reward]) -> int | None:
    """Verified referrals still needed for the nearest reward not yet reached; None if none."""
    needed: int | None = None
    for reward in rewards:
        if reward.recurring:
            target = (count // reward.referrals + 1) * reward.referrals
        elif count < reward.referrals:
            target = reward.referrals
        else:
            continue
        if needed is None or target - count < needed:
            needed = target - count
    return needed


def member_webhook_object(
    campaign: Campaign, subscriber: Subscriber, membership: CampaignMembership | None
) -> dict[str, Any]:
    """A subscriber as webhook payloads carry it, counted within `campaign`."""
    count = membership.verified_referrals_count if membership is not None else 0
    return subscriber_webhook_object(
        subscriber,
        referral_link=referral_link(campaign, subscriber),
        next_reward=next_reward(count, campaign.rewards.all()),
        tot_referrals=count,
    )


def reward_object(reward: Reward) -> dict[str, Any]:
    return {
        "id": reward.public_id,
        "name": reward.name,
        "referrals": reward.referrals,
        "recurring": reward.recurring,
    }


def reward_event_payload(
    grant: RewardGrant, subscriber: Subscriber, membership: CampaignMembership | None
) -> dict[str, Any]:
    """`reward_unlocked` (and the base of `reward_redeemed`), reference §12.2."""
    return {
        "campaign_id": grant.campaign.public_id,
        "referrals": grant.referrals,
        "coupon_code": grant.coupon_code,
        "subscriber": member_webhook_object(grant.campaign, subscriber, membership),
        "reward": reward_object(grant.reward),
    }
