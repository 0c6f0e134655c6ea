"""OpenAPI descriptions of API v1's operations: every one marked deprecated, with examples.

Kept beside the views, outside them, so that the views stay parse-call-render; imported by
`referrals/v1/urls.py`. What all v1 operations share is `referrals.v1.schema.V1AutoSchema`;
the example objects are in `referrals.v1.examples`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema_view
from rest_framework import serializers

from referrals.openapi import CAMPAIGN
from referrals.serializers import CampaignOutputSerializer
from referrals.v1.examples import (
    CAMPAIGN_EXAMPLE,
    EVENT_EXAMPLE,
    SUBSCRIBER_EXAMPLE,
    WEBHOOK_EXAMPLE,
)
from referrals.v1.schema import V1AutoSchema, body, deprecated, error_response, example
from referrals.v1.serializers import (
    SUBSCRIBER_FIELDS_DROPPED,
    V1CampaignUpdateInputSerializer,
    V1SubscriberCreateInputSerializer,
    V1WebhookCreateInputSerializer,
    V1WebhookUpdateInputSerializer,
)
from referrals.v1.views import CampaignSubscriberViewSet, CampaignViewSet, CampaignWebhookViewSet
from sparkloop.api.schema import PAGE, PER_PAGE, envelope
from subscribers.openapi import SubscriberEventSerializer
from subscribers.serializers import (
    SubscriberEventInputSerializer,
    SubscriberOutputSerializer,
    SubscriberUpdateInputSerializer,
)
from webhooks.serializers import WebhookOutputSerializer, WebhookWithSecretOutputSerializer

for viewset in (CampaignViewSet, CampaignSubscriberViewSet, CampaignWebhookViewSet):
    # Before extend_schema_view, which builds on the viewset's schema class.
    viewset.schema = V1AutoSchema()


class V1SubscriberSerializer(SubscriberOutputSerializer):
    """A subscriber within a campaign, as API v1 has it."""

    referrals_count = serializers.IntegerField(
        help_text="Its referrals in this campaign that are not rejected (pending or verified)."
    )
    referral_link = serializers.CharField(
        allow_null=True, help_text="`<landing_url>?rh_ref=<ref_code>` (null: no landing URL)."
    )
    tot_referrals = serializers.IntegerField(help_text="Verified referrals in this campaign.")
    next_reward = serializers.IntegerField(
        allow_null=True, help_text="Referrals still needed for the next reward."
    )

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        for name in SUBSCRIBER_FIELDS_DROPPED:
            del fields[name]
        return fields


CAMPAIGN_NOT_FOUND = error_response(404, "Campaign MF9a78983d1c not found!")
SUBSCRIBER_NOT_FOUND = error_response(
    404, "Campaign MF9a78983d1c not found!", "Subscriber drago@example.com not found!"
)
SUBSCRIBER_ID = OpenApiParameter(
    "id",
    str,
    OpenApiParameter.PATH,
    description="The subscriber's `uuid` or its email (URL-encoded); a member of the campaign.",
)
SUBSCRIBER = envelope("V1SubscriberResponse", subscriber=V1SubscriberSerializer())
WEBHOOK = envelope("V1WebhookResponse", webhook=WebhookOutputSerializer())

extend_schema_view(
    list=deprecated(
        "`GET /v2/campaigns`",
        summary="List campaigns (v1)",
        responses={
            200: envelope("V1CampaignListResponse", campaigns=CampaignOutputSerializer(many=True))
        },
        examples=[example("Campaigns", {"campaigns": [CAMPAIGN_EXAMPLE]})],
    ),
    retrieve=deprecated(
        "`GET /v2/campaigns/:id`",
        summary="Get a campaign (v1)",
        responses={200: CAMPAIGN, 404: CAMPAIGN_NOT_FOUND},
        examples=[example("A campaign", {"campaign": CAMPAIGN_EXAMPLE})],
    ),
    update=deprecated(
        "`PUT /v2/campaigns/:id`",
        summary="Rename a campaign (v1)",
        description="Only `name`; other keys are ignored.",
        request=V1CampaignUpdateInputSerializer,
        responses={
            200: CAMPAIGN,
            400: error_response(
                400, "You have to update at least 1 field.", "You have to provide a name"
            ),
            404: CAMPAIGN_NOT_FOUND,
        },
        examples=[
            body("New name", {"name": "Even better campaign name!"}),
            example(
                "Renamed", {"campaign": {**CAMPAIGN_EXAMPLE, "name": "Even better campaign name!"}}
            ),
        ],
    ),
)(CampaignViewSet)

extend_schema_view(
    list=deprecated(
        "`GET /v2/campaigns/:id/subscribers`",
        summary="List a campaign's subscribers (v1)",
        description=(
            "Newest first; `type`: `referrals` (were referred in this campaign), `advocates` "
            "(referred someone there). No `meta`: page until a page is shorter than `per_page`."
        ),
        parameters=[
            OpenApiParameter("type", str, enum=["all", "referrals", "advocates"]),
            PAGE,
            PER_PAGE,
        ],
        responses={
            200: envelope(
                "V1SubscriberListResponse", subscribers=V1SubscriberSerializer(many=True)
            ),
            400: error_response(
                400,
                "Type must be one of all, referrals, advocates",
                "Page must be a positive integer",
                "Per page must be a positive integer",
            ),
            404: CAMPAIGN_NOT_FOUND,
        },
        examples=[example("Subscribers", {"subscribers": [SUBSCRIBER_EXAMPLE]})],
    ),
    create=deprecated(
        "`POST /v2/subscribers`, then `POST /v2/campaigns/:id/campaign_memberships`",
        summary="Create a subscriber in a campaign (v1)",
        description=(
            "The subscriber joins this campaign (and the team's default campaign, and its "
            "referrer's campaigns, as every new subscriber does). Answers 200, as v1 did. "
            "An email already in the team, in any campaign, is taken."
        ),
        request=V1SubscriberCreateInputSerializer,
        responses={
            200: SUBSCRIBER,
            400: error_response(
                400,
                "You have to provide at least an email",
                "Email is invalid",
                "Email has already been taken",
            ),
            404: CAMPAIGN_NOT_FOUND,
        },
        examples=[
            body(
                "A referred subscriber",
                {
                    "email": "drago@example.com",
                    "name": "Drago Vrago",
                    "referrer_code": "c784ef4f",
                    "ip_address": "213.19.137.18",
                    "utm_source": "twitter",
                },
            ),
            example(
                "Created",
                {
                    "subscriber": {
                        **SUBSCRIBER_EXAMPLE,
                        "status": "pending",
                        "referrals_count": 0,
                        "tot_referrals": 0,
                        "next_reward": 3,
                    }
                },
            ),
        ],
    ),
    retrieve=deprecated(
        "`GET /v2/campaigns/:id/subscribers/:identifier`",
        summary="Get a campaign's subscriber by uuid or email (v1)",
        parameters=[SUBSCRIBER_ID],
        responses={200: SUBSCRIBER, 404: SUBSCRIBER_NOT_FOUND},
        examples=[example("A subscriber", {"subscriber": SUBSCRIBER_EXAMPLE})],
    ),
    update=deprecated(
        "`PUT /v2/subscribers/:identifier`",
        summary="Update a campaign's subscriber (v1)",
        description="`name`, `email` and/or `status` (`confirmed` or `unsubscribed`).",
        parameters=[SUBSCRIBER_ID],
        request=SubscriberUpdateInputSerializer,
        responses={
            200: SUBSCRIBER,
            400: error_response(
                400,
                "You have to update at least 1 field.",
                "Invalid status!",
                "Email is invalid",
                "Email has already been taken",
            ),
            404: SUBSCRIBER_NOT_FOUND,
        },
        examples=[
            body("Confirm", {"status": "confirmed"}),
            example("Updated", {"subscriber": SUBSCRIBER_EXAMPLE}),
        ],
    ),
    referrals=deprecated(
        "`GET /v2/campaigns/:id/subscribers/:identifier/referrals`",
        summary="The subscribers a subscriber referred in this campaign (v1)",
        description="Newest first; no `meta`.",
        parameters=[SUBSCRIBER_ID, PAGE, PER_PAGE],
        responses={
            200: envelope("V1ReferralListResponse", referrals=V1SubscriberSerializer(many=True)),
            404: SUBSCRIBER_NOT_FOUND,
        },
        examples=[
            example(
                "Referrals",
                {
                    "referrals": [
                        {
                            **SUBSCRIBER_EXAMPLE,
                            "uuid": "sub_4bc1056297aa",
                            "email": "friend@example.com",
                            "name": None,
                            "ref_code": "8c1f3e2a",
                            "referrer_code": "d785f0a1",
                            "referrals_count": 0,
                            "referral_link": "https://news.example.com/?rh_ref=8c1f3e2a",
                            "tot_referrals": 0,
                            "next_reward": 3,
                        }
                    ]
                },
            )
        ],
    ),
    events=deprecated(
        "`POST /v2/subscribers/:identifier/events`",
        summary="Record a value event for a campaign's subscriber (v1)",
        description=(
            "`value` (required), `descripton` (v1's spelling) or `description`; the event "
            "belongs to this campaign. Answers 200, as v1 did."
        ),
        parameters=[SUBSCRIBER_ID],
        request=SubscriberEventInputSerializer,
        responses={
            200: envelope("V1SubscriberEventResponse", event=SubscriberEventSerializer()),
            400: error_response(
                400, "Subscriber uuid or email blank!", "You have to provide a value"
            ),
            404: SUBSCRIBER_NOT_FOUND,
        },
        examples=[
            body("A purchase", {"value": 14.9, "descripton": "Bought the annual plan"}),
            example("Recorded", {"event": EVENT_EXAMPLE}),
        ],
    ),
)(CampaignSubscriberViewSet)

WEBHOOK_ID = OpenApiParameter(
    "id", str, OpenApiParameter.PATH, description="The webhook's `uuid` (made in this campaign)."
)
WEBHOOK_NOT_FOUND = error_response(
    404, "Campaign MF9a78983d1c not found!", "Webhook webhook_ac06a45cb5e1 not found!"
)
extend_schema_view(
    list=deprecated(
        "`GET /v2/webhooks`",
        summary="List a campaign's webhooks (v1)",
        description="The webhooks made in this campaign, newest first; `events` has v1's flags.",
        responses={
            200: envelope("V1WebhookListResponse", webhooks=WebhookOutputSerializer(many=True)),
            404: CAMPAIGN_NOT_FOUND,
        },
        examples=[example("Webhooks", {"webhooks": [WEBHOOK_EXAMPLE]})],
    ),
    create=deprecated(
        "`POST /v2/webhooks`",
        summary="Create a webhook in a campaign (v1)",
        description=(
            "It receives this campaign's events (and those that name no campaign), with the "
            "payloads v2 webhooks get. The signing secret is in this answer only."
        ),
        request=V1WebhookCreateInputSerializer,
        responses={
            201: envelope(
                "V1WebhookWithSecretResponse", webhook=WebhookWithSecretOutputSerializer()
            ),
            400: error_response(400, "Url can't be blank", "Url must start with https://"),
            404: CAMPAIGN_NOT_FOUND,
        },
        examples=[
            body(
                "New referrals",
                {"url": "https://hooks.example.com/sparkloop", "new_referral": True},
            ),
            example(
                "Created",
                {
                    "webhook": {
                        **WEBHOOK_EXAMPLE,
                        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                    }
                },
                status=201,
            ),
        ],
    ),
    retrieve=deprecated(
        "`GET /v2/webhooks/:uuid`",
        summary="Get a campaign's webhook (v1)",
        parameters=[WEBHOOK_ID],
        responses={200: WEBHOOK, 404: WEBHOOK_NOT_FOUND},
        examples=[example("A webhook", {"webhook": WEBHOOK_EXAMPLE})],
    ),
    update=deprecated(
        "`PUT /v2/webhooks/:uuid`",
        summary="Update a campaign's webhook (v1)",
        parameters=[WEBHOOK_ID],
        request=V1WebhookUpdateInputSerializer,
        responses={
            200: WEBHOOK,
            400: error_response(
                400, "You have to update at least 1 field.", "Url must start with https://"
            ),
            404: WEBHOOK_NOT_FOUND,
        },
        examples=[
            body("Rewards too", {"reward_unlocked": True}),
            example(
                "Updated",
                {
                    "webhook": {
                        **WEBHOOK_EXAMPLE,
                        "events": {"new_referral": True, "reward_unlocked": True},
                    }
                },
            ),
        ],
    ),
    destroy=deprecated(
        "`DELETE /v2/webhooks/:uuid`",
        summary="Delete a campaign's webhook (v1)",
        description="Returns the webhook as it was.",
        parameters=[WEBHOOK_ID],
        responses={200: WEBHOOK, 404: WEBHOOK_NOT_FOUND},
        examples=[example("Deleted", {"webhook": WEBHOOK_EXAMPLE})],
    ),
)(CampaignWebhookViewSet)
