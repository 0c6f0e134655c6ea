"""OpenAPI descriptions of imports and exports (contract: Bulk, Imports and Exports)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

from sparkloop.api.examples import field_examples
from sparkloop.api.schema import PAGE, PER_PAGE, envelope, meta
from subscribers.transfer.serializers import (
    SubscriberImportCreateInputSerializer,
    SubscriberImportOutputSerializer,
)
from subscribers.transfer.views import SubscriberExportViewSet, SubscriberImportViewSet

IMPORT_EXAMPLE = {
    "uuid": "import_3f9a1c2b4d5e",
    "status": "running",
    "file_name": "subscribers.csv",
    "total_rows": 120000,
    "processed_rows": 45000,
    "created": 44210,
    "updated": 0,
    "skipped": 752,
    "failed": 38,
    "error": None,
    "created_at": "2026-12-03T14:05:11.000Z",
    "finished_at": None,
}
IMPORT = envelope("SubscriberImportResponse", **{"import": SubscriberImportOutputSerializer()})
CSV_EXAMPLE = (
    "uuid,email,name,ref_code,referrer_code,referred,referral_status,status,ip_address,"
    "user_agent,origin,country_code,cpa,utm_source,utm_campaign,created_at\n"
    "sub_8f1c2d3e4a5b,ann@example.com,Ann,ann-2024,,false,,confirmed,,,sparkloop-api,GB,,"
    ",,2026-12-01T09:30:00.000Z\n"
)

JSONL_EXAMPLE = (
    '{"uuid": "sub_8f1c2d3e4a5b", "email": "ann@example.com", "name": "Ann", '
    '"ref_code": "ann-2024", "referrer_code": null, "referred": false, '
    '"referral_status": null, "status": "confirmed", "ip_address": null, "user_agent": null, '
    '"origin": "sparkloop-api", "country_code": "GB", "cpa": null, "utm_source": null, '
    '"utm_campaign": null, "created_at": "2026-12-01T09:30:00.000Z"}\n'
)

extend_schema_view(
    list=extend_schema(
        summary="Export subscribers (CSV or JSON Lines, streamed)",
        description=(
            "A streamed attachment, columns in the Subscriber Object's order. In CSV a value "
            "starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'` "
            "so that spreadsheets show it rather than run it."
        ),
        parameters=[
            OpenApiParameter("format", str, enum=["csv", "jsonl"], description="Default csv."),
            OpenApiParameter("type", str, enum=["all", "referrals", "advocates"]),
            OpenApiParameter("status", str, enum=["pending", "confirmed", "unsubscribed"]),
            OpenApiParameter("created_after", OpenApiTypes.DATETIME, description="Inclusive."),
            OpenApiParameter("created_before", OpenApiTypes.DATETIME, description="Exclusive."),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                examples=[OpenApiExample("CSV", value=CSV_EXAMPLE, media_type="text/csv")],
            ),
            (200, "application/jsonl"): OpenApiResponse(
                OpenApiTypes.STR,
                examples=[
                    OpenApiExample(
                        "JSON Lines", value=JSONL_EXAMPLE, media_type="application/jsonl"
                    )
                ],
            ),
        },
    ),
)(SubscriberExportViewSet)

extend_schema_view(
    list=extend_schema(
        summary="List imports (newest first)",
        parameters=[PAGE, PER_PAGE],
        responses={
            200: envelope(
                "SubscriberImportListResponse",
                imports=SubscriberImportOutputSerializer(many=True),
                meta=meta("imports"),
            )
        },
        examples=[
            OpenApiExample(
                "Imports",
                value={
                    "imports": [IMPORT_EXAMPLE],
                    "meta": {"per_page": 20, "page": 1, "total_pages": 1, "total_imports": 1},
                },
                response_only=True,
            )
        ],
    ),
    create=extend_schema(
        summary="Import subscribers from a CSV file",
        description=(
            "`multipart/form-data`: `file` (CSV, UTF-8, a header row naming at least `email`; "
            "`.csv.gz` accepted), `on_conflict` (`skip` or `update` an existing email), "
            "`send_webhooks` (default false), `campaign_uuid` (optional: every row that names "
            "a subscriber, created, updated or skipped as an existing email, also joins that "
            "campaign, as `POST /v2/campaigns/:id/campaign_memberships` adds one; a member "
            "already stays as it is; unknown or another team's: 404 `Campaign <id> not "
            "found!`). Columns: email, name, ref_code, referrer_code, ip_address, user_agent, "
            "utm_source, utm_campaign, country_code, created_at, status; others are ignored. "
            "The import runs in the background: poll it."
        ),
        request={"multipart/form-data": SubscriberImportCreateInputSerializer},
        responses={202: IMPORT},
        examples=[
            OpenApiExample(
                "Queued",
                value={
                    "import": {
                        **IMPORT_EXAMPLE,
                        "status": "queued",
                        "total_rows": None,
                        "processed_rows": 0,
                        "created": 0,
                        "skipped": 0,
                        "failed": 0,
                    }
                },
                response_only=True,
                status_codes=["202"],
            )
        ],
    ),
    retrieve=extend_schema(
        summary="Get an import (its progress and counts)",
        responses={200: IMPORT},
        examples=[OpenApiExample("Running", value={"import": IMPORT_EXAMPLE}, response_only=True)],
    ),
    errors=extend_schema(
        summary="The failed rows of an import (CSV)",
        description="`row` (the line in the file), `email`, `error` (the API's sentence).",
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                examples=[
                    OpenApiExample(
                        "Failed rows",
                        value="row,email,error\n7,ann@,Email is invalid\n",
                        media_type="text/csv",
                    )
                ],
            )
        },
    ),
)(SubscriberImportViewSet)


# Realistic values for the fields of the import components (registered in the
# SPECTACULAR_SETTINGS postprocessing hooks).
_field_examples = field_examples(
    by_component={
        "SubscriberImportOutput": {
            "uuid": IMPORT_EXAMPLE["uuid"],
            "file_name": IMPORT_EXAMPLE["file_name"],
        },
        "SubscriberImportCreateInputRequest": {
            "file": "subscribers.csv",
            "campaign_uuid": "MF3c9e1a7b2d",
        },
    },
)

# Tag descriptions of these operations' groups (the docs' sections).
TAGS = [
    {
        "name": "imports",
        "description": (
            "Subscriber imports from CSV, run in the background: their progress "
            "and the rows that failed. Exports and batches are under `subscribers`."
        ),
    },
]


def schema_examples(result: dict[str, Any], generator: Any, request: Any, public: bool) -> Any:
    """The fields' realistic values and the tags' descriptions (a postprocessing hook)."""
    # A new list: the one there is SPECTACULAR_SETTINGS["TAGS"] itself, shared by every run.
    result["tags"] = [*result.get("tags", []), *TAGS]
    return _field_examples(result, generator, request, public)
