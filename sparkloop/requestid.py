"""Request ids: one per request, returned in `X-Request-Id`, on every log line, and carried
into the Celery tasks the request publishes.

A client's or a proxy's `X-Request-Id` is honoured once sanitised (letters, digits and
`-_.:@/+=` only, at most 128 characters, so a log line can't be forged or bloated through it);
without a usable one a new id is made. The id lives in a context variable: the logging filter
`RequestIdFilter` reads it for every record, `before_task_publish` copies it into the task
message's headers and `task_prerun` sets it again in the worker for the task's run.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from celery import Task
from celery.signals import before_task_publish, task_postrun, task_prerun
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-Id"
# The key of the id in a Celery message's headers.
TASK_HEADER = "request_id"
MAX_LENGTH = 128
_UNSAFE = re.compile(r"[^A-Za-z0-9\-_.:@/+=]")

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_task_tokens: dict[str, Token[str | None]] = {}


def clean(raw: str | None) -> str | None:
    """The usable part of a client's request id, or None when nothing of it is usable."""
    if not raw:
        return None
    cleaned = _UNSAFE.sub("", raw)[:MAX_LENGTH]
    return cleaned or None


def make() -> str:
    return uuid.uuid4().hex


def current() -> str | None:
    return request_id.get()


class RequestIdMiddleware:
    """Outermost: every response, an error page or a redirect included, names its request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = clean(request.headers.get(HEADER)) or make()
        request.request_id = rid  # type: ignore[attr-defined]
        # Kept until the response is finished (`request_finished`): Django logs an error
        # response (`django.request`) after the middleware has returned.
        request_id.set(rid)
        response = self.get_response(request)
        response[HEADER] = rid
        return response


@receiver(request_finished, dispatch_uid="sparkloop.requestid.forget")
def _forget(**_: Any) -> None:
    request_id.set(None)


class RequestIdFilter:
    """A logging filter giving every record a `request_id` ("-" outside any request/task)."""

    def filter(self, record: Any) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get() or "-"
        return True


@before_task_publish.connect(weak=False)
def _publish_with_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    rid = request_id.get()
    if rid is not None and headers is not None:
        headers.setdefault(TASK_HEADER, rid)


def _task_request_id(task: Task[Any, Any]) -> str | None:
    # A worker exposes a message's custom headers as attributes of the task's request; an
    # eager run (Task.apply(headers=...)) keeps them under `headers`.
    found = getattr(task.request, TASK_HEADER, None)
    if found is None:
        found = (getattr(task.request, "headers", None) or {}).get(TASK_HEADER)
    return clean(found) if isinstance(found, str) else None


@task_prerun.connect(weak=False)
def _task_started(task_id: str = "", task: Task[Any, Any] | None = None, **_: Any) -> None:
    rid = _task_request_id(task) if task is not None else None
    if rid is not None:
        _task_tokens[task_id] = request_id.set(rid)


@task_postrun.connect(weak=False)
def _task_finished(task_id: str = "", **_: Any) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        request_id.reset(token)
