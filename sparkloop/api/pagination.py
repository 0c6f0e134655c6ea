"""Page-number pagination with SparkLoop's `meta`, exact totals from maintained counters."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
PAGE_INVALID = "Page must be a positive integer"
PER_PAGE_INVALID = "Per page must be a positive integer"
# Skipping fewer rows than this, a page is read whole in one query; skipping more, by a
# deferred join (the primary keys from an index-only scan, then only the page's rows).
DEFERRED_JOIN_FROM = 200

M = TypeVar("M")


def _positive_int(raw: str | None, default: int, error: str) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValidationError(error) from None
    if value < 1 or len(raw) > 12:
        raise ValidationError(error)
    return value


class Page:
    """One page of a list, ready to render as `{<key>: [...], "meta": {...}}`."""

    def __init__(self, *, page: int, per_page: int, total: int, items: list[Any]) -> None:
        self.page, self.per_page, self.total, self.items = page, per_page, total, items

    def meta(self, key: str) -> dict[str, int]:
        return {
            "per_page": self.per_page,
            "page": self.page,
            "total_pages": math.ceil(self.total / self.per_page),
            f"total_{key}": self.total,
        }


def paginate(
    request: Request,
    queryset: QuerySet[Any],
    *,
    total: int | Callable[[], int] | None = None,
) -> Page:
    """Slice `queryset` (already ordered) by the request's page/per_page.

    `total` is a maintained count (or a callable giving it) so that no request pays an
    unbounded COUNT(*); without it the queryset is counted.
    Deep pages use a deferred join: the OFFSET walks an index-only scan of primary keys,
    then only the page's rows are fetched whole (shallow pages take one query). Pages in the
    back half are read from the other end (the reversed order, a backward scan of the same
    index), so the OFFSET walked is never more than half the list: the last page of a
    million rows costs what the first does. That relies on `count` being exact, as the
    maintained totals are.
    """
    page = _positive_int(request.query_params.get("page"), 1, PAGE_INVALID)
    per_page = min(
        _positive_int(request.query_params.get("per_page"), DEFAULT_PER_PAGE, PER_PAGE_INVALID),
        MAX_PER_PAGE,
    )
    if total is None:
        count = queryset.count()
    elif callable(total):
        count = total()
    else:
        count = total
    offset = (page - 1) * per_page
    items: list[Any] = []
    if offset < count:
        items = _page_items(
            queryset, offset=offset, limit=min(per_page, count - offset), count=count
        )
    return Page(page=page, per_page=per_page, total=count, items=items)


def _page_items(queryset: QuerySet[Any], *, offset: int, limit: int, count: int) -> list[Any]:
    """Rows offset … offset+limit-1 of `queryset`'s `count` rows, in its order."""
    from_end = count - offset - limit  # rows after this page
    backwards = from_end < offset
    if backwards:
        # Nearer the end: the same rows, counted from the end in the reversed order.
        queryset, offset = queryset.reverse(), from_end
    if offset < DEFERRED_JOIN_FROM:
        items = list(queryset[offset : offset + limit])
    else:
        ids = list(queryset.values_list("pk", flat=True)[offset : offset + limit])
        by_id = {obj.pk: obj for obj in queryset.order_by().filter(pk__in=ids)}
        items = [by_id[pk] for pk in ids if pk in by_id]
    if backwards:
        items.reverse()
    return items
