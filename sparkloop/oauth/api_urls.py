"""API routes of a team's connected and registered apps (mounted under /v2/ and /api/v2/)."""

from __future__ import annotations

from sparkloop.api.routers import OptionalSlashRouter
from sparkloop.oauth import openapi  # noqa: F401 (describes the viewsets in the schema)
from sparkloop.oauth.views import ApplicationViewSet, ConnectionViewSet

router = OptionalSlashRouter()
router.register("oauth/connections", ConnectionViewSet, basename="oauth-connection")
router.register("oauth/applications", ApplicationViewSet, basename="oauth-application")

urlpatterns = router.urls
