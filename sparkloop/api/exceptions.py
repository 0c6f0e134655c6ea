"""One error renderer for the whole API: every failure becomes `{"error": "..."}`."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from sparkloop.api.throttling import RATE_LIMITED
from sparkloop.exceptions import ServiceError

logger = logging.getLogger(__name__)

NOT_FOUND = "Not found"
SERVER_ERROR = "Internal server error"


def _first_message(detail: Any) -> tuple[str, str | None]:
    """The first human message in a DRF error detail, and the field it belongs to."""
    if isinstance(detail, dict):
        for field, value in detail.items():
            message, _ = _first_message(value)
            return message, (None if field == "non_field_errors" else str(field))
        return "Invalid request", None
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else ("Invalid request", None)
    return str(detail), None


def _validation_error(detail: Any) -> dict[str, Any]:
    message, field = _first_message(detail)
    # The contract's sentences name their field ("Email is invalid"); DRF's generic ones
    # ("This field may not be null.") get the field's name in front to stand alone.
    label = field.replace("_", " ") if field else None
    if label and label.lower() not in message.lower():
        message = f"{label.capitalize()}: {message}"
    body: dict[str, Any] = {"error": message}
    if isinstance(detail, dict):
        body["errors"] = detail
    return body


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    headers: dict[str, str] = {}
    if isinstance(exc, ServiceError):
        set_rollback()
        return Response({"error": exc.message}, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(NOT_FOUND)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.messages)

    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's handler500 renders it (JSON, no traceback)

    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait)))  # type: ignore[attr-defined]

    if isinstance(exc, exceptions.ValidationError):
        body = _validation_error(exc.detail)
    elif isinstance(exc, exceptions.Throttled):
        body = {"error": RATE_LIMITED}
    else:
        body = {"error": _first_message(exc.detail)[0]}
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """handler404: API clients parse every body as JSON, unknown paths included."""
    return JsonResponse({"error": NOT_FOUND}, status=status.HTTP_404_NOT_FOUND)


def json_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"error": SERVER_ERROR}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)


def json_bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"error": "Bad request"}, status=status.HTTP_400_BAD_REQUEST)


def json_forbidden(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"error": "Forbidden"}, status=status.HTTP_403_FORBIDDEN)
