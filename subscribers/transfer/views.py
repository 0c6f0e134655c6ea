"""Import and export endpoints (contract: Bulk, Imports and Exports)."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from sparkloop.api.pagination import paginate
from sparkloop.api.parsers import LenientJSONParser
from sparkloop.api.views import TeamViewSet
from subscribers.selectors import subscriber_list
from subscribers.transfer import imports, selectors
from subscribers.transfer.exports import CONTENT_TYPES, export_chunks, failure_chunks
from subscribers.transfer.models import SubscriberImport
from subscribers.transfer.serializers import (
    SubscriberExportFilter,
    SubscriberImportCreateInputSerializer,
    SubscriberImportOutputSerializer,
)


def attachment(chunks: Iterator[str], content_type: str, file_name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


class SubscriberExportViewSet(TeamViewSet):
    scope_resource = "subscribers"

    def list(self, request: Request) -> StreamingHttpResponse:
        params = request.query_params
        queryset = subscriber_list(team=self.team, type=params.get("type") or "all")
        filters = SubscriberExportFilter(params, queryset=queryset)
        if not filters.is_valid():
            raise ValidationError(filters.errors)
        format = params.get("format") or "csv"
        name = f"subscribers-{timezone.now():%Y%m%d-%H%M%S}.{format}"
        return attachment(export_chunks(filters.qs, format), CONTENT_TYPES[format], name)


class SubscriberImportViewSet(TeamViewSet):
    scope_resource = "subscribers"
    parser_classes = [MultiPartParser, FormParser, LenientJSONParser]

    def _one(self, subscriber_import: SubscriberImport) -> dict[str, object]:
        return {"import": SubscriberImportOutputSerializer(subscriber_import).data}

    def list(self, request: Request) -> Response:
        page = paginate(request, selectors.subscriber_import_list(team=self.team))
        rendered = SubscriberImportOutputSerializer(page.items, many=True).data  # type: ignore[arg-type]  # stubs: many=True takes a sequence
        return Response({"imports": rendered, "meta": page.meta("imports")})

    def create(self, request: Request) -> Response:
        data = SubscriberImportCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        subscriber_import = imports.subscriber_import_create(
            team=self.team,
            file=upload,
            file_name=upload.name or "import.csv",
            size=upload.size or 0,
            on_conflict=data.validated_data["on_conflict"],
            send_webhooks=data.validated_data["send_webhooks"],
            campaign_uuid=data.validated_data.get("campaign_uuid") or "",
        )
        return Response(self._one(subscriber_import), status=202)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self._one(selectors.subscriber_import_get(team=self.team, identifier=pk)))

    @action(detail=True, methods=["get"])
    def errors(self, request: Request, pk: str) -> StreamingHttpResponse:
        subscriber_import = selectors.subscriber_import_get(team=self.team, identifier=pk)
        name = f"{subscriber_import.public_id}-errors.csv"
        return attachment(failure_chunks(subscriber_import), CONTENT_TYPES["csv"], name)
