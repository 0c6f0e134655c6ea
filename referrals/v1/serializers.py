"""API v1's wire shapes: what it parses, and its objects, built on v2's renderers.

v1 differs from v2 only where SparkLoop's documentation of API v1 says so: a
subscriber object has `referrals_count` and no `referred`, `referral_status`,
`country_code` or `cpa`; the create body has no `country_code`; a campaign is renamed
with `name` alone; webhooks know two event flags; lists carry no `meta`. Everything else is
the v2 object as v2 renders it (campaigns, events, webhooks), so the two never drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rest_framework import serializers

from referrals import serializers as v2_referrals
from referrals.models import Campaign, CampaignMembership
from referrals.payloads import campaign_standing
from sparkloop.models import Team
from subscribers import serializers as v2_subscribers
from subscribers.models import Subscriber
from webhooks import serializers as v2_webhooks
from webhooks.models import Event, WebhookEndpoint

# The origin of the subscribers created through API v1, as its documentation shows it.
ORIGIN = "api"
# The two event flags a webhook had in API v1 (v2 added `new_partner_referral` and
# `reward_redeemed`).
WEBHOOK_FLAGS: tuple[str, ...] = (Event.Type.NEW_REFERRAL.value, Event.Type.REWARD_UNLOCKED.value)
# Fields of v2's subscriber object that v1's lacks.
SUBSCRIBER_FIELDS_DROPPED = frozenset({"referred", "referral_status", "country_code", "cpa"})


class V1SubscriberCreateInputSerializer(v2_subscribers.SubscriberCreateInputSerializer):
    """v2's create body without `country_code` and v2's own-`ref_code` extension (a v1
    body's are ignored)."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        del fields["country_code"], fields["ref_code"]
        return fields


class V1CampaignUpdateInputSerializer(v2_referrals.CampaignUpdateInputSerializer):
    """`name`, the one field v1 renames a campaign with (v2's extensions are ignored)."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {"name": super().get_fields()["name"]}


class V1WebhookCreateInputSerializer(v2_webhooks.WebhookCreateInputSerializer):
    """`url` and v1's two flags."""

    flag_names = WEBHOOK_FLAGS


class V1WebhookUpdateInputSerializer(v2_webhooks.WebhookUpdateInputSerializer):
    """`url`, v1's two flags and `enabled` (as in v2)."""

    flag_names = WEBHOOK_FLAGS


def _subscriber_object(
    item: Mapping[str, Any], *, referrals_count: int, standing: Mapping[str, Any]
) -> dict[str, Any]:
    """v2's subscriber object as v1 has it: `referrals_count` after `referrer_code` (where
    the documentation shows it), without the fields v1 lacks, with the campaign standing."""
    found: dict[str, Any] = {}
    for key, value in item.items():
        if key in SUBSCRIBER_FIELDS_DROPPED:
            continue
        found[key] = value
        if key == "referrer_code":
            found["referrals_count"] = referrals_count
    return {**found, **standing}


def subscriber_objects(
    campaign: Campaign,
    members: Sequence[tuple[Subscriber, CampaignMembership | None]],
    *,
    team: Team,
) -> list[dict[str, Any]]:
    """The one renderer of API v1's subscriber object: a subscriber within `campaign`.

    `referrals_count` is its referrals in the campaign that are not rejected (pending or
    verified: what makes it an advocate there, a maintained counter); `referral_link`,
    `tot_referrals` (verified) and `next_reward` are its standing there, as in v2's member
    view. A subscriber no longer in the campaign (`None`: a referral of a member who left
    it) counts nothing there.
    """
    items = v2_subscribers.subscriber_objects([s for s, _ in members], team=team)
    return [
        _subscriber_object(
            item,
            referrals_count=membership.referrals_count if membership is not None else 0,
            standing=campaign_standing(campaign, subscriber, membership),
        )
        for item, (subscriber, membership) in zip(items, members, strict=True)
    ]


def member_objects(
    campaign: Campaign, memberships: Sequence[CampaignMembership], *, team: Team
) -> list[dict[str, Any]]:
    """Members of `campaign` as v1 subscriber objects."""
    return subscriber_objects(campaign, [(m.subscriber, m) for m in memberships], team=team)


def webhook_objects(
    endpoints: Iterable[WebhookEndpoint], *, with_secret: bool = False
) -> list[dict[str, Any]]:
    """v2's webhook object with v1's two event flags (and its signing secret, once, when
    it is created)."""
    serializer = (
        v2_webhooks.WebhookWithSecretOutputSerializer
        if with_secret
        else v2_webhooks.WebhookOutputSerializer
    )
    items = [dict(item) for item in serializer(list(endpoints), many=True).data]
    for item in items:
        item["events"] = {name: item["events"][name] for name in WEBHOOK_FLAGS}
    return items
