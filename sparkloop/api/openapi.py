"""The OpenAPI document: the endpoints' descriptions, and the public routes that serve it.

/v2/schema (OpenAPI 3, JSON with `?format=json`, else YAML), /v2/docs (Swagger UI) and
/v2/redoc. Endpoints are described here, from outside their views, so that the views stay
parse-call-render actions; what all operations share is added by `sparkloop.api.schema`.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from sparkloop.api.schema import PAGE, PER_PAGE, envelope, meta
from sparkloop.oauth.serializers import (
    ApplicationCreateInputSerializer,
    ApplicationOutputSerializer,
    ConnectionOutputSerializer,
)
from sparkloop.oauth.views import ApplicationViewSet, ConnectionViewSet
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
