"""Wire shapes of campaigns, memberships, members and rewards (shape only; rules in services)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from rest_framework import serializers

from referrals.models import Campaign, CampaignMembership, Referral, Reward, RewardGrant
from referrals.payloads import campaign_standing
from referrals.selectors import campaign_memberships_of
from sparkloop.api.fields import StrictCharField, TimestampField
from sparkloop.models import Team
from subscribers.expansions import expansions_apply
from subscribers.models import Subscriber
from subscribers.serializers import (
    NO_FIELD_TO_UPDATE,
    SubscriberOutputSerializer,
    subscriber_objects,
)

NAME_REQUIRED = "You have to provide a name"
SUBSCRIBER_UUID_REQUIRED = "Subscriber uuid or email blank!"
REWARD_NAME_REQUIRED = "Each of the rewards needs a name"
REWARD_REFERRALS_INVALID = "Each of the rewards needs referrals, a positive integer"
REWARDS_INVALID = "Rewards must be a list of objects"
LANDING_URL_INVALID = "Landing url must be a valid http(s) URL"
VERIFICATION_INVALID = "Verification must be one of on_confirmation, holding_period, staff"
LIMIT_INVALID = "Limit must be an integer between 1 and 100"
SHIPPING_DETAILS_INVALID = "Shipping details must be an object"

# Bounds of what one request may ask for: a list is refused by its length before any of its
# items is looked at, so a huge body costs no more than a small one (issue: 10,000 rewards
# took 9.6 s to create). bench/README.md has the time of the largest campaign allowed.
MAX_REWARDS = 100
MAX_COUPON_CODES = 10_000
MAX_SHIPPING_DETAILS_CHARS = 10_000
REWARDS_TOO_MANY = f"A campaign can have at most {MAX_REWARDS} rewards"
COUPON_CODES_INVALID = "The coupon codes of each of the rewards must be a list of strings"
COUPON_CODE_TOO_LONG = "The coupon codes of each of the rewards have at most 255 characters"
COUPON_CODES_TOO_MANY = (
    f"A campaign is created with at most {MAX_COUPON_CODES} coupon codes in all its rewards"
)
SHIPPING_DETAILS_TOO_LARGE = (
    f"Shipping details must be at most {MAX_SHIPPING_DETAILS_CHARS} characters as JSON"
)

_optional_text: dict[str, Any] = {"required": False, "allow_null": True, "allow_blank": True}


class BoundedListField(serializers.ListField):
    """A ListField that refuses a list over `max_length` before validating any item."""

    def to_internal_value(self, data: Any) -> list[Any]:
        if isinstance(data, list) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class RewardInputSerializer(serializers.Serializer[Any]):
    name = StrictCharField(
        max_length=255,
        error_messages={
            "required": REWARD_NAME_REQUIRED,
            "null": REWARD_NAME_REQUIRED,
            "blank": REWARD_NAME_REQUIRED,
        },
    )
    referrals = serializers.IntegerField(
        min_value=1,
        max_value=1_000_000,
        error_messages=dict.fromkeys(
            ("required", "null", "invalid", "min_value", "max_value", "max_string_length"),
            REWARD_REFERRALS_INVALID,
        ),
    )
    recurring = serializers.BooleanField(required=False, default=False)
    requires_approval = serializers.BooleanField(required=False, default=False)
    coupon_codes = BoundedListField(
        child=StrictCharField(
            max_length=255,
            error_messages={"invalid": COUPON_CODES_INVALID, "max_length": COUPON_CODE_TOO_LONG},
        ),
        max_length=MAX_COUPON_CODES,
        required=False,
        default=list,
        error_messages={"not_a_list": COUPON_CODES_INVALID, "max_length": COUPON_CODES_TOO_MANY},
    )


class _CampaignFieldsSerializer(serializers.Serializer[Any]):
    landing_url = serializers.URLField(
        max_length=1000, error_messages={"invalid": LANDING_URL_INVALID}, **_optional_text
    )
    verification = serializers.ChoiceField(
        choices=Campaign.Verification.choices,
        required=False,
        error_messages={"invalid_choice": VERIFICATION_INVALID},
    )
    holding_days = serializers.IntegerField(required=False, min_value=0, max_value=365)


class CampaignCreateInputSerializer(_CampaignFieldsSerializer):
    name = StrictCharField(
        max_length=255,
        error_messages={"required": NAME_REQUIRED, "null": NAME_REQUIRED, "blank": NAME_REQUIRED},
    )
    rewards = RewardInputSerializer(  # type: ignore[call-arg]  # many=True takes max_length
        many=True,
        required=False,
        default=list,
        max_length=MAX_REWARDS,
        error_messages={"not_a_list": REWARDS_INVALID, "max_length": REWARDS_TOO_MANY},
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if sum(len(r["coupon_codes"]) for r in attrs.get("rewards", ())) > MAX_COUPON_CODES:
            raise serializers.ValidationError(COUPON_CODES_TOO_MANY)
        return {k: v for k, v in attrs.items() if v is not None}


class CampaignUpdateInputSerializer(_CampaignFieldsSerializer):
    name = StrictCharField(
        max_length=255,
        required=False,
        error_messages={"null": NAME_REQUIRED, "blank": NAME_REQUIRED},
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(NO_FIELD_TO_UPDATE)
        return attrs


class MembershipCreateInputSerializer(serializers.Serializer[Any]):
    subscriber_uuid = StrictCharField(
        max_length=254,
        error_messages={
            "required": SUBSCRIBER_UUID_REQUIRED,
            "null": SUBSCRIBER_UUID_REQUIRED,
            "blank": SUBSCRIBER_UUID_REQUIRED,
        },
    )


class LeaderboardInputSerializer(serializers.Serializer[Any]):
    limit = serializers.IntegerField(
        required=False,
        default=10,
        min_value=1,
        max_value=100,
        error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), LIMIT_INVALID),
    )


class GrantRedeemInputSerializer(serializers.Serializer[Any]):
    reward_variant_name = StrictCharField(max_length=255, **_optional_text)
    reward_variant_sku = StrictCharField(max_length=255, **_optional_text)
    shipping_details = serializers.JSONField(required=False, allow_null=True)

    def validate_shipping_details(self, value: Any) -> Any:
        if value is not None and not isinstance(value, dict):
            raise serializers.ValidationError(SHIPPING_DETAILS_INVALID)
        if value is not None and len(json.dumps(value)) > MAX_SHIPPING_DETAILS_CHARS:
            raise serializers.ValidationError(SHIPPING_DETAILS_TOO_LARGE)
        return value


class RewardOutputSerializer(serializers.ModelSerializer[Reward]):
    uuid = serializers.CharField(source="public_id")
    created_at = TimestampField()

    class Meta:
        model = Reward
        fields = ["uuid", "name", "referrals", "recurring", "requires_approval", "created_at"]


class CampaignOutputSerializer(serializers.ModelSerializer[Campaign]):
    uuid = serializers.CharField(source="public_id")
    default = serializers.BooleanField(source="is_default")
    rewards = RewardOutputSerializer(many=True)
    created_at = TimestampField()

    class Meta:
        model = Campaign
        fields = [
            "uuid",
            "name",
            "landing_url",
            "default",
            "verification",
            "holding_days",
            "rewards",
            "created_at",
        ]


class MembershipOutputSerializer(serializers.ModelSerializer[CampaignMembership]):
    uuid = serializers.CharField(source="public_id")
    campaign_uuid = serializers.SerializerMethodField()
    subscriber_uuid = serializers.CharField(source="subscriber.public_id")
    created_at = TimestampField()

    class Meta:
        model = CampaignMembership
        fields = ["uuid", "campaign_uuid", "subscriber_uuid", "created_at"]

    def get_campaign_uuid(self, obj: CampaignMembership) -> str:
        campaign: Campaign = self.context["campaign"]
        return campaign.public_id


def program_object(membership: CampaignMembership) -> dict[str, Any]:
    """One entry of `referral_programs`: the subscriber's standing in one of its campaigns."""
    campaign = membership.campaign
    return {
        "uuid": campaign.public_id,
        "name": campaign.name,
        "membership_uuid": membership.public_id,
        **campaign_standing(campaign, membership.subscriber, membership),
    }


