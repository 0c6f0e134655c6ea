"""Two workers racing for the same delivery: exactly one sends it (PostgreSQL, real threads)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from pytest_httpserver import HTTPServer

from sparkloop.models import Team
from tests.webhooks.conftest import record_sync
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.tasks import webhook_delivery_send_task

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_racing_workers_send_each_attempt_once(
    team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/hook").respond_with_data("")
    deliveries = [record_sync(team, f"r{i}@example.com") for i in range(10)]
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            for delivery in deliveries:
                webhook_delivery_send_task(delivery.pk)
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    ids = [request.headers["webhook-id"] for request, _ in httpserver.log]
    assert sorted(ids) == sorted(d.event.public_id for d in deliveries)
    rows: Any = WebhookDelivery.objects.filter(pk__in=[d.pk for d in deliveries])
    assert {(r.status, r.attempt_count) for r in rows} == {(WebhookDelivery.Status.DELIVERED, 1)}
