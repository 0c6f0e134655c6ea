"""The OpenAPI document: the endpoints' descriptions, and the public routes that serve it.

/v2/schema (OpenAPI 3, JSON with `?format=json`, else YAML), /v2/docs (Swagger UI) and
/v2/redoc. Endpoints are described here, from outside their views, so that the views stay
parse-call-render actions; what all operations share is added by `sparkloop.api.schema`.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from referrals.serializers import (
    CampaignCreateInputSerializer,
    CampaignOutputSerializer,
    CampaignUpdateInputSerializer,
    GrantOutputSerializer,
    GrantRedeemInputSerializer,
    LeaderboardInputSerializer,
    MembershipCreateInputSerializer,
    MembershipOutputSerializer,
)
from referrals.views import CampaignMembershipViewSet, CampaignSubscriberViewSet, CampaignViewSet
from sparkloop.api.schema import EXPAND, PAGE, PER_PAGE, envelope, meta
from subscribers.serializers import (
    EmailField,
    SubscriberCreateInputSerializer,
    SubscriberEventInputSerializer,
    SubscriberEventOutputSerializer,
    SubscriberListInputSerializer,
    SubscriberOutputSerializer,
    SubscriberUpdateInputSerializer,
)
from subscribers.views import SubscriberViewSet

# --- Subscribers (contract: Subscribers) ------------------------------------------------------

extend_schema_field(OpenApiTypes.EMAIL)(EmailField)


def with_fields(base: type[serializers.Serializer], name: str, doc: str, **fields: Any) -> Any:
    """`base` plus `fields`, whether `base` is a ModelSerializer (its Meta lists them) or not."""
    attrs: dict[str, Any] = {**fields, "__doc__": doc}
    meta = getattr(base, "Meta", None)
    if meta is not None:
        # Read-only fields are `required` in a response schema: every key is always there.
        names = list(meta.fields)
        attrs["Meta"] = type(
            "Meta", (meta,), {"fields": [*names, *fields], "read_only_fields": names}
        )
    return type(name, (base,), attrs)


SubscriberSerializer = with_fields(
    SubscriberOutputSerializer,
    "SubscriberSerializer",
    "A subscriber (contract: Subscribers).",
    referral_programs=serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="With `expand=campaigns`: the campaigns the subscriber is a member of.",
    ),
)


class SubscriberEventSerializer(SubscriberEventOutputSerializer):
    value = serializers.FloatField(help_text="In dollars.")


SUBSCRIBER = envelope("SubscriberResponse", subscriber=SubscriberSerializer())

extend_schema_view(
    list=extend_schema(
        summary="List subscribers",
        parameters=[
            OpenApiParameter(
                "type",
                str,
                enum=["all", "referrals", "advocates"],
                description="`referrals`: were referred; `advocates`: referred at least one.",
            ),
            EXPAND,
            PAGE,
            PER_PAGE,
        ],
        responses={
            200: envelope(
                "SubscriberListResponse",
                subscribers=SubscriberSerializer(many=True),
                meta=meta("subscribers"),
            )
        },
    ),
    create=extend_schema(
        summary="Create a subscriber",
        request=SubscriberCreateInputSerializer,
        responses={201: SUBSCRIBER},
    ),
    retrieve=extend_schema(
        summary="Get a subscriber by uuid or email",
        parameters=[EXPAND],
        responses={200: SUBSCRIBER},
    ),
    update=extend_schema(
        summary="Update a subscriber's name, email or status",
        request=SubscriberUpdateInputSerializer,
        responses={200: SUBSCRIBER},
    ),
    partial_update=extend_schema(
        summary="Update a subscriber (as PUT)",
        request=SubscriberUpdateInputSerializer,
        responses={200: SUBSCRIBER},
    ),
    destroy=extend_schema(
        summary="Delete a subscriber (erasure)",
        description="Returns the subscriber as it was.",
        responses={200: SUBSCRIBER},
    ),
    unsubscribe=extend_schema(summary="Unsubscribe", request=None, responses={200: SUBSCRIBER}),
    reject=extend_schema(
        summary="Reject a pending referral", request=None, responses={200: SUBSCRIBER}
    ),
    events=extend_schema(
        summary="Record a value event",
        description="Also accepts the body wrapped in `event`, and the spelling `descripton`.",
        request=SubscriberEventInputSerializer,
        responses={201: envelope("SubscriberEventResponse", event=SubscriberEventSerializer())},
    ),
)(SubscriberViewSet)


# --- Referral campaigns (contract: Referral campaigns) ----------------------------------------

CAMPAIGN = envelope("CampaignResponse", campaign=CampaignOutputSerializer())


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


class LeaderboardEntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField(read_only=True)
    uuid = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True, allow_null=True)
    ref_code = serializers.CharField(read_only=True)
    tot_referrals = serializers.IntegerField(read_only=True)
    reached_at = serializers.DateTimeField(read_only=True, allow_null=True)


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
                leaderboard=LeaderboardEntrySerializer(many=True),
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
        parameters=[EXPAND, PAGE, PER_PAGE],
        responses={
            200: envelope(
                "CampaignReferralListResponse",
                subscribers=SubscriberSerializer(many=True),
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
extend_schema(
    summary="Redeem an unlocked reward",
    request=GrantRedeemInputSerializer,
    responses={200: GRANT},
)(CampaignSubscriberViewSet.redeem)


# --- The schema and its docs (public) ---------------------------------------------------------


class _Public:
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


class SchemaView(_Public, SpectacularAPIView):
    pass


class SwaggerView(_Public, SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served apart (`?script`): the CSP allows none inline."""


class RedocView(_Public, SpectacularRedocView):
    pass


urlpatterns = [
    path("schema", SchemaView.as_view(), name="schema"),
    path("docs", SwaggerView.as_view(url_name="schema"), name="schema-swagger"),
    path("redoc", RedocView.as_view(url_name="schema"), name="schema-redoc"),
]
