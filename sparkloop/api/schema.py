"""OpenAPI generation (drf-spectacular): what every operation of the API shares.

`ApiAutoSchema` adds both security schemes with the OAuth scope the method needs, the
`{"error": ...}` responses and the rate-limit headers. An endpoint nobody described yet still
appears (free-form bodies, any 2xx), so the schema stays complete and valid as endpoints are
added; the descriptions themselves live in `sparkloop/api/openapi.py`. This module imports no
app: DRF loads it (DEFAULT_SCHEMA_CLASS) while the apps' URLs are still being imported.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import (
    ResolvedComponent,
    build_basic_type,
    build_parameter_type,
)
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from sparkloop.api.permissions import IsTeamAuthenticated

API_KEY_SCHEME = "ApiKey"
OAUTH_SCHEME = "OAuth2"

FREE_FORM = {"type": "object", "additionalProperties": True}
_UNSET: Any = object()
STANDARD_ACTIONS = {"list", "create", "retrieve", "update", "partial_update", "destroy"}


class ErrorSerializer(serializers.Serializer[Any]):
    """Every 4xx body (contract: Conventions, errors)."""

    error = serializers.CharField(help_text="One human sentence.")
    # Not a clash with Serializer.errors at run time: the metaclass takes fields off the class.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(),
        required=False,
        help_text=(
            "On validation errors: the messages per field, as DRF reports them (a list of "
            "sentences, nested by index or key for list and object fields)."
        ),
    )


ERRORS = {
    "400": "Invalid request: malformed JSON, a missing or invalid field or parameter.",
    "401": "No key (`API key is missing!`) or an unknown or revoked key (`User not found!`).",
    "403": "The OAuth token lacks the scope this method needs (the error names it).",
    "404": "No such object in the team (or in any team: the answer is the same).",
    "429": "Rate limit exceeded; retry after `Retry-After` seconds.",
}

RATE_LIMIT_HEADERS: dict[str, dict[str, Any]] = {
    "X-RateLimit-Limit": {"type": "integer", "description": "Requests allowed in the window."},
    "X-RateLimit-Remaining": {"type": "integer", "description": "Requests left in the window."},
    "X-RateLimit-Reset": {"type": "integer", "description": "When the window ends (epoch s)."},
    "RateLimit-Policy": {
        "type": "string",
        "description": 'IETF draft, e.g. `"default";q=120;w=60`',
    },
    "RateLimit": {"type": "string", "description": 'IETF draft, e.g. `"default";r=119;t=42`'},
}


def _headers(status: str) -> dict[str, Any]:
    names = [*RATE_LIMIT_HEADERS, *(["Retry-After"] if status == "429" else [])]
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def add_header_components(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: the rate-limit headers, defined once and referenced by responses."""
    headers = {
        name: {
            "schema": {"type": spec["type"]},
            "description": spec["description"],
            "required": True,
        }
        for name, spec in RATE_LIMIT_HEADERS.items()
    }
    headers["Retry-After"] = {
        "schema": {"type": "integer"},
        "description": "Seconds until the window ends.",
        "required": True,
    }
    result.setdefault("components", {})["headers"] = headers
    return result


def _scopes() -> dict[str, str]:
    return dict(getattr(settings, "OAUTH2_PROVIDER", {}).get("SCOPES", {}))