def referral_programs(
    team: Team, subscribers: Sequence[Subscriber]
) -> dict[int, list[dict[str, Any]]]:
    """`expand=campaigns` of the subscriber endpoints (registered in ReferralsConfig.ready)."""
    found = campaign_memberships_of(team=team, subscribers=subscribers)
    return {pk: [program_object(m) for m in memberships] for pk, memberships in found.items()}


def member_objects(
    campaign: Campaign,
    memberships: Sequence[CampaignMembership],
    *,
    team: Team,
    expand: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Campaign subscriber objects: the subscriber object with its standing in `campaign`."""
    subscribers = [m.subscriber for m in memberships]
    rendered = SubscriberOutputSerializer(subscribers, many=True)  # type: ignore[arg-type]  # stubs: many=True takes a sequence
    items = [dict(item) for item in rendered.data]
    for item, membership in zip(items, memberships, strict=True):
        item.update(campaign_standing(campaign, membership.subscriber, membership))
    return expansions_apply(items, subscribers, team=team, names=expand)


def referral_objects(
    referrals: Sequence[Referral], *, team: Team, expand: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """The subscribers a member referred, each with the status of its referral there."""
    items = subscriber_objects([r.referred for r in referrals], team=team, expand=expand)
    for item, referral in zip(items, referrals, strict=True):
        item["referral_status"] = referral.status
    return items


class LeaderboardEntryOutputSerializer(serializers.Serializer[CampaignMembership]):
    """A ranked member: verified referrals in the campaign, and when it reached that score."""

    # `rank` is the position in the list rendered, from the context's `ranks` (by pk).
    rank = serializers.SerializerMethodField()
    uuid = serializers.CharField(source="subscriber.public_id", read_only=True)
    email = serializers.CharField(source="subscriber.email", read_only=True)
    name = serializers.CharField(source="subscriber.name", read_only=True, allow_null=True)
    ref_code = serializers.CharField(source="subscriber.ref_code", read_only=True)
    tot_referrals = serializers.IntegerField(source="verified_referrals_count", read_only=True)
    reached_at = TimestampField(source="score_reached_at", read_only=True, allow_null=True)

    def get_rank(self, membership: CampaignMembership) -> int:
        rank: int = self.context["ranks"][membership.pk]
        return rank


def leaderboard_objects(memberships: Sequence[CampaignMembership]) -> list[dict[str, Any]]:
    """The leaderboard, best first: ranks are positions in `memberships`."""
    ranks = {m.pk: rank for rank, m in enumerate(memberships, start=1)}
    rendered = LeaderboardEntryOutputSerializer(
        memberships,  # type: ignore[arg-type]  # stubs: many=True takes a sequence
        many=True,
        context={"ranks": ranks},
    )
    return list(rendered.data)


class GrantOutputSerializer(serializers.ModelSerializer[RewardGrant]):
    uuid = serializers.CharField(source="public_id")
    reward_uuid = serializers.CharField(source="reward.public_id")
    name = serializers.CharField(source="reward.name")
    recurring = serializers.BooleanField(source="reward.recurring")
    unlocked_at = TimestampField()
    redeemed_at = TimestampField()
    created_at = TimestampField()

    class Meta:
        model = RewardGrant
        fields = [
            "uuid",
            "reward_uuid",
            "name",
            "referrals",
            "recurring",
            "occurrence",
            "status",
            "coupon_code",
            "reward_variant_name",
            "reward_variant_sku",
            "shipping_details",
            "unlocked_at",
            "redeemed_at",
            "created_at",
        ]
