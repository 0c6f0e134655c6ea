"""Referral campaign routes (mounted under /v2/ and /api/v2/)."""

from __future__ import annotations

from django.urls import re_path

from referrals import openapi  # noqa: F401 (describes the viewsets in the schema)
from referrals.views import CampaignMembershipViewSet, CampaignSubscriberViewSet, CampaignViewSet
from sparkloop.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register(
    r"campaigns/(?P<campaign_pk>[^/]+)/campaign_memberships",
    CampaignMembershipViewSet,
    basename="campaign-membership",
)
router.register(
    r"campaigns/(?P<campaign_pk>[^/]+)/subscribers",
    CampaignSubscriberViewSet,
    basename="campaign-subscriber",
)

urlpatterns = [
    # Our extension: redeem an unlocked reward with a variant and shipping details.
    re_path(
        r"^campaigns/(?P<campaign_pk>[^/]+)/subscribers/(?P<pk>[^/]+)/rewards/"
        r"(?P<grant_pk>[^/]+)/redeem/?$",
        CampaignSubscriberViewSet.as_view({"post": "redeem", "put": "redeem"}),
        name="campaign-subscriber-reward-redeem",
    ),
    *router.urls,
]
