"""Model fields of the plumbing, for every app."""

from __future__ import annotations

from typing import Any

from django.db import models


class BulkJSONField(models.JSONField):
    """A JSONField whose bulk inserts bind each value on its own.

    On PostgreSQL, Django's `bulk_create` sends the rows as one array per column
    (`UNNEST(%s::jsonb[])`); with the client-side binding psycopg 3 does for Django, an
    array of JSON documents is quoted element by element in Python, a regular-expression
    substitution per double quote: 0.5 ms a document, most of a batch's time. A field with
    `get_placeholder` keeps Django on the `VALUES (...), (...)` form, where each document
    is one string escaped by libpq. Same column, same migrations: `deconstruct` reports the
    plain JSONField.
    """

    def get_placeholder(self, value: Any, compiler: Any, connection: Any) -> str:
        return "%s"

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs
