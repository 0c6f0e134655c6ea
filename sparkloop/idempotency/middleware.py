"""`Idempotency-Key` on every POST of the API and the batch PUT (contract: Bulk).

A middleware rather than a view mixin, so that every endpoint of every app has it without
knowing. It learns the caller with the API's own authentication classes (an API key, or an
OAuth token, whose application is the caller, so a refreshed token replays the same keys),
then claims the key (`services.idempotency_claim`) before the view runs and stores the answer
after. A request that does not authenticate passes through: the view answers its 401.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any, cast

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.settings import api_settings

from sparkloop.exceptions import ServiceError
from sparkloop.idempotency import services

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
API_PATH = re.compile(r"^/(api/)?v[12]/")
BATCH_PATH = re.compile(r"^/(api/)?v2/subscribers/batch/?$")


def applies(request: HttpRequest) -> bool:
    """Every POST of the API, and the batch PUT."""
    if request.method == "POST":
        return bool(API_PATH.match(request.path))
    return request.method == "PUT" and bool(BATCH_PATH.match(request.path))


def caller_of(request: HttpRequest) -> tuple[int, str] | None:
    """`(team id, caller)` by the API's authentication classes; None if it does not
    authenticate (the view will say why)."""
    # DRF imports the dotted names of the setting: these are the classes.
    classes = cast(list[Any], api_settings.DEFAULT_AUTHENTICATION_CLASSES)
    drf = Request(request, authenticators=[cls() for cls in classes])
    try:
        drf.user  # noqa: B018 - runs the authenticators
    except exceptions.APIException:
        return None
    team = getattr(request, "team", None)
    if team is None or drf.auth is None:
        return None
    application_id = getattr(drf.auth, "application_id", None)
    caller = f"app:{application_id}" if application_id else f"key:{drf.auth.pk}"
    return team.pk, caller


def fingerprint(request: HttpRequest) -> str:
    """sha256 of method, path and body. A multipart body (an upload, up to a gigabyte) is
    never read here: its content type without the boundary and its length stand for it."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/"):
        digest.update(f"multipart {request.META.get('CONTENT_LENGTH', '')}".encode())
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _error(error: ServiceError) -> JsonResponse:
    return JsonResponse({"error": error.message}, status=error.status_code)


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        key = request.headers.get(HEADER)
        if key is None or not applies(request):
            return self.get_response(request)
        try:
            services.idempotency_key_check(key)
        except ServiceError as error:
            return _error(error)
        caller = caller_of(request)
        if caller is None:
            return self.get_response(request)
        try:
            row, claimed = services.idempotency_claim(
                team_id=caller[0],
                caller=caller[1],
                key=key,
                method=request.method or "",
                path=request.path,
                fingerprint=fingerprint(request),
            )
        except ServiceError as error:
            return _error(error)
        if not claimed:
            replay = HttpResponse(
                bytes(row.body), status=row.status_code, content_type=row.content_type or None
            )
            replay[REPLAYED] = "true"
            return replay
        return self._run(request, row)

    def _run(self, request: HttpRequest, row: Any) -> HttpResponseBase:
        try:
            response = self.get_response(request)
        except BaseException:
            services.idempotency_release(row=row)
            raise
        if response.streaming:  # nothing to store: let a retry run again
            services.idempotency_release(row=row)
            return response
        services.idempotency_finish(
            row=row,
            status_code=response.status_code,
            content_type=response.get("Content-Type", ""),
            body=response.content,  # type: ignore[attr-defined]
        )
        return response
