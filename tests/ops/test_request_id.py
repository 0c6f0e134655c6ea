"""X-Request-Id: honoured (cleaned) or made, returned on every response, carried into tasks."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from celery.signals import task_prerun
from celery.worker.request import Request as WorkerRequest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_httpserver import HTTPServer

from sparkloop import requestid
from sparkloop.celery import app as celery_app
from sparkloop.models import Team
from tests.clients import KeyedClient
from webhooks.services import endpoint_create, publish_resume
from webhooks.services.publish import SEND_TASK
from webhooks.tasks import webhook_deliveries_send_task

pytestmark = pytest.mark.django_db


def test_it_makes_an_id_when_none_is_given(api_client: KeyedClient) -> None:
    first = api_client.get("/v2/subscribers")["X-Request-Id"]
    second = api_client.get("/v2/subscribers")["X-Request-Id"]

    assert len(first) == 32
    assert first != second


def test_it_honours_the_callers_id(api_client: KeyedClient) -> None:
    response = api_client.get("/v2/subscribers", HTTP_X_REQUEST_ID="lb-7f3a:42")

    assert response["X-Request-Id"] == "lb-7f3a:42"


def test_it_cleans_and_caps_a_hostile_id(api_client: KeyedClient) -> None:
    response = api_client.get(
        "/v2/subscribers", HTTP_X_REQUEST_ID='abc" level="CRITICAL' + "x" * 500
    )

    assert response["X-Request-Id"] == "abclevel=CRITICAL" + "x" * 111
    assert len(response["X-Request-Id"]) == requestid.MAX_LENGTH


def test_an_id_with_nothing_usable_is_replaced(api_client: KeyedClient) -> None:
    response = api_client.get("/v2/subscribers", HTTP_X_REQUEST_ID="\t<>{}")

    assert len(response["X-Request-Id"]) == 32


@pytest.mark.parametrize(
    ("path", "status"),
    [("/healthz", 200), ("/nowhere", 404), ("/v2/subscribers", 401), ("/admin/", 302)],
)
def test_every_kind_of_response_carries_it(path: str, status: int) -> None:
    response = Client().get(path, HTTP_X_REQUEST_ID="trace-1")

    assert response.status_code == status
    assert response["X-Request-Id"] == "trace-1"


def test_log_records_of_a_request_carry_its_id(
    api_client: KeyedClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(requestid.RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="sparkloop.access"):
        api_client.get("/v2/subscribers", HTTP_X_REQUEST_ID="trace-2")

    (record,) = [r for r in caplog.records if r.name == "sparkloop.access"]
    assert record.request_id == "trace-2"  # type: ignore[attr-defined]


# Transactional: the send task is published when the service's transaction commits, inside
# the request, as in production (not when a test's outer transaction would end).
@pytest.mark.django_db(transaction=True)
def test_a_task_published_by_a_request_runs_under_its_id(
    team: Team, api_client: KeyedClient, settings: SettingsWrapper, httpserver: HTTPServer
) -> None:
    # The webhook test endpoint publishes a send task; it goes to a queue of the real broker
    # named for this test, and is then run as a worker runs a message it received.
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_QUEUE = f"test_request_id_{id(settings)}"
    publish_resume()
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint = endpoint_create(team=team, url=f"http://127.0.0.1:{httpserver.port}/hook")

    response = api_client.post(
        f"/v2/webhooks/{endpoint.public_id}/test", HTTP_X_REQUEST_ID="trace-3"
    )
    assert response.status_code == 202

    with celery_app.connection_for_write() as conn:
        channel: Any = conn.default_channel
        message = channel.basic_get(settings.WEBHOOK_QUEUE, no_ack=True)
    assert message is not None
    assert message.headers["task"] == SEND_TASK
    assert message.headers[requestid.TASK_HEADER] == "trace-3"

    seen: list[str | None] = []

    def look(**_: Any) -> None:
        seen.append(requestid.current())

    task_prerun.connect(look)
    try:
        WorkerRequest(message, app=celery_app, task=webhook_deliveries_send_task).execute()
    finally:
        task_prerun.disconnect(look)

    assert seen == ["trace-3"]
    assert requestid.current() is None  # reset once the task is over
    assert len(httpserver.log) == 1  # the task really ran: the receiver got the POST
