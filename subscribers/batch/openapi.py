"""OpenAPI descriptions of the batch operations (contract: Bulk, Batch endpoints)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers

from sparkloop.api.examples import field_examples
from subscribers.batch.serializers import BATCH_MAX, SubscriberBatchCreateItemSerializer
from subscribers.batch.views import SubscriberBatchViewSet
from subscribers.openapi import SubscriberSerializer
from subscribers.serializers import SubscriberUpdateInputSerializer

IDEMPOTENCY = (
    "Send an `Idempotency-Key` header to make a retry safe: a repeat with the same body gets "
    "the stored answer again (with `Idempotent-Replayed: true`)."
)


class SubscriberBatchUpdateItemSerializer(SubscriberUpdateInputSerializer):
    identifier = serializers.CharField(help_text="The subscriber's uuid or email.")


def _request(name: str, item: Any) -> Any:
    return inline_serializer(
        name, {"subscribers": item(many=True, help_text=f"1 to {BATCH_MAX} items.")}
    )


def _response(name: str, done: str) -> dict[int, Any]:
    result = inline_serializer(
        f"{name}Result",
        {
            "index": serializers.IntegerField(help_text="The item's place in the request."),
            "status": serializers.IntegerField(help_text="What a single request would answer."),
            "subscriber": SubscriberSerializer(required=False),
            "error": serializers.CharField(required=False),
        },
    )
    meta = inline_serializer(
        f"{name}Meta", {done: serializers.IntegerField(), "failed": serializers.IntegerField()}
    )
    body = inline_serializer(name, {"results": serializers.ListField(child=result), "meta": meta})
    return {200: body}


CREATE_EXAMPLE = {
    "subscribers": [
        {"email": "ann@example.com", "name": "Ann", "ref_code": "ann-2024"},
        {"email": "bob@example.com", "referrer_code": "ann-2024", "status": "confirmed"},
        {"email": "ANN@example.com"},
    ]
}
SUB = {"uuid": "sub_8f1c2d3e4a5b", "email": "ann@example.com", "ref_code": "ann-2024"}
CREATED_EXAMPLE = {
    "results": [
        {"index": 0, "status": 201, "subscriber": SUB},
        {"index": 1, "status": 201, "subscriber": {**SUB, "email": "bob@example.com"}},
        {"index": 2, "status": 400, "error": "Email has already been taken"},
    ],
    "meta": {"created": 2, "failed": 1},
}
UPDATE_EXAMPLE = {
    "subscribers": [
        {"identifier": "sub_8f1c2d3e4a5b", "status": "confirmed"},
        {"identifier": "nobody@example.com", "name": "Nobody"},
    ]
}
UPDATED_EXAMPLE = {
    "results": [
        {"index": 0, "status": 200, "subscriber": {**SUB, "status": "confirmed"}},
        {"index": 1, "status": 404, "error": "Subscriber nobody@example.com not found!"},
    ],
    "meta": {"updated": 1, "failed": 1},
}

extend_schema_view(
    create=extend_schema(
        summary="Create up to 1,000 subscribers",
        description=(
            "Each item is a single create's body (plus an optional `ref_code` of its own, "
            "4-16 of `A-Z a-z 0-9 _ -`) and gets the single create's answer in `results`, in "
            "order; one item's failure never undoes another's. A later item may name an "
            "earlier one's `ref_code` as its `referrer_code`. Counts as one request against "
            f"the rate limit. {IDEMPOTENCY}"
        ),
        request=_request("SubscriberBatchCreateRequest", SubscriberBatchCreateItemSerializer),
        responses=_response("SubscriberBatchCreateResponse", "created"),
        examples=[
            OpenApiExample("Three creates", value=CREATE_EXAMPLE, request_only=True),
            OpenApiExample("Their results", value=CREATED_EXAMPLE, response_only=True),
        ],
    ),
    update=extend_schema(
        summary="Update up to 1,000 subscribers",
        description=(
            "Each item names its subscriber (`identifier`: uuid or email) and the fields of a "
            f"single update; `status` per item is 200, 400 or 404. {IDEMPOTENCY}"
        ),
        request=_request("SubscriberBatchUpdateRequest", SubscriberBatchUpdateItemSerializer),
        responses=_response("SubscriberBatchUpdateResponse", "updated"),
        examples=[
            OpenApiExample("Two updates", value=UPDATE_EXAMPLE, request_only=True),
            OpenApiExample("Their results", value=UPDATED_EXAMPLE, response_only=True),
        ],
    ),
)(SubscriberBatchViewSet)


# Realistic values for the fields of the batch items (registered in the
# SPECTACULAR_SETTINGS postprocessing hooks).
schema_examples = field_examples(
    by_component={
        "SubscriberBatchCreateItemRequest": {"name": "Ann Lee"},
        "SubscriberBatchUpdateItemRequest": {
            "name": "Ann Lee",
            "status": "confirmed",
            "identifier": "sub_8f1c2d3e4a5b",
        },
    },
)
