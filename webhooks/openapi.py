"""OpenAPI descriptions of the webhook operations (contract: Webhooks; deliveries, resend,
secrets and the team's token are our extensions).

Kept beside the views rather than on them, so that the views stay parse-call-render;
imported by webhooks.urls. What every operation shares is added by `sparkloop.api.schema`.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view

from sparkloop.api.schema import PAGE, PER_PAGE, envelope, meta
from webhooks.serializers import (
    DeliveryDetailOutputSerializer,
    DeliveryOutputSerializer,
    EventPayloadField,
    WebhookCreateInputSerializer,
    WebhookOutputSerializer,
    WebhookRotateSecretInputSerializer,
    WebhookTokenOutputSerializer,
    WebhookTokenRotateInputSerializer,
    WebhookUpdateInputSerializer,
    WebhookWithSecretOutputSerializer,
)
from webhooks.views import WebhookDeliveryViewSet, WebhookViewSet

extend_schema_field(OpenApiTypes.OBJECT)(EventPayloadField)

WEBHOOK = envelope("WebhookResponse", webhook=WebhookOutputSerializer())
WEBHOOK_WITH_SECRET = envelope(
    "WebhookWithSecretResponse", webhook=WebhookWithSecretOutputSerializer()
)
WEBHOOK_TOKEN = envelope("WebhookTokenResponse", webhook_token=WebhookTokenOutputSerializer())
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
    token=extend_schema(
        summary="Get the team's webhook token (extension)",
        description=(
            "The token sent as `SparkLoop-Token` with every webhook, and the previous one "
            "while a rotation's grace runs (else null)."
        ),
        responses={200: WEBHOOK_TOKEN},
    ),
    token_rotate=extend_schema(
        summary="Rotate the team's webhook token (extension)",
        description=(
            "The new token is sent as `SparkLoop-Token` from now on; for `grace_hours` "
            "(default 24) the previous one is still shown and sent as "
            "`SparkLoop-Token-Previous`, so that receivers can accept either while they "
            "switch over."
        ),
        request=WebhookTokenRotateInputSerializer,
        responses={200: WEBHOOK_TOKEN},
    ),
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
