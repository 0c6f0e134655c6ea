"""Webhook routes (mounted under /v2/ and /api/v2/)."""

from __future__ import annotations

from django.urls import re_path

from sparkloop.api.routers import OptionalSlashRouter
from webhooks import openapi  # noqa: F401 (describes the viewsets in the schema)
from webhooks.views import WebhookDeliveryViewSet, WebhookViewSet

router = OptionalSlashRouter()
router.register("webhooks", WebhookViewSet, basename="webhook")

_DELIVERY = r"^webhooks/(?P<webhook_pk>[^/]+)/deliveries/(?P<pk>[^/]+)"

urlpatterns = [
    *router.urls,
    re_path(
        _DELIVERY + r"/?$",
        WebhookDeliveryViewSet.as_view({"get": "retrieve"}),
        name="webhook-delivery-detail",
    ),
    re_path(
        _DELIVERY + r"/resend/?$",
        WebhookDeliveryViewSet.as_view({"post": "resend"}),
        name="webhook-delivery-resend",
    ),
]
