"""URL configuration: the v2 API under /v2/ and /api/v2/, and the admin."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponseBase
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.static import serve

from sparkloop.health import healthz, readyz
from sparkloop.metrics import metrics_view

api_v2 = [
    path("", include("subscribers.urls")),
    path("", include("webhooks.urls")),
    path("", include("referrals.urls")),
    path("", include("referrals.partners.urls")),
    path("", include("sparkloop.oauth.api_urls")),
    path("", include("sparkloop.api.openapi")),  # /v2/schema, /v2/docs, /v2/redoc
]

urlpatterns: list[URLPattern | URLResolver] = [
    # Operations, outside the API's paths: no key, no rate limit (docs/operations.md).
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("oauth/", include("sparkloop.oauth.urls")),
    path("v2/", include(api_v2)),
    path("api/v2/", include(api_v2)),
    # API v1 (deprecated): campaign-nested, a thin layer over the same services.
    path("v1/", include("referrals.v1.urls")),
    path("api/v1/", include("referrals.v1.urls")),
    # The partner side's public hosted pages: /p/<ref_code>, /r/<ref_code>, /o/<offer>.
    path("", include("referrals.partners.page_urls")),
]


def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Uploaded files (publication logos) from MEDIA_ROOT, read at request time."""
    return serve(request, path, document_root=str(settings.MEDIA_ROOT))


# The web process serves MEDIA_URL itself when it is a local path (SERVE_MEDIA, on by
# default: `make run` and a single-host deployment need nothing else); off when a web server
# or the storage backend (S3, ...) serves the files.
if settings.SERVE_MEDIA and settings.MEDIA_URL.startswith("/"):
    urlpatterns.append(
        re_path(rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.+)$", media, name="media")
    )

handler400 = "sparkloop.api.exceptions.json_bad_request"
handler403 = "sparkloop.api.exceptions.json_forbidden"
handler404 = "sparkloop.api.exceptions.json_not_found"
handler500 = "sparkloop.api.exceptions.json_server_error"
