"""The partner side's API routes (mounted under /v2/ and /api/v2/): each subpackage's own."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("referrals.partners.catalog.urls")),
    path("", include("referrals.partners.earnings.urls")),
    path("", include("referrals.partners.upscribe.urls")),
    path("", include("referrals.partners.offers.urls")),
]
