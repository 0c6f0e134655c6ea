"""OpenAPI descriptions of the subscriber operations (contract: Subscribers).

Kept beside the views, outside them, so that the views stay parse-call-render; imported by
`subscribers/urls.py`. What every operation shares (errors, security, rate-limit headers,
pagination meta) comes from `sparkloop.api.schema`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers

from sparkloop.api.examples import field_examples
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

extend_schema_field(OpenApiTypes.EMAIL)(EmailField)


def with_fields(base: type[serializers.Serializer[Any]], name: str, doc: str, **fields: Any) -> Any:
    """`base` plus `fields`, whether `base` is a ModelSerializer (its Meta lists them) or not."""
    attrs: dict[str, Any] = {**fields, "__doc__": doc}
    meta_class = getattr(base, "Meta", None)
    if meta_class is not None:
        # Read-only fields are `required` in a response schema: every key is always there.
        names = list(meta_class.fields)
        attrs["Meta"] = type(
            "Meta", (meta_class,), {"fields": [*names, *fields], "read_only_fields": names}
        )
    return type(name, (base,), attrs)


# The subscriber object as every endpoint returns it (`subscriber_objects`), `expand=`'s
# additions included.
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
    value = serializers.FloatField(help_text="In dollars.")  # type: ignore[assignment]


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
        description=(
            "`ref_code` is an extension: the subscriber's own code (4-16 of `A-Z a-z 0-9 _ -`, "
            "kept as given), refused with 400 `Ref code has already been taken` when the team "
            "has it in any case; without one, 8 random hex digits."
        ),
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


SUBSCRIBER_ID = "sub_5a9c1e7b2d40"
# Realistic values for the subscriber fields (sparkloop.api.examples composes the bodies).
schema_examples = field_examples(
    by_name={
        "email": "ann@example.com",
        "ref_code": "c784ef4f",
        "referrer_code": "a1b2c3d4",
        "referred": True,
        "ip_address": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15",
        "origin": "sparkloop-api",
        "country_code": "GB",
        "cpa": 2.5,
        "utm_source": "newsletter",
        "utm_campaign": "spring-2021",
        "subscriber_uuid": SUBSCRIBER_ID,
        "total_subscribers": 120,
        "value": 49.0,
        "description": "Bought the annual plan",
    },
    by_component={
        "Subscriber": {"uuid": SUBSCRIBER_ID, "name": "Ann Lee"},
        "SubscriberCreateInputRequest": {"name": "Ann Lee", "status": "confirmed"},
        "SubscriberUpdateInputRequest": {"name": "Ann Lee", "status": "confirmed"},
        "PatchedSubscriberUpdateInputRequest": {"name": "Ann Lee", "status": "confirmed"},
        "SubscriberEvent": {"uuid": "event_7d1e2f3a4b5c", "campaign_uuid": "MF3c9d2e1f0a"},
        "SubscriberEventInputRequest": {"campaign_uuid": "MF3c9d2e1f0a"},
    },
)
