"""URL configuration: the v2 API under /v2/ and /api/v2/, and the admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

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

handler400 = "sparkloop.api.exceptions.json_bad_request"
handler403 = "sparkloop.api.exceptions.json_forbidden"
handler404 = "sparkloop.api.exceptions.json_not_found"
handler500 = "sparkloop.api.exceptions.json_server_error"
