"""GET /metrics: Prometheus text behind a bearer token, off (404) without one."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from referrals.tasks import referral_holding_sweep_task
from tests.clients import KeyedClient
from tests.conftest import expand_events
from webhooks.models import Event, WebhookDelivery
from webhooks.services import endpoint_create, event_record

pytestmark = pytest.mark.django_db

TOKEN = "scrape-me-0123456789"


@pytest.fixture
def metrics_on(settings: SettingsWrapper) -> SettingsWrapper:
    settings.METRICS_TOKEN = TOKEN
    return settings


def scrape() -> str:
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text (0 when absent)."""
    for line in text.splitlines():
        match = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if not match or match[1] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match[2] or ""))
        if found == labels:
            return float(match[3])
    return 0.0


def test_it_is_a_404_while_no_token_is_set() -> None:
    response = Client().get("/metrics")

    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}


@pytest.mark.parametrize("header", ["", "Bearer wrong", f"Basic {TOKEN}", "Bearer"])
def test_it_refuses_a_missing_or_wrong_token(metrics_on: SettingsWrapper, header: str) -> None:
    response = Client().get("/metrics", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json() == {"error": "Metrics need a valid bearer token"}
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'


def test_it_counts_a_request_by_route_and_status(
    metrics_on: SettingsWrapper, api_client: KeyedClient
) -> None:
    labels = {"method": "GET", "route": "/v2/subscribers", "status": "200"}
    before = sample(scrape(), "sparkloop_http_requests_total", **labels)
    latency_before = sample(
        scrape(),
        "sparkloop_http_request_duration_seconds_count",
        method="GET",
        route="/v2/subscribers",
    )

    assert api_client.get("/v2/subscribers").status_code == 200

    text = scrape()
    assert sample(text, "sparkloop_http_requests_total", **labels) == before + 1
    assert (
        sample(
            text,
            "sparkloop_http_request_duration_seconds_count",
            method="GET",
            route="/v2/subscribers",
        )
        == latency_before + 1
    )


def test_an_object_route_is_one_label_whatever_the_id(
    metrics_on: SettingsWrapper, api_client: KeyedClient
) -> None:
    for identifier in ("sub_missing1", "sub_missing2"):
        assert api_client.get(f"/v2/subscribers/{identifier}").status_code == 404

    text = scrape()
    assert "sub_missing1" not in text
    assert (
        sample(
            text,
            "sparkloop_http_requests_total",
            method="GET",
            route="/v2/subscribers/{pk}",
            status="404",
        )
        >= 2
    )


def test_it_counts_rate_limit_refusals(
    metrics_on: SettingsWrapper, api_client: KeyedClient
) -> None:
    metrics_on.RATE_LIMIT_DEFAULT = "1/60"
    before = sample(scrape(), "sparkloop_rate_limit_refusals_total", route="/v2/subscribers")

    statuses = [api_client.get("/v2/subscribers").status_code for _ in range(3)]

    assert statuses == [200, 429, 429]
    after = sample(scrape(), "sparkloop_rate_limit_refusals_total", route="/v2/subscribers")
    assert after == before + 2


def test_it_reads_the_webhook_backlog_when_scraped(
    metrics_on: SettingsWrapper, team, django_capture_on_commit_callbacks
) -> None:
    metrics_on.WEBHOOK_ALLOW_PRIVATE_URLS = True
    endpoint_create(team=team, url="http://127.0.0.1:9/hook", events={})
    before = sample(scrape(), "sparkloop_webhook_backlog", status="pending")

    event_record(team=team, type=Event.Type.SYNC_SUBSCRIBER, payload={"subscriber": {}})
    expand_events()

    assert WebhookDelivery.objects.filter(status="pending").count() >= 1
    assert sample(scrape(), "sparkloop_webhook_backlog", status="pending") == before + 1


def test_it_counts_celery_task_outcomes(metrics_on: SettingsWrapper) -> None:
    labels = {"task": referral_holding_sweep_task.name, "outcome": "success"}
    before = sample(scrape(), "sparkloop_celery_tasks_total", **labels)

    referral_holding_sweep_task.apply()

    assert sample(scrape(), "sparkloop_celery_tasks_total", **labels) == before + 1
