"""The subscriber list's import and export, as a mixin the subscriber admin takes in one line.

An "Export CSV" button (what the list shows, its filters applied, streamed), an action that
exports the selected subscribers, and an "Import CSV" button leading to an upload page whose
progress page refreshes itself (a `<meta http-equiv="refresh">`: no script, CSP-safe) until
the import ends. Exports need the change permission (a whole list of emails leaving the
service is more than looking at rows: view-only staff get no action, as every action of this
admin), imports the add permission.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from sparkloop.exceptions import NotFound, ServiceError
from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.transfer.exports import CONTENT_TYPES, export_chunks
from subscribers.transfer.imports import subscriber_import_create
from subscribers.transfer.models import SubscriberImport

IMPORT_PERMISSION = "subscribers.add_subscriber"


class SubscriberImportForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"))
    file = forms.FileField(help_text="CSV (UTF-8, a header row naming at least email) or .csv.gz")
    on_conflict = forms.ChoiceField(
        choices=SubscriberImport.OnConflict.choices,
        initial=SubscriberImport.OnConflict.SKIP,
        help_text="What to do with a row whose email the team already has.",
    )
    send_webhooks = forms.BooleanField(required=False)
    campaign_uuid = forms.CharField(
        required=False,
        max_length=255,
        label="Campaign",
        help_text="Optional: a campaign uuid of the team; every row also joins it.",
    )


def _csv_download(queryset: QuerySet[Subscriber]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        export_chunks(queryset, "csv"), content_type=CONTENT_TYPES["csv"]
    )
    name = f"subscribers-{timezone.now():%Y%m%d-%H%M%S}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class SubscriberTransferAdminMixin(admin.ModelAdmin[Subscriber]):
    change_list_template = "admin/transfer/subscriber_change_list.html"

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        export = self.get_action("export_csv")
        if export is not None and self.has_change_permission(request):
            actions["export_csv"] = export
        return actions

    @admin.action(description="Export selected as CSV", permissions=("change",))
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[Subscriber]
    ) -> StreamingHttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        return _csv_download(queryset.order_by("-created_at", "-id"))

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("export/", view(self.export_view), name="subscribers_subscriber_export"),
            path("import/", view(self.import_view), name="subscribers_subscriber_import"),
            path(
                "import/<str:public_id>/",
                view(self.import_progress_view),
                name="subscribers_subscriber_import_progress",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest) -> StreamingHttpResponse:
        """What the list shows, with its filters and search, as CSV."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return _csv_download(changelist.get_queryset(request))

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        form = SubscriberImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                subscriber_import = subscriber_import_create(
                    team=form.cleaned_data["team"],
                    file=upload,
                    file_name=upload.name or "import.csv",
                    size=upload.size or 0,
                    on_conflict=form.cleaned_data["on_conflict"],
                    send_webhooks=form.cleaned_data["send_webhooks"],
                    campaign_uuid=form.cleaned_data["campaign_uuid"].strip(),
                )
            except NotFound as error:
                form.add_error("campaign_uuid", error.message)
            except ServiceError as error:
                form.add_error("file", error.message)
            else:
                return HttpResponseRedirect(
                    reverse(
                        "admin:subscribers_subscriber_import_progress",
                        args=[subscriber_import.public_id],
                    )
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import subscribers",
            "form": form,
        }
        return TemplateResponse(request, "admin/transfer/import.html", context)

    def import_progress_view(self, request: HttpRequest, public_id: str) -> HttpResponse:
        if not request.user.has_perm(IMPORT_PERMISSION) and not self.has_view_permission(request):
            raise PermissionDenied
        subscriber_import = get_object_or_404(SubscriberImport, public_id=public_id)
        running = subscriber_import.status in (
            SubscriberImport.Status.QUEUED,
            SubscriberImport.Status.RUNNING,
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Import {subscriber_import.public_id}",
            "job": subscriber_import,
            "running": running,
            "refresh_seconds": 2,
        }
        return TemplateResponse(request, "admin/transfer/import_progress.html", context)
