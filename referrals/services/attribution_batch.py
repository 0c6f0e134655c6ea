"""Referral attribution for a batch of new subscribers (`subscribers_created`).

What `referrals/receivers.py` does for one new subscriber (`subscriber_created`, then
`subscriber_confirmed` when created confirmed, then `subscriber_changed`), done for a batch:
the subscribers nobody referred (most of any import) set-based (their default-campaign
memberships in one INSERT, the campaign's counter moved once); the referred ones one by one,
in the batch's order, through the very functions a single create calls (a referral is
screened, recorded in each of the referrer's campaigns and maybe verified: per referral work
whatever the path), so both paths give the same rows; and everyone's `sync_subscriber`
events in one INSERT. An import's `campaign`, if any, is joined as the campaigns API adds a
member: by the plain ones at once, by each referred one right after its referral (so a later
row referred by an earlier one is referred in that campaign too, as row by row).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import prefetch_related_objects

from referrals.models import CampaignMembership
from referrals.payloads import sync_subscriber_payload
from referrals.selectors import campaign_get, counter_name, default_campaigns_with_rewards
from referrals.services.attribution import attribution_subscriber_created, standing_remember
from referrals.services.campaigns import campaign_default
from referrals.services.memberships import membership_join, memberships_join_many
from referrals.services.referrals import (
    referral_subscriber_confirmed,
    referral_subscriber_created,
)
from sparkloop.counters import counter_add
from sparkloop.inserts import rows_insert
from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.selectors import COUNTER_REFERRED
from webhooks.models import Event
from webhooks.services.events_batch import events_record_later, events_record_many


def attribution_subscribers_created(
    *,
    team: Team,
    created: Sequence[tuple[Subscriber, Subscriber | None]],
    send_webhooks: bool = True,
    campaign: str = "",
) -> None:
    """Attribute a batch of new subscribers (in its transaction) as single creates would.

    `created` holds `(subscriber, referrer or None)` in the batch's order; with
    `send_webhooks` False no `sync_subscriber` event is written (an import that asked so).
    With `campaign` (a public id of the team's) each also joins that campaign; NotFound if
    the team has no such campaign (any more).
    """
    target = campaign_get(team=team, identifier=campaign) if campaign else None
    default = campaign_default(team=team)
    plain = [subscriber for subscriber, referrer in created if referrer is None]
    memberships = CampaignMembership.objects.bulk_create(
        CampaignMembership(
            team_id=team.pk,
            campaign=default,
            subscriber=subscriber,
            subscriber_created_at=subscriber.created_at,
        )
        for subscriber in plain
    )
    counter_add(team_id=team.pk, name=counter_name(default.pk, "all"), delta=len(memberships))
    # Referred from outside the team (the partner network: no referrer here), counted as
    # `attribution_subscriber_created` counts them.
    counter_add(team_id=team.pk, name=COUNTER_REFERRED, delta=sum(s.referred for s in plain))
    if target is not None:
        memberships_join_many(
            campaign=target, subscriber_ids=[s.pk for s in plain], new_subscribers=True
        )
    referred = [subscriber for subscriber, referrer in created if referrer is not None]
    for subscriber, referrer in created:
        if referrer is None:
            continue
        attribution_subscriber_created(subscriber=subscriber, referrer=referrer)
        referral_subscriber_created(subscriber=subscriber, referrer=referrer)
        if subscriber.status == Subscriber.Status.CONFIRMED:
            referral_subscriber_confirmed(subscriber=subscriber)
        if target is not None:
            membership_join(campaign=target, subscriber=subscriber, recount=True)
    if not send_webhooks or not created:
        return
    # `sync_subscriber` of each, counted within the default campaign (as
    # `subscriber_sync_record` does one by one), all in one INSERT.
    standing = {m.subscriber_id: m for m in memberships}
    standing |= {
        m.subscriber_id: m
        for m in CampaignMembership.objects.filter(campaign=default, subscriber__in=referred)
    }
    prefetch_related_objects([default], "rewards")
    events_record_many(
        team=team,
        type=Event.Type.SYNC_SUBSCRIBER,
        payloads=[
            sync_subscriber_payload(default, subscriber, standing.get(subscriber.pk))
            for subscriber, _ in created
        ],
    )


def attribution_subscribers_created_across(*, created: Sequence[Subscriber]) -> None:
    """`attribution_subscribers_created` for new subscribers of several teams at once, none
    referred by a subscriber of its team (`subscribers_created_across`): the teams' default
    campaigns (and their rewards) read once, every membership in one INSERT, the counters
    moved per team, and each team's `sync_subscriber` events recorded with
    `events_record_later` (the caller's `events_deferred()` block writes them with its
    others in one INSERT). The default campaign and membership stay on each subscriber
    (`standing_remember`)."""
    teams = {subscriber.team_id: subscriber.team for subscriber in created}
    defaults = default_campaigns_with_rewards(team_ids=teams)
    for team_id, team in teams.items():
        if team_id not in defaults:  # a team that predates default campaigns
            defaults[team_id] = campaign_default(team=team)
    memberships = rows_insert(
        [
            CampaignMembership(
                team_id=subscriber.team_id,
                campaign=defaults[subscriber.team_id],
                subscriber=subscriber,
                subscriber_created_at=subscriber.created_at,
            )
            for subscriber in created
        ]
    )
    for team_id in sorted(teams):
        mine = [s for s in created if s.team_id == team_id]
        default = defaults[team_id]
        counter_add(team_id=team_id, name=counter_name(default.pk, "all"), delta=len(mine))
        counter_add(team_id=team_id, name=COUNTER_REFERRED, delta=sum(s.referred for s in mine))
    prefetch_related_objects(  # a team's default campaign made just now, if any
        [c for c in defaults.values() if not hasattr(c, "_prefetched_objects_cache")], "rewards"
    )
    for subscriber, membership in zip(created, memberships, strict=True):
        standing_remember(subscriber, defaults[subscriber.team_id], membership)
    for team_id in sorted(teams):  # one INSERT with the caller's other events, if deferred
        events_record_later(
            team_id=team_id,
            type=Event.Type.SYNC_SUBSCRIBER,
            payloads=[
                sync_subscriber_payload(defaults[team_id], subscriber, membership)
                for subscriber, membership in zip(created, memberships, strict=True)
                if subscriber.team_id == team_id
            ],
        )
