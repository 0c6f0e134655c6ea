"""A subscriber's standing in a campaign, and the referral webhook payloads (reference §12.2).

`campaign_standing` is the one computation of `referral_link`, `tot_referrals` and
`next_reward`: the API's member and program objects (`referrals/serializers.py`) and the
webhook payloads below all take it from here.
"""

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


def campaign_standing(
    campaign: Campaign, subscriber: Subscriber, membership: CampaignMembership | None
) -> dict[str, Any]:
    """`referral_link`, `tot_referrals` (verified, maintained) and `next_reward` in `campaign`.

    `campaign.rewards.all()` is read: prefetch it when rendering many.
    """
    count = membership.verified_referrals_count if membership is not None else 0
    return {
        "referral_link": referral_link(campaign, subscriber),
        "tot_referrals": count,
        "next_reward": next_reward(count, campaign.rewards.all()),
    }


def member_webhook_object(
    campaign: Campaign, subscriber: Subscriber, membership: CampaignMembership | None
) -> dict[str, Any]:
    """A subscriber as webhook payloads carry it, counted within `campaign`."""
    return subscriber_webhook_object(
        subscriber, **campaign_standing(campaign, subscriber, membership)
    )


def sync_subscriber_payload(
    campaign: Campaign, subscriber: Subscriber, membership: CampaignMembership | None
) -> dict[str, Any]:
    """`sync_subscriber`: the subscriber counted within the team's default campaign."""
    return {
        "campaign_id": campaign.public_id,
        "subscriber": member_webhook_object(campaign, subscriber, membership),
    }


def new_referral_payload(
    campaign: Campaign,
    referred: Subscriber,
    own: CampaignMembership | None,
    referrer_membership: CampaignMembership | None,
) -> dict[str, Any]:
    """`new_referral`: the referred subscriber and its referrer, whose count includes it."""
    referrer = referrer_membership.subscriber if referrer_membership is not None else None
    return {
        "campaign_id": campaign.public_id,
        "subscriber": member_webhook_object(campaign, referred, own),
        "referrer": (
            member_webhook_object(campaign, referrer, referrer_membership)
            if referrer is not None
            else None
        ),
    }


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
    """`reward_unlocked`, reference §12.2."""
    return {
        "campaign_id": grant.campaign.public_id,
        "referrals": grant.referrals,
        "coupon_code": grant.coupon_code,
        "subscriber": member_webhook_object(grant.campaign, subscriber, membership),
        "reward": reward_object(grant.reward),
    }


def reward_redeemed_payload(
    grant: RewardGrant, subscriber: Subscriber, membership: CampaignMembership | None
) -> dict[str, Any]:
    """`reward_redeemed`: `reward_unlocked`'s payload and what was redeemed."""
    return {
        **reward_event_payload(grant, subscriber, membership),
        "reward_variant_name": grant.reward_variant_name,
        "reward_variant_sku": grant.reward_variant_sku,
        "shipping_details": grant.shipping_details,
    }
