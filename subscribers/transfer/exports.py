"""Exports: a team's subscribers streamed as CSV or JSON Lines, never all in memory.

Rows are read with a server-side cursor (`QuerySet.iterator`, a named cursor on
PostgreSQL) as plain tuples, and written out a chunk at a time. The columns are the
Subscriber Object's, in its order, with its wire formats (`uuid`, `cpa` in dollars, `iso_z`
timestamps). In CSV, a value a spreadsheet would run as a formula is prefixed with `'`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.models import QuerySet

from sparkloop.api.fields import iso_z
from subscribers.models import Subscriber
from subscribers.transfer.exports_pg import pg_export_chunks
from subscribers.transfer.models import SubscriberImport

FORMATS = ("csv", "jsonl")
FORMAT_INVALID = "Format must be one of csv, jsonl"
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}
# The Subscriber Object's keys, in its order, and the columns they are read from.
FIELDS = (
    ("uuid", "public_id"),
    ("email", "email"),
    ("name", "name"),
    ("ref_code", "ref_code"),
    ("referrer_code", "referrer_code"),
    ("referred", "referred"),
    ("referral_status", "referral_status"),
    ("status", "status"),
    ("ip_address", "ip_address"),
    ("user_agent", "user_agent"),
    ("origin", "origin"),
    ("country_code", "country_code"),
    ("cpa", "cpa_cents"),
    ("utm_source", "utm_source"),
    ("utm_campaign", "utm_campaign"),
    ("created_at", "created_at"),
)
HEADER = [key for key, _ in FIELDS]
COLUMNS = [column for _, column in FIELDS]
_CPA = HEADER.index("cpa")
_CREATED = HEADER.index("created_at")
# OWASP's list: a cell starting with one of these is a formula to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 2000


def export_rows(queryset: QuerySet[Subscriber]) -> Iterator[tuple[Any, ...]]:
    """The subscribers' column values, read through a server-side cursor."""
    return queryset.values_list(*COLUMNS).iterator(chunk_size=CHUNK_ROWS)


def _wire(row: tuple[Any, ...]) -> list[Any]:
    values = list(row)
    cents = values[_CPA]
    values[_CPA] = None if cents is None else cents / 100
    created: datetime = values[_CREATED]
    values[_CREATED] = iso_z(created)
    return values


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_chunks(rows: Iterable[tuple[Any, ...]]) -> Iterator[str]:
    """The CSV text (header first), a chunk of rows at a time, formulas defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for count, row in enumerate(rows, 1):
        writer.writerow([_cell(value) for value in _wire(row)])
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def jsonl_chunks(rows: Iterable[tuple[Any, ...]]) -> Iterator[str]:
    """One Subscriber Object per line, a chunk of rows at a time."""
    lines: list[str] = []
    for row in rows:
        lines.append(json.dumps(dict(zip(HEADER, _wire(row), strict=True)), ensure_ascii=False))
        if len(lines) == CHUNK_ROWS:
            yield "\n".join(lines) + "\n"
            lines = []
    if lines:
        yield "\n".join(lines) + "\n"


def export_chunks(queryset: QuerySet[Subscriber], format: str) -> Iterator[str]:
    """The export's text, a chunk at a time: on PostgreSQL formatted and streamed by the
    server (`exports_pg`, the same bytes), elsewhere row by row here."""
    if connections[queryset.db].vendor == "postgresql":
        header = ",".join(HEADER) + "\r\n" if format == "csv" else None
        return pg_export_chunks(queryset, format, header)
    rows = export_rows(queryset)
    return csv_chunks(rows) if format == "csv" else jsonl_chunks(rows)


def failure_chunks(subscriber_import: SubscriberImport) -> Iterator[str]:
    """`row,email,error` of an import's failed rows, in file order, formulas defused."""
    rows = (
        subscriber_import.failures.order_by("row")
        .values_list("row", "email", "error")
        .iterator(chunk_size=CHUNK_ROWS)
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["row", "email", "error"])
    for count, row in enumerate(rows, 1):
        writer.writerow([_cell(value) for value in row])
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
