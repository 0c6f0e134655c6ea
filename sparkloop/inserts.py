"""New model rows in one INSERT statement, for the hot write paths (an upscribe subscribe's
picks, their subscribers, memberships and referrals): what `bulk_create` writes (each
field's `pre_save` and database preparation), without the ORM's compiling of the query on
every call, which costs more than the statement takes to run.

On PostgreSQL the rows travel as one JSON document that the server unpacks
(`json_to_recordset`): one parameter to bind whatever the number of rows and columns (with
the client-side binding psycopg does for Django, every parameter is quoted in Python, and
a statement of more than 50 is parsed again on every call), and one statement text per
model (cached). Elsewhere (SQLite) a plain `VALUES (...), (...)`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models import Field, JSONField, Model

from sparkloop.prepared import prepared_cursor

M = TypeVar("M", bound=Model)

# The statement of each (model, ignore_conflicts), with the fields in its column order,
# the JSON fields among them and the unique field that identifies the returned rows.
_Plan = tuple[str, list[Field[Any, Any]], set[int], Field[Any, Any]]
_PLANS: dict[tuple[type[Model], bool], _Plan] = {}


def rows_insert(rows: Sequence[M], *, ignore_conflicts: bool = False) -> list[M]:
    """INSERT new `rows` of one model in one statement and set their ids; the rows that
    went in, in their order. With `ignore_conflicts`, a row a unique constraint refuses is
    left out (ON CONFLICT DO NOTHING; SQLite's too) and not in the answer; without, such a
    row fails the statement (IntegrityError), as `bulk_create` does.

    The model needs a unique field besides its id (a public id, a one-to-one) by which the
    returned ids are matched to the rows: nothing promises RETURNING's order."""
    if not rows:
        return []
    model = type(rows[0])
    plan = _PLANS.get((model, ignore_conflicts)) or _plan(model, ignore_conflicts)
    sql, fields, json_columns, key = plan
    by_key: dict[Any, M] = {}
    values: list[list[Any]] = []
    plain = _plain_types(model)
    for row in rows:
        row._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
        prepared = []
        for field, kind in zip(fields, plain, strict=True):
            if kind is not None:
                value = getattr(row, field.attname)
                if value is None or type(value) is kind:
                    prepared.append(value)
                    continue
            prepared.append(field.get_db_prep_save(field.pre_save(row, add=True), connection))
        values.append(prepared)
        by_key[getattr(row, key.attname)] = row
    if connection.vendor == "postgresql":
        names = [f"c{i}" for i in range(len(fields))]
        for row_values in values:
            for index in json_columns:
                row_values[index] = _json_text(row_values[index])
        document = [dict(zip(names, row_values, strict=True)) for row_values in values]
        params: list[Any] = [json.dumps(document, default=_json_default)]
    else:
        params = [value for row_values in values for value in row_values]
        marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = sql.replace("VALUES %s", "VALUES " + ", ".join([marks] * len(rows)))
    written: list[M] = []
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        for pk, row_key in cursor.fetchall():
            row = by_key[key.to_python(row_key)]
            row.pk = pk
            row._state.adding, row._state.db = False, connection.alias
            written.append(row)
    order = {id(row): index for index, row in enumerate(rows)}
    return sorted(written, key=lambda row: order[id(row)])


# Fields whose preparation leaves a value of this exact type as it is (and whose `pre_save`
# reads the attribute): a value of that type is sent as it is, anything else prepared.
# Exact classes only: a subclass may prepare differently (sparkloop/encryption.py's).
_PLAIN: dict[type[Field[Any, Any]], type] = {
    models.CharField: str,
    models.TextField: str,
    models.EmailField: str,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.SmallIntegerField: int,
    models.BooleanField: bool,
    models.AutoField: int,  # a foreign key's target
    models.BigAutoField: int,
}
_PLAIN_OF: dict[type[Model], list[type | None]] = {}


def _plain_types(model: type[Model]) -> list[type | None]:
    """For each field of `model`'s INSERT, the type sent without preparation, or None."""
    if model not in _PLAIN_OF:
        opts = model._meta
        kinds: list[type | None] = []
        for field in opts.concrete_fields:
            if field is opts.auto_field:
                continue
            target = field.target_field if isinstance(field, models.ForeignKey) else field
            kinds.append(_PLAIN.get(type(target)))
        _PLAIN_OF[model] = kinds
    return _PLAIN_OF[model]


def _plan(model: type[Model], ignore_conflicts: bool) -> _Plan:
    opts = model._meta
    fields = [f for f in opts.concrete_fields if f is not opts.auto_field]
    key = next(f for f in fields if f.unique)
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    columns = ", ".join(quote(str(f.column)) for f in fields)
    json_columns = {i for i, f in enumerate(fields) if isinstance(f, JSONField)}
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    returning = f" RETURNING {quote(str(opts.pk.column))}, {quote(str(key.column))}"
    # Only table and column names and their types are formatted in; every value is the
    # parameter.
    if connection.vendor == "postgresql":
        # The document is an array of objects, a row's values under `c0`, `c1`... in the
        # fields' order.
        types = ", ".join(
            f"c{i} {'text' if i in json_columns else f.db_type(connection)}"
            for i, f in enumerate(fields)
        )
        selected = ", ".join(
            f"v.c{i}{'::jsonb' if i in json_columns else ''}" for i in range(len(fields))
        )
        sql = (
            f"INSERT INTO {table} ({columns}) SELECT {selected} "  # noqa: S608
            f"FROM json_to_recordset(%s::json) AS v({types}){conflict}{returning}"
        )
    else:
        sql = f"INSERT INTO {table} ({columns}) VALUES %s{conflict}{returning}"  # noqa: S608
    _PLANS[model, ignore_conflicts] = (sql, fields, json_columns, key)
    return _PLANS[model, ignore_conflicts]


def _json_text(value: Any) -> str | None:
    """A JSON field's prepared value (psycopg's Json/Jsonb wrapper, with the field's
    encoder) as the document's text, which the statement casts to jsonb."""
    if value is None or isinstance(value, str):
        return value
    return (value.dumps or json.dumps)(value.obj)


def _json_default(value: Any) -> Any:
    """Prepared values JSON has no type for, in the text PostgreSQL reads them from."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"cannot send {type(value).__name__} in a JSON document")
