"""Reads of webhook endpoints and deliveries, always scoped to a team."""

from __future__ import annotations

from django.db.models import QuerySet

from sparkloop.exceptions import NotFound
from sparkloop.models import Team
from webhooks.models import WebhookDelivery, WebhookEndpoint

WEBHOOK_NOT_FOUND = "Webhook {uuid} not found!"
DELIVERY_NOT_FOUND = "Delivery {id} not found!"


def endpoint_list(*, team: Team, campaign_uuid: str | None = None) -> QuerySet[WebhookEndpoint]:
    """A team's webhook endpoints, newest first (reference §12.1); with `campaign_uuid`,
    only those made under that campaign (API v1)."""
    endpoints = WebhookEndpoint.objects.filter(team=team)
    if campaign_uuid is not None:
        endpoints = endpoints.filter(campaign_uuid=campaign_uuid)
    return endpoints.order_by("-created_at", "-id")


def endpoint_get(*, team: Team, uuid: str, campaign_uuid: str | None = None) -> WebhookEndpoint:
    """The team's endpoint `uuid` (made under `campaign_uuid`, if given); another team's
    (or another campaign's) is as unknown as a missing one (404)."""
    endpoint = (
        endpoint_list(team=team, campaign_uuid=campaign_uuid).filter(public_id=uuid.strip()).first()
    )
    if endpoint is None:
        raise NotFound(WEBHOOK_NOT_FOUND.format(uuid=uuid))
    return endpoint


def delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """An endpoint's deliveries, newest first, with their events."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .order_by("-created_at", "-id")
    )


def delivery_get(*, endpoint: WebhookEndpoint, delivery_id: str) -> WebhookDelivery:
    delivery = (
        delivery_list(endpoint=endpoint)
        .prefetch_related("attempts")
        .filter(public_id=delivery_id.strip())
        .first()
    )
    if delivery is None:
        raise NotFound(DELIVERY_NOT_FOUND.format(id=delivery_id))
    return delivery
