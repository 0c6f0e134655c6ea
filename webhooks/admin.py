"""Admin for webhooks: endpoints with their health, deliveries with their attempts, resends."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from sparkloop.admin import CappedCountPaginator
from sparkloop.exceptions import ServiceError
from webhooks.models import DeliveryAttempt, Event, WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    deliveries_resend,
    endpoint_disable,
    endpoint_send_test,
    endpoint_update,
)

# Each resend is its own transaction inside one web request; past this, use a shell.
ACTION_LIMIT = 1000
TOO_MANY_SELECTED = "Select at most {limit} deliveries for this action (you selected more)."


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = (
        "public_id",
        "team",
        "url",
        "is_enabled",
        "health",
        "last_success_at",
        "last_failure_at",
        "created_at",
    )
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

    @admin.display(description="health")
    def health(self, obj: WebhookEndpoint) -> str:
        if not obj.is_enabled:
            return f"disabled: {obj.disabled_reason}" if obj.disabled_reason else "disabled"
        if obj.failing_since:
            since = timezone.now() - obj.failing_since
            hours = since.seconds // 3600
            return f"failing for {since.days} d {hours} h ({obj.consecutive_failures} failures)"
        return "healthy" if obj.last_success_at else "no delivery yet"

    @admin.display(description="team webhook token (SparkLoop-Token)")
    def team_webhook_token(self, obj: WebhookEndpoint) -> str:
        return obj.team.webhook_token

    @admin.display(description="signing secret")
    def secret_hint(self, obj: WebhookEndpoint) -> str:
        return obj.secret[:10] + "…"  # the secret was shown once; rotate it through the API

    @admin.action(description="Send test webhook", permissions=("change",))
    def send_test_webhook(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        sent = 0
        for endpoint in queryset[:ACTION_LIMIT]:
            try:
                endpoint_send_test(endpoint=endpoint)
            except ServiceError as exc:
                self.message_user(request, f"{endpoint.public_id}: {exc.message}", messages.WARNING)
                continue
            sent += 1
        self.message_user(request, f"Sent a test webhook to {sent} endpoint(s).")

    @admin.action(description="Enable (and forget failures)", permissions=("change",))
    def enable_endpoints(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset[:ACTION_LIMIT]:
            endpoint_update(endpoint=endpoint, enabled=True)
        self.message_user(request, "Enabled the selected endpoint(s).")

    @admin.action(description="Disable (the team is told)", permissions=("change",))
    def disable_endpoints(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset[:ACTION_LIMIT]:
            endpoint_disable(endpoint_id=endpoint.pk, reason=f"Disabled by staff ({request.user})")
        self.message_user(request, "Disabled the selected endpoint(s).")


class DeliveryAttemptInline(admin.TabularInline):
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
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "public_id",
        "event_type",
        "endpoint",
        "team",
        "status",
        "attempt_count",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
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

    @admin.display(description="payload")
    def payload(self, obj: WebhookDelivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.event.payload, indent=2))

    @admin.action(
        description="Resend selected deliveries (same webhook-id)", permissions=("change",)
    )
    def resend_deliveries(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        selected = list(queryset[: ACTION_LIMIT + 1])
        if len(selected) > ACTION_LIMIT:
            self.message_user(request, TOO_MANY_SELECTED.format(limit=ACTION_LIMIT), messages.ERROR)
            return
        queued = deliveries_resend(deliveries=selected)
        level = messages.SUCCESS if queued == len(selected) else messages.WARNING
        skipped = len(selected) - queued
        text = f"Queued {queued} deliveries for resending."
        if skipped:
            text += f" {skipped} skipped (being sent, or their endpoint is disabled)."
        self.message_user(request, text, level)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
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
