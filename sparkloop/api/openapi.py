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

from sparkloop.api.schema import EXPAND, PAGE, PER_PAGE, envelope, meta
from subscribers.serializers import (
    EmailField,
    SubscriberCreateInputSerializer,
    SubscriberEventInputSerializer,
    SubscriberEventOutputSerializer,
    SubscriberOutputSerializer,
    SubscriberUpdateInputSerializer,
)
from subscribers.views import SubscriberViewSet

# --- Subscribers (contract: Subscribers) ------------------------------------------------------

extend_schema_field(OpenApiTypes.EMAIL)(EmailField)


class SubscriberSerializer(SubscriberOutputSerializer):
    referral_programs = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="With `expand=campaigns`: the campaigns the subscriber is a member of.",
    )

    class Meta(SubscriberOutputSerializer.Meta):
        fields = [*SubscriberOutputSerializer.Meta.fields, "referral_programs"]
        # Read-only fields are `required` in a response schema: every key is always there.
        read_only_fields = SubscriberOutputSerializer.Meta.fields


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
