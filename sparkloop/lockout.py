"""The answer to a locked-out login or OAuth client (django-axes calls it): 429, Retry-After.

Locked out means AUTH_FAILURE_LIMIT failed attempts from one address, or for one account (a
username, or an OAuth client as `oauth-client:<client_id>`), within the cool-off period
(AUTH_FAILURE_COOLOFF_SECONDS). The OAuth endpoints that apps call answer in RFC 6749's
JSON error format; the login pages, which people see, in a sentence.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

OAUTH_CLIENT_PATHS = ("/oauth/token/", "/oauth/revoke_token/", "/oauth/introspect/")
LOCKED_OUT = "Too many failed attempts: try again in {minutes} minute(s)."


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    seconds = int(settings.AUTH_FAILURE_COOLOFF_SECONDS)
    message = LOCKED_OUT.format(minutes=max(1, -(-seconds // 60)))
    response: HttpResponse
    if request.path in OAUTH_CLIENT_PATHS:
        response = JsonResponse(
            {"error": "temporarily_unavailable", "error_description": message}, status=429
        )
        response["Cache-Control"] = "no-store"
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(seconds)
    return response
