"""Offers: API routes (under /v2/ and /api/v2/, via partners/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, re_path

from referrals.partners.offers import openapi  # noqa: F401 (describes the views in the schema)
from referrals.partners.offers.views import (
    NetworkOfferViewSet,
    OfferConversionViewSet,
    OfferViewSet,
)
from sparkloop.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("offers", OfferViewSet, basename="offer")

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(
        r"^partner_network/offers/?$",
        NetworkOfferViewSet.as_view({"get": "list"}),
        name="network-offer-list",
    ),
    re_path(
        r"^offers/(?P<offer_pk>[^/]+)/submissions/(?P<submission_pk>[^/]+)/conversions/?$",
        OfferConversionViewSet.as_view({"post": "create"}),
        name="offer-conversion",
    ),
    *router.urls,
]
