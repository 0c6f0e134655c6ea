"""The partner side's public hosted pages (mounted at the site root: /p/, /r/, /o/)."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("referrals.partners.offers.page_urls")),
]
