"""Liveness and readiness: GET /healthz and GET /readyz, for load balancers and orchestrators.

`/healthz` touches nothing: a process that answers is alive. `/readyz` checks the database,
the cache and the Celery broker at once, each in its own thread, and waits at most
`READINESS_TIMEOUT_SECONDS` for all of them: 200 with each check's time, or 503 naming the
ones that failed. Neither needs a key or counts toward a rate limit (they are outside the
API's paths). A failure's detail (which may name internal hosts) goes to the log, not to the
unauthenticated answer.

A thin view of our own rather than django-health-check: three checks, one JSON shape, and no
extra app, models or templates to keep up with.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from sparkloop.celery import app as celery_app

logger = logging.getLogger(__name__)

CACHE_KEY = "sparkloop:readyz"


def _database() -> None:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()  # this thread's own connection, made for the check


def _cache() -> None:
    cache = caches["default"]
    marker = str(time.time())
    cache.set(CACHE_KEY, marker, 30)
    if cache.get(CACHE_KEY) != marker:
        raise RuntimeError("the cache did not keep a value")


def _broker() -> None:
    timeout = float(settings.READINESS_TIMEOUT_SECONDS)
    with celery_app.connection_for_write(
        url=settings.CELERY_BROKER_URL, connect_timeout=timeout
    ) as conn:
        conn.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, timeout=max(1, round(timeout))
        )


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "cache": _cache,
    "broker": _broker,
}


def _timed(check: Callable[[], None]) -> float:
    started = time.perf_counter()
    check()
    return round((time.perf_counter() - started) * 1000, 1)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    timeout = float(settings.READINESS_TIMEOUT_SECONDS)
    pool = ThreadPoolExecutor(len(CHECKS), thread_name_prefix="readyz")
    futures = {name: pool.submit(_timed, check) for name, check in CHECKS.items()}
    wait(futures.values(), timeout=timeout)
    # A check stuck on a network timeout finishes in the background; the answer doesn't wait.
    pool.shutdown(wait=False, cancel_futures=True)
    results: dict[str, dict[str, object]] = {}
    failing = []
    for name, future in futures.items():
        if not future.done():
            results[name] = {"ok": False, "error": f"no answer within {timeout:g} s"}
        elif (error := future.exception()) is not None:
            logger.warning("readiness: %s failed: %r", name, error)
            results[name] = {"ok": False, "error": type(error).__name__}
        else:
            results[name] = {"ok": True, "ms": future.result()}
            continue
        failing.append(name)
    if failing:
        return JsonResponse(
            {
                "status": "unavailable",
                "error": f"Not ready: {', '.join(failing)}",
                "checks": results,
            },
            status=503,
        )
    return JsonResponse({"status": "ok", "checks": results})
