"""Exports on PostgreSQL: each line formatted by the server and streamed with `COPY`.

The Python path (`exports.py`) reads tuples and formats them one by one; here PostgreSQL
writes every line itself, byte for byte what the Python path writes (Python's `csv` quoting
and `\\r\\n`, `iso_z` timestamps, `cpa` as Python prints a float, the formula prefix, JSON as
`json.dumps` spaces it), and `COPY (SELECT line …) TO STDOUT` hands them over as they are
read: no row object per subscriber in Python, memory flat whatever the size.

COPY's text format ends each line with `\\n` and escapes a backslash and the control
characters inside a value; a chunk holding no backslash is therefore already the final text
(for CSV its `\\n` become `\\r\\n`), and only a chunk that holds one is unescaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from subscribers.models import Subscriber

# The Subscriber Object's keys, their columns, and how each is read: text, bool, cpa, time.
_FIELDS = (
    ("uuid", "public_id", "text"),
    ("email", "email", "text"),
    ("name", "name", "text"),
    ("ref_code", "ref_code", "text"),
    ("referrer_code", "referrer_code", "text"),
    ("referred", "referred", "bool"),
    ("referral_status", "referral_status", "text"),
    ("status", "status", "text"),
    ("ip_address", "ip_address", "text"),
    ("user_agent", "user_agent", "text"),
    ("origin", "origin", "text"),
    ("country_code", "country_code", "text"),
    ("cpa", "cpa_cents", "cpa"),
    ("utm_source", "utm_source", "text"),
    ("utm_campaign", "utm_campaign", "text"),
    ("created_at", "created_at", "time"),
)
_UNESCAPE = re.compile(rb"\\([\\bfnrtv])")
_CONTROL = {b"\\": b"\\", b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t"}
_CONTROL[b"v"] = b"\v"
FLUSH_BYTES = 1 << 18


def _value(column: str, kind: str) -> str:
    """The column as the text the Python path prints (NULL stays NULL)."""
    if kind == "bool":
        return f"CASE WHEN {column} THEN 'true' ELSE 'false' END"
    if kind == "cpa":
        # Python's repr of cents / 100: "12.5", "12.0", "0.01".
        return (
            f"CASE WHEN mod({column}, 100) = 0 THEN ({column} / 100)::text || '.0' "
            f"ELSE trim_scale({column}::numeric / 100)::text END"
        )
    if kind == "time":
        # iso_z: UTC, milliseconds (cut, not rounded), "Z".
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    return column


def _csv_cell(column: str, kind: str) -> str:
    value = _value(column, kind)
    if kind == "text":
        # A formula to a spreadsheet gets a leading quote (exports.FORMULA_STARTS).
        value = f"CASE WHEN {value} ~ '^[-=+@\\t\\r]' THEN '''' || {value} ELSE {value} END"
        # Python's csv.QUOTE_MINIMAL: quoted when holding a delimiter, quote, CR or LF.
        value = (
            f"CASE WHEN {column} ~ '[\",\\r\\n]' "
            f"THEN '\"' || replace({value}, '\"', '\"\"') || '\"' ELSE {value} END"
        )
    return f"coalesce({value}, '')"


def _json_member(key: str, column: str, kind: str) -> str:
    if kind == "text":
        value = f"to_json({column}::text)::text"
    elif kind == "time":
        value = f"'\"' || {_value(column, kind)} || '\"'"
    else:
        value = _value(column, kind)
    return f"'\"{key}\": ' || coalesce({value}, 'null')"


def _line_sql(format: str) -> str:
    table = Subscriber._meta.db_table
    cols = [(key, f'"{table}"."{column}"', kind) for key, column, kind in _FIELDS]
    if format == "csv":
        return " || ',' || ".join(_csv_cell(column, kind) for _, column, kind in cols)
    members = " || ', ' || ".join(_json_member(key, column, kind) for key, column, kind in cols)
    return f"'{{' || {members} || '}}'"


def _unescape(data: bytes) -> bytes:
    return _UNESCAPE.sub(lambda m: _CONTROL[m.group(1)], data)


def pg_export_chunks(
    queryset: QuerySet[Subscriber], format: str, header: str | None
) -> Iterator[str]:
    """The export's text (`header` first, if any), a quarter megabyte at a time."""
    # No input reaches this SQL: it is built from the constant field list above.
    line = RawSQL(_line_sql(format), ())  # noqa: S611
    lines = queryset.annotate(export_line=line).values_list("export_line")
    sql, params = lines.query.get_compiler(queryset.db).as_sql()
    end = b"\r\n" if format == "csv" else b"\n"
    if header is not None:
        yield header
    connection = connections[queryset.db]
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None  # connected above  # noqa: S101
    with raw.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT", params) as copy:
        pending: list[Any] = []
        size = 0
        for data in copy:
            pending.append(data)
            size += len(data)
            if size >= FLUSH_BYTES:
                yield _finish(b"".join(pending), end)
                pending, size = [], 0
        if pending:
            yield _finish(b"".join(pending), end)


def _finish(data: bytes, end: bytes) -> str:
    """COPY's text-format lines as the export's: line ends, then the escapes undone."""
    if end != b"\n":
        data = data.replace(b"\n", end)
    if b"\\" in data:
        data = _unescape(data)
    return data.decode()
