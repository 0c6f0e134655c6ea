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
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
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
from sparkloop.oauth.serializers import (
    ApplicationCreateInputSerializer,
    ApplicationOutputSerializer,
    ConnectionOutputSerializer,
)
from sparkloop.oauth.views import ApplicationViewSet, ConnectionViewSet
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
from webhooks.serializers import (
    DeliveryDetailOutputSerializer,
    DeliveryOutputSerializer,
    WebhookCreateInputSerializer,
    WebhookOutputSerializer,
    WebhookRotateSecretInputSerializer,
    WebhookUpdateInputSerializer,
    WebhookWithSecretOutputSerializer,
)
from webhooks.views import WebhookDeliveryViewSet, WebhookViewSet

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


# --- Webhooks (contract: Webhooks; deliveries, resend and secrets are our extension) ---------

WEBHOOK = envelope("WebhookResponse", webhook=WebhookOutputSerializer())
WEBHOOK_WITH_SECRET = envelope(
    "WebhookWithSecretResponse", webhook=WebhookWithSecretOutputSerializer()
)
DELIVERY = envelope("DeliveryResponse", delivery=DeliveryOutputSerializer())

extend_schema_view(
    list=extend_schema(
        summary="List webhooks",
        responses={
            200: envelope("WebhookListResponse", webhooks=WebhookOutputSerializer(many=True))
        },
    ),
    create=extend_schema(
        summary="Create a webhook",
        description="The signing secret is in this answer only (and after a rotation).",
        request=WebhookCreateInputSerializer,
        responses={201: WEBHOOK_WITH_SECRET},
    ),
    retrieve=extend_schema(summary="Get a webhook", responses={200: WEBHOOK}),
    update=extend_schema(
        summary="Update a webhook", request=WebhookUpdateInputSerializer, responses={200: WEBHOOK}
    ),
    partial_update=extend_schema(
        summary="Update a webhook (as PUT)",
        request=WebhookUpdateInputSerializer,
        responses={200: WEBHOOK},
    ),
    destroy=extend_schema(summary="Delete a webhook", responses={200: WEBHOOK}),
    rotate_secret=extend_schema(
        summary="Rotate the signing secret",
        description="The old secret keeps signing too for `grace_hours`.",
        request=WebhookRotateSecretInputSerializer,
        responses={200: WEBHOOK_WITH_SECRET},
    ),
    test=extend_schema(summary="Send a test event", request=None, responses={202: DELIVERY}),
    deliveries=extend_schema(
        summary="List a webhook's deliveries",
        parameters=[PAGE, PER_PAGE],
        responses={
            200: envelope(
                "DeliveryListResponse",
                deliveries=DeliveryOutputSerializer(many=True),
                meta=meta("deliveries"),
            )
        },
    ),
)(WebhookViewSet)

extend_schema_view(
    retrieve=extend_schema(
        summary="Get a delivery with its attempts",
        responses={
            200: envelope("DeliveryDetailResponse", delivery=DeliveryDetailOutputSerializer())
        },
    ),
)(WebhookDeliveryViewSet)
# Routed by hand (not an @action), so decorated directly.
extend_schema(summary="Resend a delivery", request=None, responses={202: DELIVERY})(
    WebhookDeliveryViewSet.resend
)


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
extend_schema(
    summary="Redeem an unlocked reward",
    request=GrantRedeemInputSerializer,
    responses={200: GRANT},
)(CampaignSubscriberViewSet.redeem)


# --- A team's OAuth apps (API keys only) ------------------------------------------------------

extend_schema_view(
    list=extend_schema(
        summary="List the apps connected to the team",
        responses={
            200: envelope(
                "ConnectionListResponse", connections=ConnectionOutputSerializer(many=True)
            )
        },
    ),
    destroy=extend_schema(
        summary="Disconnect an app (its tokens stop working at once)",
        responses={200: envelope("ConnectionResponse", connection=ConnectionOutputSerializer())},
    ),
)(ConnectionViewSet)

extend_schema_view(
    list=extend_schema(
        summary="List the team's own OAuth apps",
        responses={
            200: envelope(
                "ApplicationListResponse", applications=ApplicationOutputSerializer(many=True)
            )
        },
    ),
    create=extend_schema(
        summary="Register an OAuth app for the team",
        description="The client secret is in this answer only.",
        request=ApplicationCreateInputSerializer,
        responses={201: envelope("ApplicationResponse", application=serializers.DictField())},
    ),
)(ApplicationViewSet)


# --- The schema and its docs (public) ---------------------------------------------------------


class _Public:
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


class SchemaView(_Public, SpectacularAPIView):
    pass


class SwaggerView(_Public, SpectacularSwaggerView):
    pass


class RedocView(_Public, SpectacularRedocView):
    pass


urlpatterns = [
    path("schema", SchemaView.as_view(), name="schema"),
    path("docs", SwaggerView.as_view(url_name="schema"), name="schema-swagger"),
    path("redoc", RedocView.as_view(url_name="schema"), name="schema-redoc"),
]
