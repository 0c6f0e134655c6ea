"""API v1 routes (mounted under /v1/ and /api/v1/): everything nested under a campaign."""

from __future__ import annotations

from django.urls import re_path

from referrals.v1 import openapi  # noqa: F401 (describes the viewsets in the schema)
from referrals.v1.views import CampaignSubscriberViewSet, CampaignViewSet, CampaignWebhookViewSet
from sparkloop.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("campaigns", CampaignViewSet, basename="v1-campaign")
router.register(
    r"campaigns/(?P<campaign_pk>[^/]+)/subscribers",
    CampaignSubscriberViewSet,
    basename="v1-campaign-subscriber",
)
router.register(
    r"campaigns/(?P<campaign_pk>[^/]+)/webhooks",
    CampaignWebhookViewSet,
    basename="v1-campaign-webhook",
)

urlpatterns = [
    # An empty subscriber identifier gets the documented "blank" error rather than a bare 404.
    re_path(
        r"^campaigns/(?P<campaign_pk>[^/]+)/subscribers/(?P<pk>\s*)/events/?$",
        CampaignSubscriberViewSet.as_view({"post": "events"}),
        name="v1-campaign-subscriber-events-blank",
    ),
    *router.urls,
]
