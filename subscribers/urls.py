"""Subscriber routes (mounted under /v2/ and /api/v2/)."""

from __future__ import annotations

from django.urls import include, path, re_path

from sparkloop.api.routers import OptionalSlashRouter
from subscribers import openapi  # noqa: F401 (describes the viewsets in the schema)
from subscribers.views import SubscriberViewSet

router = OptionalSlashRouter()
router.register("subscribers", SubscriberViewSet, basename="subscriber")

urlpatterns = [
    path("", include("subscribers.batch.urls")),  # before subscribers/<id>
    path("", include("subscribers.transfer.urls")),  # before subscribers/<id>
    # An empty identifier gets the documented "blank" error rather than a bare 404.
    re_path(
        r"^subscribers/(?P<pk>\s*)/events/?$",
        SubscriberViewSet.as_view({"post": "events"}),
        name="subscriber-events-blank",
    ),
    *router.urls,
]
