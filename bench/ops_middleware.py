"""What the operations middleware costs a request: request id, access log line, metrics.

In process (Django's test client, no network), on whatever DATABASE_URL names: the same
requests with the project's MIDDLEWARE and with the three operations middlewares taken out,
alternated in rounds, medians reported. The access line goes to a handler that discards it
(its formatting is part of the cost; writing to a terminal is not).

    uv run python bench/ops_middleware.py --requests 2000 --rounds 5
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparkloop.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import resolve  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from sparkloop.services import api_key_create, team_get_or_create  # noqa: E402

OPS = (
    "sparkloop.requestid.RequestIdMiddleware",
    "sparkloop.logs.AccessLogMiddleware",
    "sparkloop.metrics.MetricsMiddleware",
)


def run(client: Client, path: str, key: str, requests: int) -> float:
    """Mean microseconds per request."""
    started = time.perf_counter()
    for _ in range(requests):
        response = client.get(path, HTTP_X_API_KEY=key)
        assert response.status_code in (200, 404), response.status_code
    return (time.perf_counter() - started) / requests * 1e6


def isolated(requests: int) -> None:
    """The three middlewares alone around a view that does nothing (the pure added cost)."""
    factory = RequestFactory()
    chain: Any = lambda request: HttpResponse("ok")  # noqa: E731
    for dotted in reversed(OPS):
        chain = import_string(dotted)(chain)
    for label, handler in (("ops chain", chain), ("bare view", lambda r: HttpResponse("ok"))):
        request = factory.get("/healthz")
        request.resolver_match = resolve("/healthz")
        started = time.perf_counter()
        for _ in range(requests):
            handler(request)
        per = (time.perf_counter() - started) / requests * 1e6
        print(f"isolated     {label:9} {per:8.1f} us/request")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    isolated(args.requests * 5)
    call_command("migrate", verbosity=0)
    team, _ = team_get_or_create(name="bench-ops")
    _, key = api_key_create(team=team, name="bench")
    access = logging.getLogger("sparkloop.access")
    access.handlers, access.propagate = [logging.NullHandler()], False
    without = [name for name in settings.MIDDLEWARE if name not in OPS]
    paths = {"/healthz": "healthz", "/v2/subscribers?per_page=1": "subscribers"}
    with override_settings(RATE_LIMIT_DEFAULT="100000000/60"):
        for path, label in paths.items():
            results: dict[str, list[float]] = {"with": [], "without": []}
            for _ in range(args.rounds):
                for name, middleware in (("with", settings.MIDDLEWARE), ("without", without)):
                    with override_settings(MIDDLEWARE=middleware):
                        client = Client()
                        run(client, path, key, 50)  # warm up
                        results[name].append(run(client, path, key, args.requests))
            with_, without_ = (statistics.median(results[n]) for n in ("with", "without"))
            print(
                f"{label:12} with ops middleware {with_:8.1f} us/request, without "
                f"{without_:8.1f} us/request, difference {with_ - without_:+.1f} us"
            )


if __name__ == "__main__":
    main()
