"""Wire shapes of imports and exports (input of shape only; the import object's renderer)."""

from __future__ import annotations

from typing import Any

import django_filters
from rest_framework import serializers

from sparkloop.api.fields import TimestampField
from subscribers.models import Subscriber
from subscribers.serializers import LIST_TYPE_INVALID
from subscribers.services import INVALID_STATUS
from subscribers.transfer.exports import FORMAT_INVALID, FORMATS
from subscribers.transfer.imports import FILE_BLANK
from subscribers.transfer.models import SubscriberImport

ON_CONFLICT_INVALID = "On conflict must be one of skip, update"
DATE_INVALID = "{label} must be a date and time (ISO 8601)"


class SubscriberExportFilter(django_filters.FilterSet):
    """The list filters of `GET /v2/subscribers/export` (`type` is the list selector's)."""

    format = django_filters.ChoiceFilter(
        choices=[(f, f) for f in FORMATS],
        method="keep",
        error_messages={"invalid_choice": FORMAT_INVALID},
    )
    type = django_filters.ChoiceFilter(
        choices=[(t, t) for t in ("all", "referrals", "advocates")],
        method="keep",
        error_messages={"invalid_choice": LIST_TYPE_INVALID},
    )
    status = django_filters.ChoiceFilter(
        choices=Subscriber.Status.choices, error_messages={"invalid_choice": INVALID_STATUS}
    )
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        error_messages={"invalid": DATE_INVALID.format(label="Created after")},
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="lt",
        error_messages={"invalid": DATE_INVALID.format(label="Created before")},
    )

    class Meta:
        model = Subscriber
        fields = ["status"]

    def keep(self, queryset: Any, name: str, value: Any) -> Any:
        """Read by the view (the format) or the selector (the list type), not a filter."""
        return queryset


class SubscriberImportCreateInputSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(
        allow_empty_file=True,
        error_messages={
            "required": FILE_BLANK,
            "null": FILE_BLANK,
            "invalid": FILE_BLANK,
            "empty": FILE_BLANK,
        },
    )
    on_conflict = serializers.ChoiceField(
        choices=SubscriberImport.OnConflict.choices,
        required=False,
        default=SubscriberImport.OnConflict.SKIP,
        error_messages={"invalid_choice": ON_CONFLICT_INVALID},
    )
    send_webhooks = serializers.BooleanField(required=False, default=False)
    campaign_uuid = serializers.CharField(required=False, allow_blank=True)


class SubscriberImportOutputSerializer(serializers.Serializer[SubscriberImport]):
    """The Import Object (contract: Bulk, Imports)."""

    uuid = serializers.CharField(source="public_id")
    status = serializers.ChoiceField(choices=SubscriberImport.Status.choices)
    file_name = serializers.CharField()
    total_rows = serializers.IntegerField(allow_null=True)
    processed_rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    skipped = serializers.IntegerField()
    failed = serializers.IntegerField()
    error = serializers.CharField(allow_null=True)
    created_at = TimestampField()
    finished_at = TimestampField(allow_null=True)
