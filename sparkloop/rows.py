"""Model instances from the rows of written-out statements (the hot paths' reads).

The hot paths write some reads out in SQL (where the ORM's compiling cost more than the
query runs). Django's `Manager.raw()` would turn their rows into models, but it works out the
columns' model fields and converters again on every query (~0.3 ms of a subscribe's CPU for
its three raw reads). Here that is worked out once per model: a statement selects
`model_columns(Model)` (the concrete fields' columns, in field order) and `row_load` turns
those values into an instance, converted as the ORM would (`from_db`: a loaded instance,
not an added one).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

from sparkloop.prepared import prepared_cursor

M = TypeVar("M", bound=Model)

# Per model: its fields' attnames, and each field's column with the ORM's converters of
# its raw value (asking for them on every row was ~30 % of a generate's CPU).
_Loader = tuple[list[str], list[tuple[Any, list[Any]]]]


@cache
def _loader(model: type[Model]) -> _Loader:
    fields = model._meta.concrete_fields
    converters = []
    for field in fields:
        col = field.get_col(model._meta.db_table)
        converters.append(
            (col, connection.ops.get_db_converters(col) + field.get_db_converters(connection))
        )
    return [f.attname for f in fields], converters


@cache
def model_columns(model: type[Model], alias: str = "") -> str:
    """The model's concrete fields' columns in field order, quoted (each `alias.`-prefixed
    when an alias is given): what `row_load` reads."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(
        f"{prefix}{connection.ops.quote_name(str(f.column))}" for f in model._meta.concrete_fields
    )


def row_load(model: type[M], values: Sequence[Any]) -> M:
    """A model instance from its concrete fields' raw values (a written-out query's columns
    of its table, in field order: `model_columns`), converted as the ORM would."""
    names, converters = _loader(model)
    converted = []
    for (col, field_converters), value in zip(converters, values, strict=True):
        for convert in field_converters:
            value = convert(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, names, converted)


def rows_fetch(model: type[M], sql: str, params: Sequence[Any]) -> list[M]:
    """Run `sql` (prepared: `prepared_cursor`), whose columns are `model_columns(model)`,
    and load each row as a `model`."""
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [row_load(model, row) for row in rows]
