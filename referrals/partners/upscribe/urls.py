"""Upscribes: API routes (under /v2/ and /api/v2/, via partners/urls.py).

Older SparkLoop pages write the per-recommendation routes with a singular `upscribe/`
(reference §7.2): both spellings reach the same views, each with or without a trailing slash.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, re_path

from referrals.partners.upscribe import openapi  # noqa: F401 (describes the views)
from referrals.partners.upscribe.views import RecommendationViewSet, UpscribeViewSet

_ID = r"(?P<pk>[^/]+)"
_UP = r"(?P<upscribe_pk>[^/]+)"


def _rec(prefix: str, suffix: str, name: str, action: str) -> URLPattern:
    return re_path(
        rf"^{prefix}/{_UP}/recommendations/{_ID}{suffix}/?$",
        RecommendationViewSet.as_view({"put": action}),
        name=name,
    )


urlpatterns: list[URLPattern | URLResolver] = [
    re_path(
        r"^upscribes/?$",
        UpscribeViewSet.as_view({"get": "list", "post": "create"}),
        name="upscribe-list",
    ),
    re_path(
        rf"^upscribes/{_ID}/?$",
        UpscribeViewSet.as_view({"get": "retrieve", "put": "update", "patch": "partial_update"}),
        name="upscribe-detail",
    ),
    re_path(
        rf"^upscribes/{_ID}/stats/?$",
        UpscribeViewSet.as_view({"get": "stats"}),
        name="upscribe-stats",
    ),
    re_path(
        rf"^upscribes/{_ID}/subscribe/?$",
        UpscribeViewSet.as_view({"post": "subscribe"}),
        name="upscribe-subscribe",
    ),
    re_path(
        rf"^upscribes/{_UP}/recommendations/?$",
        RecommendationViewSet.as_view({"get": "list", "post": "generate"}),
        name="upscribe-recommendations",
    ),
]
for _prefix, _tag in (("upscribes", ""), ("upscribe", "-singular")):
    urlpatterns += [
        _rec(_prefix, "", f"upscribe-recommendation{_tag}", "update"),
        *(
            _rec(_prefix, f"/{verb}", f"upscribe-recommendation-{verb}{_tag}", verb)
            for verb in ("pin", "unpin", "pause", "unpause")
        ),
    ]
