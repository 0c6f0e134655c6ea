"""Middleware every route goes through: the guard against NUL characters in a request.

PostgreSQL stores NUL in neither text nor jsonb, so a NUL that reaches a query is a 500
(`ValueError: A string literal cannot contain NUL`). Rather than guard every selector, a
request carrying one is refused here, before any view: a NUL in an identifier of the path
is the contract's 404 (`<identifier as given> not found!`: nothing stored holds a NUL, so
nothing can match it), one in the query string, a form body or HTTP Basic credentials a 400.
The OAuth endpoints answer in their own format (RFC 6749 §5.2, `invalid_request`). JSON
bodies are checked where they are decoded (`sparkloop.api.parsers`), with their depth limit.
A path with a NUL that matches no route is Django's 404 (JSON, `sparkloop.urls`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict

from sparkloop.api.parsers import BODY_NUL, nul_message

QUERY_NUL = "The query string must not contain NUL characters"
CREDENTIALS_NUL = "The credentials must not contain NUL characters"
IDENTIFIER_NOT_FOUND = "{identifier} not found!"
OAUTH_FIELD_NUL = "{field} must not contain NUL characters"

# Sentinel: a NUL somewhere in a form body, in no field that can be named.
_UNNAMED = ""

OAUTH_PREFIX = "/oauth/"


def _has_nul(encoded: str | bytes) -> bool:
    raw = encoded.encode("latin-1") if isinstance(encoded, str) else encoded
    return b"\x00" in raw or b"\x00" in unquote_to_bytes(raw)


def _nul_field(fields: QueryDict) -> str:
    for key, values in fields.lists():
        if "\x00" in key:
            return _UNNAMED
        if any("\x00" in value for value in values):
            return key
    return _UNNAMED


def _form_nul_field(request: HttpRequest) -> str | None:
    """The form field holding a NUL (`_UNNAMED` if none can be named), or None: no NUL."""
    content_type = request.content_type or ""
    if content_type == "application/x-www-form-urlencoded":
        # Percent-escapes are always '%' and two hex digits: "%00" can't be a part of another.
        if not _has_nul(request.body):
            return None
        return _nul_field(QueryDict(request.body, encoding=request.encoding))
    if content_type == "multipart/form-data" and request.method == "POST":
        # Files may hold any byte (a PNG is full of NULs); the text fields may not.
        for key, value in request.POST.items():
            if "\x00" in key or "\x00" in value:
                return _nul_field(request.POST)
    return None


def _basic_credentials_have_nul(request: HttpRequest) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False  # not credentials at all: the view refuses them in its own words
    return _has_nul(decoded)


def _refuse(request: HttpRequest, message: str, *, field: str | None = None) -> JsonResponse:
    if request.path.startswith(OAUTH_PREFIX):
        if field:
            message = OAUTH_FIELD_NUL.format(field=field)
        response = JsonResponse(
            {"error": "invalid_request", "error_description": message}, status=400
        )
        response["Cache-Control"] = "no-store"
        return response
    if field is not None:
        message = nul_message(field)
    return JsonResponse({"error": message}, status=400)


class HostileInputMiddleware:
    """Refuses requests carrying NUL characters before any view or query sees them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request.META.get("QUERY_STRING", "")):
            return _refuse(request, QUERY_NUL)
        if _basic_credentials_have_nul(request):
            return _refuse(request, CREDENTIALS_NUL)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            field = _form_nul_field(request)
            if field is not None:
                return _refuse(request, BODY_NUL, field=field)
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        for value in (*view_args, *view_kwargs.values()):
            if isinstance(value, str) and "\x00" in value:
                return JsonResponse(
                    {"error": IDENTIFIER_NOT_FOUND.format(identifier=value)}, status=404
                )
        return None
