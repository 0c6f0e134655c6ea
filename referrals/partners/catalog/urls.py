"""The partner catalogue: API routes (under /v2/ and /api/v2/, via partners/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, re_path

from referrals.partners.catalog import openapi  # noqa: F401 (describes the views in the schema)
from referrals.partners.catalog.views import (
    NetworkProgramViewSet,
    NetworkPublicationViewSet,
    PartnerCampaignViewSet,
    PartnerProfileViewSet,
    ProgramViewSet,
    PublicationViewSet,
)
from sparkloop.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("publications", PublicationViewSet, basename="publication")
router.register("partner_programs", ProgramViewSet, basename="partner-program")
router.register(
    "partner_profile/partner_campaigns", PartnerCampaignViewSet, basename="partner-campaign"
)
router.register(
    "partner_network/publications", NetworkPublicationViewSet, basename="network-publication"
)
router.register(
    "partner_network/partner_programs", NetworkProgramViewSet, basename="network-program"
)

_DECISION = r"^partner_programs/(?P<pk>[^/]+)/partners/(?P<campaign_pk>[^/]+)/"

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(
        r"^partner_profile/?$",
        PartnerProfileViewSet.as_view(
            {"get": "retrieve", "put": "update", "patch": "partial_update"}
        ),
        name="partner-profile",
    ),
    re_path(
        _DECISION + r"approve/?$",
        ProgramViewSet.as_view({"put": "approve", "post": "approve"}),
        name="partner-program-approve",
    ),
    re_path(
        _DECISION + r"reject/?$",
        ProgramViewSet.as_view({"put": "reject", "post": "reject"}),
        name="partner-program-reject",
    ),
    *router.urls,
]
