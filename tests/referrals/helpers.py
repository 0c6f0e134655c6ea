"""Building blocks of the referral tests: campaigns with rewards, referrers and referrals."""

from __future__ import annotations

from typing import Any

from referrals.models import Campaign
from referrals.services import campaign_create
from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.services import subscriber_create, subscriber_update


def default_campaign(team: Team) -> Campaign:
    return Campaign.objects.get(team=team, is_default=True)


def configure(campaign: Campaign, **fields: object) -> Campaign:
    Campaign.objects.filter(pk=campaign.pk).update(**fields)
    campaign.refresh_from_db()
    return campaign


def refer(team: Team, referrer: Subscriber, email: str, **kwargs: Any) -> Subscriber:
    return subscriber_create(team=team, email=email, referrer_code=referrer.ref_code, **kwargs)


def confirm(subscriber: Subscriber) -> Subscriber:
    return subscriber_update(subscriber=subscriber, status=Subscriber.Status.CONFIRMED)


def campaign_with_rewards(team: Team, *rewards: dict[str, Any], **fields: Any) -> Campaign:
    return campaign_create(team=team, name="Rewards", rewards=list(rewards), **fields)
