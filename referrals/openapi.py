"""OpenAPI descriptions of the referral campaign operations (contract: Referral campaigns).

Kept beside the views, outside them, so that the views stay parse-call-render; imported by
`referrals/urls.py`. What every operation shares comes from `sparkloop.api.schema`; the
subscriber object's description from `subscribers.openapi`.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer, extend_schema_view
from rest_framework import serializers

from referrals.serializers import (
    CampaignCreateInputSerializer,
    CampaignOutputSerializer,
    CampaignUpdateInputSerializer,
    GrantOutputSerializer,
    GrantRedeemInputSerializer,
    LeaderboardEntryOutputSerializer,
    LeaderboardInputSerializer,
    MembershipCreateInputSerializer,
    MembershipOutputSerializer,
)
from referrals.views import CampaignMembershipViewSet, CampaignSubscriberViewSet, CampaignViewSet
from sparkloop.api.examples import field_examples
from sparkloop.api.schema import EXPAND, PAGE, PER_PAGE, envelope, meta
from subscribers.openapi import SubscriberSerializer, with_fields
from subscribers.serializers import SubscriberListInputSerializer

CAMPAIGN = envelope("CampaignResponse", campaign=CampaignOutputSerializer())

# `member_objects`: the subscriber object with its standing in the campaign.
CampaignSubscriberSerializer = with_fields(
    SubscriberSerializer,
    "CampaignSubscriberSerializer",
    "A subscriber with its standing in one campaign.",
    referral_link=serializers.CharField(
        read_only=True, allow_null=True, help_text="`<landing_url>?rh_ref=<ref_code>`."
    ),
    tot_referrals=serializers.IntegerField(
        read_only=True, help_text="Verified referrals in this campaign."
    ),
    next_reward=serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Referrals still needed for the next reward."
    ),
    rank=serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Leaderboard rank, when one subscriber is asked for (null: not ranked).",
    ),
)

# The renderer itself describes the leaderboard's entries, under the component's old name.
extend_schema_serializer(component_name="LeaderboardEntry")(LeaderboardEntryOutputSerializer)

MEMBER_LIST = envelope(
    "CampaignSubscriberListResponse",
    subscribers=CampaignSubscriberSerializer(many=True),
    meta=meta("subscribers"),
)
MEMBERSHIP = envelope(
    "CampaignMembershipResponse", campaign_membership=MembershipOutputSerializer()
)
GRANT = envelope("RewardGrantResponse", reward=GrantOutputSerializer())

extend_schema_view(
    list=extend_schema(
        summary="List campaigns",
        responses={
            200: envelope("CampaignListResponse", campaigns=CampaignOutputSerializer(many=True))
        },
    ),
    create=extend_schema(
        summary="Create a campaign with rewards (extension)",
        description=(
            "At most 100 `rewards`, and at most 10,000 `coupon_codes` in all of them (more "
            "codes are added to a reward's pool in the admin); a longer list is a 400."
        ),
        request=CampaignCreateInputSerializer,
        responses={201: CAMPAIGN},
    ),
    retrieve=extend_schema(summary="Get a campaign", responses={200: CAMPAIGN}),
    update=extend_schema(
        summary="Rename a campaign",
        request=CampaignUpdateInputSerializer,
        responses={200: CAMPAIGN},
    ),
    partial_update=extend_schema(
        summary="Rename a campaign (as PUT)",
        request=CampaignUpdateInputSerializer,
        responses={200: CAMPAIGN},
    ),
    leaderboard=extend_schema(
        summary="The campaign's top referrers (extension)",
        parameters=[LeaderboardInputSerializer],
        responses={
            200: envelope(
                "LeaderboardResponse",
                leaderboard=LeaderboardEntryOutputSerializer(many=True),
            )
        },
    ),
)(CampaignViewSet)

extend_schema_view(
    create=extend_schema(
        summary="Add a subscriber to a campaign",
        request=MembershipCreateInputSerializer,
        responses={201: MEMBERSHIP},
    ),
    destroy=extend_schema(
        summary="Remove a subscriber from a campaign", responses={200: MEMBERSHIP}
    ),
)(CampaignMembershipViewSet)

extend_schema_view(
    list=extend_schema(
        summary="List a campaign's subscribers",
        description="Each with `referral_link`, `tot_referrals` and `next_reward`.",
        parameters=[SubscriberListInputSerializer, PAGE, PER_PAGE],
        responses={200: MEMBER_LIST},
    ),
    retrieve=extend_schema(
        summary="Get a campaign's subscriber (with `rank`)",
        parameters=[EXPAND],
        responses={
            200: envelope("CampaignSubscriberResponse", subscriber=CampaignSubscriberSerializer())
        },
    ),
    referrals=extend_schema(
        summary="The subscribers a member referred in this campaign",
        description=(
            "Newest first; each subscriber's `referral_status` is that of its referral in "
            "this campaign."
        ),
        parameters=[EXPAND, PAGE, PER_PAGE],
        responses={
            200: envelope(
                "CampaignReferralListResponse",
                referrals=SubscriberSerializer(many=True),
                meta=meta("referrals"),
            )
        },
    ),
    rewards=extend_schema(
        summary="The rewards a member unlocked",
        responses={
            200: envelope("RewardGrantListResponse", rewards=GrantOutputSerializer(many=True))
        },
    ),
)(CampaignSubscriberViewSet)
# Routed by hand (not an @action), so decorated directly.
extend_schema(
    summary="Redeem an unlocked reward",
    description="`shipping_details` is an object of at most 10,000 characters as JSON.",
    request=GrantRedeemInputSerializer,
    responses={200: GRANT},
)(CampaignSubscriberViewSet.redeem)


CAMPAIGN_ID = "MF3c9d2e1f0a"
# Realistic values for the campaign, member, reward and grant fields.
schema_examples = field_examples(
    by_name={
        "campaign_uuid": CAMPAIGN_ID,
        "referral_link": "https://news.example.com/?rh_ref=c784ef4f",
        "tot_referrals": 3,
        "next_reward": 2,
        "rank": 1,
        "referrals_count": 3,
        "total_referrals": 12,
        "reward_uuid": "reward_2b3c4d5e6f70",
        "coupon_code": "SPRING-7Q2X",
        "coupon_codes": ["SPRING-7Q2X", "SPRING-K4M8"],
        "reward_variant_name": "Mug, blue",
        "reward_variant_sku": "MUG-BLUE",
        "shipping_details": {"name": "Ann Lee", "address": "1 High Street", "city": "London"},
        "occurrence": 1,
        "recurring": False,
        "requires_approval": False,
        "referral_programs": [
            {
                "uuid": CAMPAIGN_ID,
                "name": "Spring referral program",
                "membership_uuid": "membership_8e9f0a1b2c3d",
                "referral_link": "https://news.example.com/?rh_ref=c784ef4f",
                "tot_referrals": 3,
                "next_reward": 2,
            }
        ],
    },
    by_component={
        "CampaignOutput": {
            "uuid": CAMPAIGN_ID,
            "name": "Spring referral program",
            "landing_url": "https://news.example.com",
            "default": False,
        },
        "CampaignCreateInputRequest": {"name": "Spring referral program"},
        "CampaignUpdateInputRequest": {"name": "Spring referral program"},
        "PatchedCampaignUpdateInputRequest": {"name": "Spring referral program"},
        "V1CampaignUpdateInputRequest": {"name": "Spring referral program"},
        "CampaignSubscriber": {"uuid": "sub_5a9c1e7b2d40", "name": "Ann Lee"},
        "V1Subscriber": {"uuid": "sub_5a9c1e7b2d40", "name": "Ann Lee"},
        "V1SubscriberCreateInputRequest": {"name": "Ann Lee"},
        "LeaderboardEntry": {"uuid": "sub_5a9c1e7b2d40", "name": "Ann Lee"},
        "MembershipOutput": {"uuid": "membership_8e9f0a1b2c3d"},
        "MembershipCreateInputRequest": {"subscriber_uuid": "ann@example.com"},
        "RewardOutput": {"uuid": "reward_2b3c4d5e6f70", "name": "Sticker pack", "referrals": 5},
        "RewardInputRequest": {"name": "Sticker pack", "referrals": 5},
        "GrantOutput": {"uuid": "grant_4f5a6b7c8d9e", "name": "Sticker pack", "referrals": 5},
    },
    bounds={"holding_days": (0, 365), "referrals": (1, None), "occurrence": (1, None)},
)
