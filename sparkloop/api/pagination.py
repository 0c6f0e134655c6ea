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
    then only the page's rows are fetched whole. Pages in the back half are read from the
    other end (the reversed order, a backward scan of the same index), so the OFFSET walked
    is never more than half the list: the last page of a million rows costs what the first
    does. That relies on `count` being exact, as the maintained totals are.
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
    if offset >= count:
        items: list[Any] = []
    else:
        ids = _page_ids(queryset, offset=offset, limit=min(per_page, count - offset), count=count)
        by_id = {obj.pk: obj for obj in queryset.order_by().filter(pk__in=ids)}
        items = [by_id[pk] for pk in ids if pk in by_id]
    return Page(page=page, per_page=per_page, total=count, items=items)


def _page_ids(queryset: QuerySet[Any], *, offset: int, limit: int, count: int) -> list[Any]:
    """Primary keys of rows offset … offset+limit-1 of `queryset`'s `count` rows, in order."""
    pks = queryset.values_list("pk", flat=True)
    from_end = count - offset - limit  # rows after this page
    if from_end >= offset:
        return list(pks[offset : offset + limit])
    # The same rows, counted from the end in the reversed order, then put back in order.
    ids = list(pks.reverse()[from_end : from_end + limit])
    ids.reverse()
    return ids
