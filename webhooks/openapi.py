"""OpenAPI descriptions of the webhook operations (contract: Webhooks; deliveries, resend,
secrets and the team's token are our extensions).

Kept beside the views rather than on them, so that the views stay parse-call-render;
imported by webhooks.urls. What every operation shares is added by `sparkloop.api.schema`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view

from sparkloop.api.examples import field_examples
from sparkloop.api.schema import PAGE, PER_PAGE, envelope, meta
from webhooks.models import Event
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


WEBHOOK_ID = "webhook_9f8e7d6c5b4a"
HTTP_STATUS = (100, 599)
# Realistic values for the webhook, token and delivery fields.
schema_examples = field_examples(
    by_name={
        "webhook_id": WEBHOOK_ID,
        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "disabled_reason": "Every delivery failed for 5 days",
        "token": "4b1f0c9e8d7a6b5c4d3e2f1a0b9c8d7e",
        "previous_token": "0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b",
        "previous_token_expires_at": "2021-03-25T11:55:02.113Z",
        "attempt_count": 1,
        "last_status_code": 503,
        "last_error": "HTTP 503",
        "response_status_code": 503,
        "response_body": "Service Unavailable",
        "duration_ms": 182,
        "number": 1,
        "total_deliveries": 40,
        "grace_hours": 24,
        "events": {"new_referral": True, "reward_unlocked": True, "sync_subscriber": False},
        "payload": {
            "type": "new_referral",
            "id": "msg_2c1d0e9f8a7b6c5d4e3f2a1b",
            "campaign_id": "MF3c9d2e1f0a",
            "subscriber": {"uuid": "sub_5a9c1e7b2d40", "email": "ann@example.com"},
        },
    },
    by_component={
        "WebhookOutput": {"uuid": WEBHOOK_ID, "url": "https://hooks.example.com/sparkloop"},
        "WebhookWithSecretOutput": {
            "uuid": WEBHOOK_ID,
            "url": "https://hooks.example.com/sparkloop",
        },
        "WebhookCreateInputRequest": {"url": "https://hooks.example.com/sparkloop"},
        "WebhookUpdateInputRequest": {"url": "https://hooks.example.com/sparkloop"},
        "PatchedWebhookUpdateInputRequest": {"url": "https://hooks.example.com/sparkloop"},
        "V1WebhookCreateInputRequest": {"url": "https://hooks.example.com/sparkloop"},
        "V1WebhookUpdateInputRequest": {"url": "https://hooks.example.com/sparkloop"},
        "DeliveryOutput": {"id": "dlv_0a1b2c3d4e5f6a7b", "type": "new_referral"},
        "DeliveryDetailOutput": {"id": "dlv_0a1b2c3d4e5f6a7b", "type": "new_referral"},
        "DeliveryAttemptOutput": {"error": "Read timed out after 15 s"},
    },
    bounds={
        "last_status_code": HTTP_STATUS,
        "response_status_code": HTTP_STATUS,
        "attempt_count": (0, None),
        "number": (1, None),
        "duration_ms": (0, None),
    },
)


# What a receiver gets, one component per event type (`WebhookNewReferral`, ...): each a
# payload the services really wrote (kept in payload_examples.json; tests/ops checks it
# against fresh ones), its schema read off the example. Types without an example here (the
# partner network's) are described by their flag and docs/webhooks.md.
PAYLOAD_EXAMPLES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "payload_examples.json").read_text()
)


def _schema_of(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return {
            "type": "object",
            "properties": {key: _schema_of(item) for key, item in value.items()},
        }
    if isinstance(value, list):
        return {"type": "array", "items": _schema_of(value[0] if value else "")}
    if value is None:
        return {"nullable": True}
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string"}
    return {"type": kinds[type(value)], "example": value}


def payload_component_name(event_type: str) -> str:
    return "Webhook" + "".join(part.title() for part in event_type.replace(".", "_").split("_"))


def payload_components(result: dict[str, Any], generator: Any, request: Any, public: bool) -> Any:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for event_type in Event.Type.values:
        example = PAYLOAD_EXAMPLES.get(event_type)
        schema: dict[str, Any] = (
            _schema_of(example)
            if example
            else {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "example": event_type},
                    "id": {"type": "string", "example": "msg_2c1d0e9f8a7b6c5d4e3f2a1b"},
                },
                "additionalProperties": True,
            }
        )
        schema["properties"]["type"]["enum"] = [event_type]
        schema["description"] = (
            f"The body of a `{event_type}` webhook (POSTed, signed; `id` equals the "
            "`webhook-id` header). See docs/webhooks.md."
        )
        if example:
            schema["example"] = example
        schemas[payload_component_name(event_type)] = schema
    return result
