"""API v1's deprecation notice, on every response under /v1/ and /api/v1/ (errors too).

`Deprecation` (RFC 9745: since when v1 is deprecated, as a structured date), `Sunset`
(RFC 8594: when it may stop answering, API_V1_SUNSET) and `Link` to the v2 documentation
(its successor version, and where the deprecation is described). Outermost of the API's
middleware, so that refusals made before any view (rate limits, hostile input, unknown
paths) carry them too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.urls import get_script_prefix
from django.utils.http import http_date

V1_PREFIXES = ("/v1/", "/api/v1/")
# API v1 was deprecated here from the month it was first served (SparkLoop had deprecated it
# long before); RFC 9745 allows a date in the past.
DEPRECATED_AT = datetime(2026, 12, 1, tzinfo=UTC)
V2_DOCS = "v2/docs"


@cache
def sunset_at(value: str) -> datetime:
    """API_V1_SUNSET (ISO 8601: a date, or a date and time; UTC unless it says otherwise)."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ImproperlyConfigured(
            f"API_V1_SUNSET is an ISO 8601 date or date-time like 2027-12-31T23:59:59Z, "
            f"not {value!r}"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def deprecation_headers() -> dict[str, str]:
    """The three headers of every v1 response."""
    docs = f"{get_script_prefix()}{V2_DOCS}"
    return {
        "Deprecation": f"@{int(DEPRECATED_AT.timestamp())}",
        "Sunset": http_date(sunset_at(settings.API_V1_SUNSET).timestamp()),
        # A URI reference relative to the request's (RFC 8288 §3.1), valid on any host name.
        "Link": (
            f'<{docs}>; rel="successor-version"; type="text/html", '
            f'<{docs}>; rel="deprecation"; type="text/html"'
        ),
    }


class DeprecationHeadersMiddleware:
    """Adds `deprecation_headers()` to every response of a request under /v1/ or /api/v1/."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        sunset_at(settings.API_V1_SUNSET)  # a bad setting stops the start, not a request

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(V1_PREFIXES):
            for name, value in deprecation_headers().items():
                if name == "Link" and response.has_header("Link"):
                    value = f"{response['Link']}, {value}"
                response[name] = value
        return response
