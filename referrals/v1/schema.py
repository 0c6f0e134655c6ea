"""What every API v1 operation shares in the OpenAPI document, and the helpers that describe
one: deprecated, a `v1_` operation id, a v1 tag, the Deprecation/Sunset/Link headers on each
response (on top of what every operation of the API shares, `sparkloop.api.schema`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from sparkloop.api.schema import ApiAutoSchema, ErrorSerializer

DEPRECATED = "API v1 is deprecated: use API v2 ({successor})."

HEADERS: dict[str, dict[str, Any]] = {
    "Deprecation": {
        "schema": {"type": "string"},
        "description": "RFC 9745: since when API v1 is deprecated (`@<epoch seconds>`).",
        "required": True,
    },
    "Sunset": {
        "schema": {"type": "string"},
        "description": "RFC 8594: when API v1 may stop answering (an HTTP date).",
        "required": True,
    },
    "Link": {
        "schema": {"type": "string"},
        "description": 'The v2 documentation: `rel="successor-version"` and `rel="deprecation"`.',
        "required": True,
    },
}


class V1AutoSchema(ApiAutoSchema):
    """What every v1 operation shares: deprecated, its own ids and tags, the headers."""

    def is_deprecated(self) -> bool:
        return True

    def get_operation_id(self) -> str:
        return f"v1_{super().get_operation_id()}"

    def get_tags(self) -> list[str]:
        return [f"v1 {getattr(self.view, 'scope_resource', '')}".strip()]

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for response in operation["responses"].values():
            response["headers"] = {**response.get("headers", {}), **HEADERS}
        return operation


def error_response(status: int, *messages: str) -> OpenApiResponse:
    """An error response with each of its documented sentences as an example."""
    return OpenApiResponse(
        ErrorSerializer,
        description="Each example is one of this operation's error sentences.",
        examples=[
            OpenApiExample(message, value={"error": message}, status_codes=[str(status)])
            for message in messages
        ],
    )


def deprecated(successor: str, **kwargs: Any) -> Any:
    """extend_schema for a v1 operation, naming the v2 operation that replaces it."""
    description = DEPRECATED.format(successor=successor)
    if kwargs.get("description"):
        description = f"{kwargs.pop('description')}\n\n{description}"
    return extend_schema(description=description, **kwargs)


def example(name: str, value: Any, *, status: int = 200) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[str(status)])


def body(name: str, value: Any) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)
