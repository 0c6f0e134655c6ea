"""How the referrals app reacts to what the rooms below it announce (connected in ready()).

Each receiver runs inside the announcing service's transaction: the subscriber-level side
of a referral first (`attribution`), then its side in each campaign (`referrals`), in the
lock order documented in `referrals/services/referrals.py`.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from referrals.selectors import campaign_get
from referrals.services import (
    attribution_subscriber_created,
    attribution_subscriber_deleted,
    attribution_subscriber_rejected,
    memberships_join_many,
    referral_subscriber_confirmed,
    referral_subscriber_created,
    referral_subscriber_deleted,
    referral_subscriber_rejected,
    subscriber_sync_record,
    team_setup_referrals,
)
from sparkloop.models import Team
from sparkloop.signals import team_created
from subscribers.models import Subscriber
from subscribers.signals import (
    campaign_resolve,
    subscriber_changed,
    subscriber_confirmed,
    subscriber_created,
    subscriber_deleted,
    subscriber_rejected,
    subscribers_campaign_add,
)


@receiver(team_created, dispatch_uid="referrals.team_created")
def on_team_created(sender: type[Team], *, team: Team, **kwargs: Any) -> None:
    team_setup_referrals(team=team)


@receiver(subscriber_created, dispatch_uid="referrals.subscriber_created")
def on_subscriber_created(
    sender: type[Subscriber], *, subscriber: Subscriber, referrer: Subscriber | None, **kwargs: Any
) -> None:
    attribution_subscriber_created(subscriber=subscriber, referrer=referrer)
    referral_subscriber_created(subscriber=subscriber, referrer=referrer)


@receiver(subscriber_confirmed, dispatch_uid="referrals.subscriber_confirmed")
def on_subscriber_confirmed(
    sender: type[Subscriber], *, subscriber: Subscriber, **kwargs: Any
) -> None:
    referral_subscriber_confirmed(subscriber=subscriber)


@receiver(subscriber_rejected, dispatch_uid="referrals.subscriber_rejected")
def on_subscriber_rejected(
    sender: type[Subscriber], *, subscriber: Subscriber, **kwargs: Any
) -> None:
    attribution_subscriber_rejected(subscriber=subscriber)
    referral_subscriber_rejected(subscriber=subscriber)


@receiver(subscriber_deleted, dispatch_uid="referrals.subscriber_deleted")
def on_subscriber_deleted(
    sender: type[Subscriber], *, subscriber: Subscriber, **kwargs: Any
) -> None:
    attribution_subscriber_deleted(subscriber=subscriber)
    referral_subscriber_deleted(subscriber=subscriber)


@receiver(subscriber_changed, dispatch_uid="referrals.subscriber_changed")
def on_subscriber_changed(
    sender: type[Subscriber], *, subscriber: Subscriber, **kwargs: Any
) -> None:
    subscriber_sync_record(subscriber=subscriber)


@receiver(campaign_resolve, dispatch_uid="referrals.campaign_resolve")
def on_campaign_resolve(
    sender: type[Subscriber], *, team: Team, identifier: str, **kwargs: Any
) -> str:
    """The public id of the team's campaign `identifier`; NotFound for any other."""
    return campaign_get(team=team, identifier=identifier).public_id


@receiver(subscribers_campaign_add, dispatch_uid="referrals.subscribers_campaign_add")
def on_subscribers_campaign_add(
    sender: type[Subscriber],
    *,
    team: Team,
    campaign: str,
    subscriber_ids: list[int],
    **kwargs: Any,
) -> None:
    memberships_join_many(
        campaign=campaign_get(team=team, identifier=campaign), subscriber_ids=subscriber_ids
    )
