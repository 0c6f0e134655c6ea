"""Wire formats shared by the serializers: timestamps and money."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, overload

from rest_framework import serializers


@overload
def iso_z(value: datetime) -> str: ...
@overload
def iso_z(value: None) -> None: ...
def iso_z(value: datetime | None) -> str | None:
    """`2021-03-24T11:55:02.113Z`: UTC, milliseconds, `Z` (contract, Conventions)."""
    if value is None:
        return None
    # isoformat() pads the year to 4 digits (strftime's %Y does not on Linux: "652-08-07").
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def cents_to_dollars(cents: int | None) -> float | None:
    return None if cents is None else float(Decimal(cents) / 100)


class TimestampField(serializers.DateTimeField):
    """In: W3C datetime with an offset (fraction optional). Out: `iso_z`."""

    # DRF renders a None attribute as null without calling this.
    def to_representation(self, value: datetime) -> str:
        return iso_z(value)


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers, booleans, lists and objects instead of coercing."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
