"""Admin actions: one runner for every bulk action, and permissions for third-party ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from sparkloop.exceptions import ServiceError

# An action runs one service transaction per row inside one web request: bound it.
ACTION_LIMIT = 1000
TOO_MANY_SELECTED = "Select at most {limit} rows for this action."
ACTION_DONE = "{verb} {count} {noun}(s)."
ACTION_FAILED = "{count} {noun}(s) were left unchanged: {errors}"
_ERRORS_SHOWN = 10


def run_bulk_action(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    verb: str,
    call: Callable[[Any], object],
    limit: int = ACTION_LIMIT,
    noun: str = "row",
) -> int:
    """Call `call(row)` for each selected row (in primary-key order); returns how many succeeded.

    More than `limit` rows selected: nothing runs, and staff are told why. A row whose
    service raises a `ServiceError` is left as it was and its message is shown. Staff are
    told "<verb> <count> <noun>(s).", e.g. "Revoked 2 API key(s).".
    """
    rows = list(queryset.order_by("pk")[: limit + 1])
    if len(rows) > limit:
        modeladmin.message_user(request, TOO_MANY_SELECTED.format(limit=limit), messages.ERROR)
        return 0
    done, errors = 0, []
    for row in rows:
        try:
            call(row)
        except ServiceError as error:
            errors.append(error.message)
        else:
            done += 1
    if done:
        modeladmin.message_user(
            request, ACTION_DONE.format(verb=verb, count=done, noun=noun), messages.SUCCESS
        )
    if errors:
        unique = sorted(set(errors))
        shown = "; ".join(unique[:_ERRORS_SHOWN]) + ("; …" if len(unique) > _ERRORS_SHOWN else "")
        modeladmin.message_user(
            request,
            ACTION_FAILED.format(count=len(errors), noun=noun, errors=shown),
            messages.WARNING,
        )
    return done


def action_with_permissions(action: Callable[..., Any], *permissions: str) -> Callable[..., Any]:
    """A third-party admin action that declares no permission, as one that declares these.

    Django offers an action without `permissions=` to every staff user who can see the list
    (a view-only user included); the wrapper runs the same code, offered only to staff who
    hold `permissions` on the model. The library's function itself is left untouched.
    """

    def run(
        modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
    ) -> Any:
        return action(modeladmin, request, queryset)

    run.__name__ = run.__qualname__ = action.__name__
    description = getattr(action, "short_description", action.__name__.replace("_", " "))
    return admin.action(description=description, permissions=permissions)(run)
