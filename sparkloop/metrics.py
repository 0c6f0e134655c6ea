"""Prometheus metrics at /metrics (prometheus-client), off unless `METRICS_TOKEN` is set.

What every process counts: requests by method, route and status with their latency, the
requests refused with 429 (rate limits and lock-outs), and Celery task outcomes. What is read
at scrape time: each app registers a collector with `register_scrape_collector` (the webhooks
app: the outbox backlog), so this module imports no app.

Several processes (gunicorn workers, Celery workers on the same machine) add up their figures
when `PROMETHEUS_MULTIPROC_DIR` names a directory they share (prometheus-client's multiprocess
mode; empty it when they start, see docs/operations.md); without it a scrape sees the process
that answers it.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable
from typing import Any

from celery.signals import task_postrun
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.registry import Collector

from sparkloop.logs import route_of

REQUESTS = Counter(
    "sparkloop_http_requests", "HTTP requests answered.", ["method", "route", "status"]
)
LATENCY = Histogram(
    "sparkloop_http_request_duration_seconds",
    "Time from the request reaching Django to its response.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
RATE_LIMITED = Counter(
    "sparkloop_rate_limit_refusals",
    "Requests refused with 429 (a rate limit or a credential lock-out).",
    ["route"],
)
TASKS = Counter("sparkloop_celery_tasks", "Celery tasks run, by final state.", ["task", "outcome"])

# Collectors that read their figures when scraped (a query each); apps register theirs.
SCRAPE_REGISTRY = CollectorRegistry(auto_describe=False)
UNAUTHORIZED = "Metrics need a valid bearer token"


def register_scrape_collector(collector: Collector) -> None:
    SCRAPE_REGISTRY.register(collector)


def exposition() -> bytes:
    """The text of a scrape: every process's counters, then what is read now."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    return generate_latest(registry) + generate_latest(SCRAPE_REGISTRY)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics: 404 unless METRICS_TOKEN is set, then only for `Bearer <token>`."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), token):
        response = JsonResponse({"error": UNAUTHORIZED}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Counts and times every request under its route (a bounded set of label values)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        route = route_of(request)
        method = request.method if request.method in _METHODS else "other"
        LATENCY.labels(method, route).observe(time.perf_counter() - started)
        REQUESTS.labels(method, route, str(response.status_code)).inc()
        if response.status_code == 429:
            RATE_LIMITED.labels(route).inc()
        return response


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


@task_postrun.connect(weak=False)
def _task_finished(task: Any = None, state: str | None = None, **_: Any) -> None:
    name = getattr(task, "name", None) or "unknown"
    TASKS.labels(name, (state or "unknown").lower()).inc()