class ApiAutoSchema(AutoSchema):
    """Security, error responses and rate-limit headers for every operation."""

    def get_description(self) -> str:  # type: ignore[override]
        return ""  # only what extend_schema says: the views' docstrings are for developers

    def get_operation_id(self) -> str:
        # <path words>_<action>, or _<method> for extra actions, which may share a path's words
        # with a nested resource (`webhooks_deliveries_get` vs `webhooks_deliveries_retrieve`).
        words = [p for p in self.path.split("/")[2:] if p and not p.startswith("{")]
        action = getattr(self.view, "action", None)
        verb = action if action in STANDARD_ACTIONS else self.method.lower()
        return "_".join([*words, verb]).replace("-", "_")

    def get_tags(self) -> list[str]:
        # /v2/<resource>/...: the resource names the group in the docs.
        parts = [p for p in self.path.split("/") if p and not p.startswith("{")]
        return [parts[1] if len(parts) > 1 else "api"]

    def map_parsers(self) -> list[str]:
        return ["application/json"]  # the contract's body format (forms are accepted quietly)

    def _is_list_view(self, serializer: Any = _UNSET) -> bool:
        if serializer is _UNSET:  # naming the operation (`subscribers_list`)
            return getattr(self.view, "action", None) == "list"
        return False  # a body: lists are wrapped objects (`{"subscribers": [...], "meta": ...}`)

    def _resolve_path_parameters(self, variables: list[str]) -> list[dict[str, Any]]:
        # Identifiers are public ids (or emails), never the models' integer keys.
        return [
            build_parameter_type(
                name=variable,
                location=OpenApiParameter.PATH,
                schema=build_basic_type(OpenApiTypes.STR),  # type: ignore[arg-type]
                description=self._path_parameter_description(variable),
            )
            for variable in variables
        ]

    def _path_parameter_description(self, variable: str) -> str:
        if variable == "id" and self.get_tags() == ["subscribers"]:
            return "The subscriber's `uuid` or its email (URL-encoded)."
        return PATH_PARAMETERS.get(variable, "")

    def get_request_serializer(self) -> Any:
        if not self._described():
            return {"application/json": FREE_FORM}
        return super().get_request_serializer()

    def get_response_serializers(self) -> Any:
        if not self._described():
            return {"2XX": OpenApiResponse(FREE_FORM, description="Success.")}
        return super().get_response_serializers()

    def _described(self) -> bool:
        return any(
            callable(getattr(self.view, name, None))
            for name in ("get_serializer", "get_serializer_class")
        ) or hasattr(self.view, "serializer_class")

    def get_auth(self) -> list[dict[str, list[str]]]:
        if not any(isinstance(p, IsTeamAuthenticated) for p in self.view.get_permissions()):
            return []
        self._register_security_schemes()
        auths: list[dict[str, list[str]]] = [{API_KEY_SCHEME: []}]
        resource = getattr(self.view, "scope_resource", "")
        verb = "read" if self.method in SAFE_METHODS else "write"
        scope = f"{verb}:{resource}"
        # A view without a resource, or with one no app can be granted (`oauth`: a team's own
        # apps), is closed to OAuth tokens: API keys only.
        if resource and scope in _scopes():
            auths.append({OAUTH_SCHEME: [scope]})
        return auths

    def _register_security_schemes(self) -> None:
        scopes = _scopes()
        schemes = {
            API_KEY_SCHEME: {
                "type": "apiKey",
                "in": "header",
                "name": "X-Api-Key",
                "description": "The team's API key (any header case).",
            },
            OAUTH_SCHEME: {
                "type": "oauth2",
                "description": "A token acts for one team, within its scopes.",
                "flows": {
                    "authorizationCode": {
                        "authorizationUrl": "/oauth/authorize/",
                        "tokenUrl": "/oauth/token/",
                        "refreshUrl": "/oauth/token/",
                        "scopes": scopes,
                    },
                    "clientCredentials": {"tokenUrl": "/oauth/token/", "scopes": scopes},
                },
            },
        }
        for name, definition in schemes.items():
            self.registry.register_on_missing(
                ResolvedComponent(
                    name=name,
                    type=ResolvedComponent.SECURITY_SCHEMA,
                    object=name,
                    schema=definition,
                )
            )

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses: dict[str, Any] = operation["responses"]
        public = not operation.get("security")
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        for status, description in ERRORS.items():
            if public and status in ("401", "403", "404"):
                continue
            responses.setdefault(
                status,
                {"description": description, "content": {"application/json": {"schema": error}}},
            )
        for status, response in responses.items():
            response["headers"] = {**_headers(status), **response.get("headers", {})}
        return operation


PATH_PARAMETERS = {
    "id": "The object's public identifier (`uuid`).",
    "campaign_pk": "The campaign's public identifier.",
    "webhook_pk": "The webhook's `uuid`.",
}


def v2_paths_only(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """Preprocessing hook: /api/v2/ is an alias of /v2/, described once (and /api/v1/ of
    the deprecated /v1/)."""
    return [
        (path_, path_regex, method, callback)
        for path_, path_regex, method, callback in endpoints
        if path_.startswith(("/v2/", "/v1/")) and r"\s*" not in path_regex
    ]


# --- Shared shapes ----------------------------------------------------------------------------


def envelope(name: str, **fields: serializers.Field[Any, Any, Any, Any]) -> Any:
    """`{"<key>": ...}`: objects wrapped in their singular key, lists in their plural one."""
    return inline_serializer(name=name, fields=fields)


@cache  # one component per collection, however many operations use it
def meta(collection: str) -> Any:
    return inline_serializer(
        name=f"{collection.title().replace('_', '')}Meta",
        fields={
            "per_page": serializers.IntegerField(),
            "page": serializers.IntegerField(),
            "total_pages": serializers.IntegerField(),
            f"total_{collection}": serializers.IntegerField(),
        },
    )


PAGE = OpenApiParameter(
    "page", int, description="Page number, from 1 (default 1); past the end: an empty list."
)
PER_PAGE = OpenApiParameter(
    "per_page", int, description="Items per page (default 50; more than 200 is clamped to 200)."
)
EXPAND = OpenApiParameter(
    "expand", str, description="`campaigns` adds each subscriber's `referral_programs`."
)
