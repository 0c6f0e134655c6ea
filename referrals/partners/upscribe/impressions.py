"""Upscribe impressions: one multi-row upsert of a generate's shown recommendations into a
per-day count table (partner campaigns' `UpscribeImpressionDay`, offers'
`UpscribeOfferImpressionDay`), never a write per recommendation shown."""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.db.models import Model
from django.utils import timezone


def impressions_add(
    *, model: type[Model], column: str, upscribe_id: int, ids: list[int], day: date | None = None
) -> None:
    """Add one impression of each of `ids` (values of `column`) to `model`'s rows of `day`
    (today): one INSERT ... ON CONFLICT DO UPDATE (PostgreSQL and SQLite alike). Rows are
    written in id order so that two concurrent generates cannot deadlock."""
    if not ids:
        return
    day = day or timezone.now().date()
    table = connection.ops.quote_name(model._meta.db_table)
    ordered = sorted(set(ids))
    values = ", ".join(["(%s, %s, %s, 1)"] * len(ordered))
    params: list[int | date] = []
    for pk in ordered:
        params += [upscribe_id, pk, day]
    sql = (
        f"INSERT INTO {table} (upscribe_id, {column}, day, impressions) "  # noqa: S608
        f"VALUES {values} ON CONFLICT (upscribe_id, {column}, day) "
        f"DO UPDATE SET impressions = {table}.impressions + EXCLUDED.impressions"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
