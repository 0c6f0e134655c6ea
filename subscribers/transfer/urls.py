"""Import and export routes, included by `subscribers/urls.py` before `subscribers/<id>`."""

from __future__ import annotations

from django.urls import re_path

from sparkloop.api.routers import OptionalSlashRouter
from subscribers.transfer import openapi  # noqa: F401 (describes the viewsets in the schema)
from subscribers.transfer.views import SubscriberExportViewSet, SubscriberImportViewSet

router = OptionalSlashRouter()
router.register("imports", SubscriberImportViewSet, basename="subscriber-import")

urlpatterns = [
    re_path(
        r"^subscribers/export/?$",
        SubscriberExportViewSet.as_view({"get": "list"}),
        name="subscriber-export",
    ),
    *router.urls,
]
