"""Imports in the admin: a read-only record of each, linking to its progress page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from subscribers.transfer.models import SubscriberImport


@admin.register(SubscriberImport)
class SubscriberImportAdmin(admin.ModelAdmin[SubscriberImport]):
    list_display = (
        "public_id",
        "team",
        "file_name",
        "status",
        "processed_rows",
        "created",
        "skipped",
        "failed",
        "created_at",
        "progress",
    )
    list_filter = ("status",)
    list_select_related = ("team",)
    search_fields = ("public_id", "file_name")
    exclude = ("file_path", "run_token")

    @admin.display(description="Progress")
    def progress(self, obj: SubscriberImport) -> str:
        url = reverse("admin:subscribers_subscriber_import_progress", args=[obj.public_id])
        return format_html('<a href="{}">progress</a>', url)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
