"""Admin for webhooks: endpoints with their health, deliveries with their attempts, resends."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from sparkloop.admin import CappedCountPaginator, short_time
from sparkloop.admin_actions import run_bulk_action
from sparkloop.dashboard import register_column
from webhooks.models import DeliveryAttempt, Event, WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    delivery_resend,
    endpoint_disable,
    endpoint_enable,
    endpoint_send_test,
    event_payload,
)

DISABLED_BY_STAFF = "Disabled by staff ({user})"


URL_SHOWN = 48
ERROR_SHOWN = 40


def shorten(value: str, length: int) -> str:
    """`value` cut to `length` characters, an ellipsis marking the cut (full on the page)."""
    return value if len(value) <= length else value[: length - 1] + "…"


def backlog(team_ids: list[int]) -> dict[int, int]:
    """Deliveries not finished per team (the sweeper's partial indexes: pending, sending)."""
    rows = (
        WebhookDelivery.objects.filter(
            team_id__in=team_ids,
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.SENDING],
        )
        .values("team_id")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {row["team_id"]: row["count"] for row in rows}


def failing_endpoints(team_ids: list[int]) -> dict[int, int]:
    """Endpoints failing or disabled, per team."""
    rows = (
        WebhookEndpoint.objects.filter(team_id__in=team_ids)
        .filter(Q(failing_since__isnull=False) | Q(is_enabled=False))
        .values("team_id")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {row["team_id"]: row["count"] for row in rows}


register_column("webhook backlog", backlog)
register_column("failing webhooks", failing_endpoints)


def secret_hint(value: str, visible: int) -> str:
    """The first `visible` characters of a secret, to recognise it; never the whole."""
    return value[:visible] + "…" if value else "-"


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin[WebhookEndpoint]):
    # Narrow enough for 1,400 px: the URL is cut short, dates of outcomes are on the page.
    list_display = ("public_id", "team", "short_url", "health", "created_at")
    list_filter = ("is_enabled",)
    list_select_related = ("team",)
    search_fields = ("=public_id", "url", "team__name")
    raw_id_fields = ("team",)
    readonly_fields = (
        "public_id",
        "team_webhook_token",
        "secret_hint",
        "previous_secret_expires_at",
        "is_enabled",
        "disabled_at",
        "disabled_reason",
        "health",
        "failing_since",
        "consecutive_failures",
        "last_success_at",
        "last_failure_at",
        "created_at",
        "updated_at",
    )
    fields = ("team", "url", "events", *readonly_fields)
    actions = ("send_test_webhook", "enable_endpoints", "disable_endpoints")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created through the API (URL checks and a secret shown once)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # URL and flags change through the API (URL checks) or the actions, via services.
        return ("team", "url", "events", *self.readonly_fields)

    @admin.display(description="url", ordering="url")
    def short_url(self, obj: WebhookEndpoint) -> str:
        return shorten(obj.url, URL_SHOWN)

    @admin.display(description="health")
    def health(self, obj: WebhookEndpoint) -> str:
        if not obj.is_enabled:
            return f"disabled: {obj.disabled_reason}" if obj.disabled_reason else "disabled"
        if obj.failing_since:
            since = timezone.now() - obj.failing_since
            hours = since.seconds // 3600
            return f"failing for {since.days} d {hours} h ({obj.consecutive_failures} failures)"
        return "healthy" if obj.last_success_at else "no delivery yet"

    # Secrets are shown by a prefix only: the secret was shown once (rotate it through the
    # API); the token is read with the team's key (`GET /v2/webhooks/token`).
    @admin.display(description="team webhook token (SparkLoop-Token)")
    def team_webhook_token(self, obj: WebhookEndpoint) -> str:
        return secret_hint(obj.team.webhook_token, 6)

    @admin.display(description="signing secret")
    def secret_hint(self, obj: WebhookEndpoint) -> str:
        return secret_hint(obj.secret, 10)

    @admin.action(description="Send test webhook", permissions=("change",))
    def send_test_webhook(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        run_bulk_action(
            self,
            request,
            queryset,
            verb="Sent a test webhook to",
            call=lambda endpoint: endpoint_send_test(endpoint=endpoint),
        )

    @admin.action(description="Enable (and forget failures)", permissions=("change",))
    def enable_endpoints(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        run_bulk_action(
            self,
            request,
            queryset,
            verb="Enabled",
            call=lambda endpoint: endpoint_enable(endpoint=endpoint),
        )

    @admin.action(description="Disable (the team is told)", permissions=("change",))
    def disable_endpoints(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        reason = DISABLED_BY_STAFF.format(user=request.user)
        run_bulk_action(
            self,
            request,
            queryset,
            verb="Disabled",
            call=lambda endpoint: endpoint_disable(endpoint_id=endpoint.pk, reason=reason),
        )


class DeliveryAttemptInline(admin.TabularInline[DeliveryAttempt, WebhookDelivery]):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = (
        "number",
        "outcome",
        "started_at",
        "duration_ms",
        "response_status_code",
        "error",
        "response_body",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin[WebhookDelivery]):
    list_display = (
        "public_id",
        "event_type",
        "endpoint_id_",
        "status",
        "attempt_count",
        "last_result",
        "created",
    )
    list_filter = ("status", "event__type")
    list_select_related = ("event", "endpoint", "team")
    search_fields = ("=public_id", "=event__public_id", "=endpoint__public_id")
    show_full_result_count = False
    paginator = CappedCountPaginator
    inlines = (DeliveryAttemptInline,)
    readonly_fields = (
        "public_id",
        "team",
        "event",
        "endpoint",
        "status",
        "attempt_count",
        "retry_step",
        "next_attempt_at",
        "enqueued_at",
        "claimed_at",
        "delivered_at",
        "last_status_code",
        "last_error",
        "payload",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields
    actions = ("resend_deliveries",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="event type", ordering="event__type")
    def event_type(self, obj: WebhookDelivery) -> str:
        return obj.event.type

    @admin.display(description="endpoint", ordering="endpoint")
    def endpoint_id_(self, obj: WebhookDelivery) -> str:
        return obj.endpoint.public_id

    @admin.display(description="created", ordering="created_at")
    def created(self, obj: WebhookDelivery) -> str:
        return short_time(obj.created_at)

    @admin.display(description="last result")
    def last_result(self, obj: WebhookDelivery) -> str:
        if obj.last_status_code and not obj.last_error:
            return str(obj.last_status_code)
        return shorten(obj.last_error, ERROR_SHOWN) or "-"

    @admin.display(description="payload")
    def payload(self, obj: WebhookDelivery) -> str:
        event = obj.event
        body = event_payload(public_id=event.public_id, type=event.type, payload=event.payload)
        return format_html("<pre>{}</pre>", json.dumps(body, indent=2))

    @admin.action(
        description="Resend selected deliveries (same webhook-id)", permissions=("change",)
    )
    def resend_deliveries(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        run_bulk_action(
            self,
            request,
            queryset,
            verb="Queued for resending",
            call=lambda delivery: delivery_resend(delivery=delivery),
        )


@admin.register(Event)
class EventAdmin(admin.ModelAdmin[Event]):
    list_display = ("public_id", "type", "team", "created_at")
    list_filter = ("type",)
    list_select_related = ("team",)
    search_fields = ("=public_id",)
    show_full_result_count = False
    paginator = CappedCountPaginator
    readonly_fields = ("public_id", "team", "type", "payload", "created_at")
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
