"""Idempotency keys in the admin: to look at, never to change (they are the API's record)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from sparkloop.idempotency.models import IdempotencyKey


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin[IdempotencyKey]):
    list_display = (
        "key",
        "team",
        "caller",
        "method",
        "path",
        "status_code",
        "created_at",
        "expires_at",
    )
    list_filter = ("method", "status_code")
    search_fields = ("key", "caller", "path")
    list_select_related = ("team",)
    exclude = ("body",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
