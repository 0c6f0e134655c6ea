"""Wire shapes of the batch endpoints: the whole request, and each item as a single write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework import exceptions, serializers

from sparkloop.api.exceptions import exception_handler
from sparkloop.models import Team
from subscribers.batch.services import ItemResult
from subscribers.serializers import (
    IDENTIFIER_BLANK,
    SubscriberCreateInputSerializer,
    SubscriberUpdateInputSerializer,
    subscriber_objects,
)

BATCH_MAX = 1000
SUBSCRIBERS_NOT_LIST = "Subscribers must be a list"
SUBSCRIBERS_BLANK = "Subscribers can't be blank"
SUBSCRIBERS_TOO_MANY = f"Too many subscribers (maximum is {BATCH_MAX})"
ITEM_NOT_OBJECT = "Each subscriber must be a JSON object"


class SubscriberBatchInputSerializer(serializers.Serializer[Any]):
    """`{"subscribers": [...]}`: 1 to BATCH_MAX items (each is validated on its own)."""

    subscribers = serializers.JSONField(
        allow_null=True,
        error_messages={"required": SUBSCRIBERS_BLANK, "null": SUBSCRIBERS_BLANK},
    )

    def validate_subscribers(self, value: Any) -> list[Any]:
        if value in (None, "", []):
            raise serializers.ValidationError(SUBSCRIBERS_BLANK)
        if not isinstance(value, list):
            raise serializers.ValidationError(SUBSCRIBERS_NOT_LIST)
        if len(value) > BATCH_MAX:
            raise serializers.ValidationError(SUBSCRIBERS_TOO_MANY)
        return value


class SubscriberBatchCreateItemSerializer(SubscriberCreateInputSerializer):
    """A single create's body, its own `ref_code` included (kept when moving)."""


def error_message(errors: Any) -> str:
    """The sentence the API answers a single request with for these validation errors."""
    response = exception_handler(exceptions.ValidationError(errors), {})
    assert response is not None  # a ValidationError is always rendered  # noqa: S101
    return str(response.data["error"])


def item_validate(serializer_class: type[serializers.Serializer[Any]], item: Any) -> Any:
    """An item's validated data, or the single request's error sentence (a str) for it."""
    if not isinstance(item, dict):
        return ItemError(ITEM_NOT_OBJECT)
    serializer = serializer_class(data=item)
    if serializer.is_valid():
        return serializer.validated_data
    return ItemError(error_message(serializer.errors))


def items_validate(serializer_class: type[serializers.Serializer[Any]], items: Any) -> list[Any]:
    """`item_validate` of each item, through one serializer: DRF deep-copies a serializer's
    fields whenever one is made, most of what validating a small item costs."""
    serializer = serializer_class()
    out: list[Any] = []
    for item in items:
        if not isinstance(item, dict):
            out.append(ItemError(ITEM_NOT_OBJECT))
            continue
        try:
            out.append(serializer.run_validation(item))
        except serializers.ValidationError as error:
            out.append(ItemError(error_message(error.detail)))
    return out


class ItemError(str):
    """An item's error sentence (a str, told apart from validated data by its type)."""


def batch_items(data: Any) -> list[Any]:
    """The request's items, or the whole request's 400 (not a list, empty, too many)."""
    if not isinstance(data, dict):
        data = {}
    serializer = SubscriberBatchInputSerializer(data={"subscribers": data.get("subscribers")})
    serializer.is_valid(raise_exception=True)
    items: list[Any] = serializer.validated_data["subscribers"]
    return items


def batch_body(results: Sequence[ItemResult], *, team: Team, done: str) -> dict[str, Any]:
    """`{"results": [...], "meta": {<done>: n, "failed": n}}`, items in the request's order;
    the subscribers rendered together by the subscriber object's one renderer."""
    results = sorted(results, key=lambda r: r.index)
    written = [r.subscriber for r in results if r.subscriber is not None]
    rendered = iter(subscriber_objects(written, team=team))
    body: list[dict[str, Any]] = []
    for result in results:
        item: dict[str, Any] = {"index": result.index, "status": result.status}
        if result.subscriber is not None:
            item["subscriber"] = next(rendered)
        else:
            item["error"] = result.error
        body.append(item)
    ok = len(written)
    return {"results": body, "meta": {done: ok, "failed": len(results) - ok}}


def update_item_parse(item: Any) -> tuple[str, dict[str, Any] | str]:
    """`(identifier, validated fields)` of a batch update item, or `(identifier, sentence)`:
    a blank identifier's sentence has a blank identifier (it is checked before the look-up)."""
    if not isinstance(item, dict):
        return "", ITEM_NOT_OBJECT
    identifier = item.get("identifier")
    if not isinstance(identifier, str) or not identifier.strip():
        return "", IDENTIFIER_BLANK
    fields = {key: value for key, value in item.items() if key != "identifier"}
    validated = item_validate(SubscriberUpdateInputSerializer, fields)
    return identifier, str(validated) if isinstance(validated, ItemError) else dict(validated)


def results_merge(parsed: Sequence[Any], created: Sequence[ItemResult]) -> list[ItemResult]:
    """Every item's result: the shape errors of `parsed` (ItemError) at their index, and the
    results of the valid items (numbered among themselves) moved back to theirs."""
    valid = [i for i, data in enumerate(parsed) if not isinstance(data, ItemError)]
    results = [
        ItemResult(index=i, status=400, error=str(data))
        for i, data in enumerate(parsed)
        if isinstance(data, ItemError)
    ]
    for result in created:
        result.index = valid[result.index]
        results.append(result)
    return results
