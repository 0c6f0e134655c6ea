"""Logging: plain text by default, one JSON object a line with `LOG_FORMAT=json`.

Every record carries the request id (`sparkloop.requestid`); each request ends with one line
from `sparkloop.access` naming its method, path, route, status, duration and team. That line
replaces the development server's own (`django.server`, kept to warnings), so a request is
logged once whichever server runs.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

access_logger = logging.getLogger("sparkloop.access")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s"
LOG_FORMATS = ("text", "json")
QUIET_ROUTES = {"/healthz", "/readyz", "/metrics"}

_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def route_of(request: HttpRequest) -> str:
    """The URL pattern a request matched, as `/v2/subscribers/{pk}` (a bounded set of values
    for logs and metrics labels); `unmatched` when no pattern matched."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return "unmatched"
    route = _GROUP.sub(r"{\1}", match.route)
    route = _CONVERTER.sub(r"{\1}", route)
    route = route.replace("^", "").replace("/?$", "").replace("$", "").rstrip("/")
    return "/" + route


def team_of(request: HttpRequest) -> str | None:
    team = getattr(request, "team", None)
    return getattr(team, "public_id", None)


# Celery's own lines about a task: sent by beat, received by a worker, finished.
CELERY_TASK_LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace")


class RoutineTasksFilter:
    """Celery's INFO lines about the tasks beat runs every few seconds (the webhook sweep,
    the holding-period sweep) become DEBUG, so they don't bury the request log. A sweep that
    does something still says so at INFO itself; a failure is still an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not record.name.startswith(CELERY_TASK_LOGGERS):
            return True
        from django.conf import settings

        names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        message = record.getMessage()
        if not any(str(name) in message for name in names):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    """The LOGGING setting: one console handler, text or JSON, with the request-id filter."""
    if fmt not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {fmt!r}")
    formatter: dict[str, Any] = {"format": TEXT_FORMAT}
    if fmt == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": JSON_FIELDS,
            "timestamp": "time",  # ISO 8601, UTC
            "rename_fields": {"levelname": "level", "name": "logger"},
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "sparkloop.requestid.RequestIdFilter"},
            "routine_tasks": {"()": "sparkloop.logs.RoutineTasksFilter"},
        },
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id", "routine_tasks"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.server": {"level": "WARNING"}},
    }


class AccessLogMiddleware:
    """One line per request, after its response: method, path, route, status, duration, team."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        route = route_of(request)
        team = team_of(request)
        # Probes and scrapes come every few seconds: logged only when they fail.
        level = (
            logging.DEBUG if route in QUIET_ROUTES and response.status_code < 400 else logging.INFO
        )
        access_logger.log(
            level,
            "%s %s %s %.1fms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "path": request.path,
                "route": route,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "team": team,
            },
        )
        return response
