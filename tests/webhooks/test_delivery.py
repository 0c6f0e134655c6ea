"""Sending deliveries to a real receiver on 127.0.0.1: signing, retries, 410, SSRF, resend."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from sparkloop.models import Team
from tests.conftest import expand_events
from tests.webhooks.conftest import record_sync, verify_signature
from webhooks.models import DeliveryAttempt, Event, WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    RETRY_SCHEDULE,
    delivery_resend,
    endpoint_create,
    endpoint_secret_rotate,
)
from webhooks.services.transport import BODY_EXCERPT_CHARS, CONNECTION_FAILED, USER_AGENT
from webhooks.tasks import webhook_delivery_send_task

pytestmark = pytest.mark.django_db

Status, Outcome = WebhookDelivery.Status, DeliveryAttempt.Outcome


def _reload(delivery: WebhookDelivery) -> WebhookDelivery:
    delivery.refresh_from_db()
    return delivery


class TestSuccessfulDelivery:
    def test_it_posts_the_signed_payload_with_every_header(
        self, team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
    ) -> None:
        httpserver.expect_request("/hook", method="POST").respond_with_data("thanks")
        delivery = record_sync(team)

        webhook_delivery_send_task(delivery.pk)

        request, _ = httpserver.log[0]
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["User-Agent"] == USER_AGENT
        assert request.headers["SparkLoop-Token"] == team.webhook_token
        assert request.headers["webhook-id"] == delivery.event.public_id
        assert request.headers["webhook-id"].startswith("msg_")
        assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 10
        assert verify_signature(secret=endpoint.secret, headers=request.headers, body=request.data)
        assert json.loads(request.data) == {
            "type": "sync_subscriber",
            "id": request.headers["webhook-id"],
            "subscriber": {"email": "reader@example.com"},
        }

    def test_it_marks_the_delivery_delivered_and_records_the_attempt(
        self, team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
    ) -> None:
        httpserver.expect_request("/hook").respond_with_data("x" * 5000, status=202)
        delivery = record_sync(team)

        webhook_delivery_send_task(delivery.pk)

        delivery = _reload(delivery)
        assert delivery.status == Status.DELIVERED
        assert delivery.delivered_at is not None
        assert delivery.attempt_count == 1
        assert delivery.last_status_code == 202
        attempt = delivery.attempts.get()
        assert attempt.outcome == Outcome.SUCCESS
        assert attempt.response_status_code == 202
        assert attempt.response_body == "x" * BODY_EXCERPT_CHARS
        assert attempt.duration_ms is not None
        endpoint.refresh_from_db()
        assert endpoint.last_success_at is not None

    def test_it_sends_once_when_the_task_runs_twice(
        self, team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
    ) -> None:
        httpserver.expect_request("/hook").respond_with_data("")
        delivery = record_sync(team)

        webhook_delivery_send_task(delivery.pk)
        webhook_delivery_send_task(delivery.pk)

        assert len(httpserver.log) == 1
        assert _reload(delivery).attempts.count() == 1

    def test_it_does_nothing_for_a_delivery_that_is_not_due(
        self, team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
    ) -> None:
        delivery = record_sync(team)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now() + timedelta(minutes=5)
        )

        webhook_delivery_send_task(delivery.pk)

        assert httpserver.log == []
        assert _reload(delivery).status == Status.PENDING

    def test_it_does_nothing_for_a_deleted_delivery(self, endpoint: WebhookEndpoint) -> None:
        webhook_delivery_send_task(987654321)  # no error: a stale message is dropped

    def test_it_signs_with_both_secrets_during_a_rotations_grace(
        self, team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
    ) -> None:
        httpserver.expect_request("/hook").respond_with_data("")
        old_secret = endpoint.secret
        endpoint = endpoint_secret_rotate(endpoint=endpoint, grace=timedelta(hours=1))
        delivery = record_sync(team)

        webhook_delivery_send_task(delivery.pk)

        request, _ = httpserver.log[0]
        assert len(request.headers["webhook-signature"].split(" ")) == 2
        assert verify_signature(secret=endpoint.secret, headers=request.headers, body=request.data)
        assert verify_signature(secret=old_secret, headers=request.headers, body=request.data)

    def test_it_stops_signing_with_the_old_secret_after_the_grace(
        self, team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
    ) -> None:
        httpserver.expect_request("/hook").respond_with_data("")
        old_secret = endpoint.secret
        endpoint = endpoint_secret_rotate(endpoint=endpoint, grace=timedelta(0))
        delivery = record_sync(team)

        webhook_delivery_send_task(delivery.pk)

        request, _ = httpserver.log[0]
        assert verify_signature(secret=endpoint.secret, headers=request.headers, body=request.data)
        assert not verify_signature(secret=old_secret, headers=request.headers, body=request.data)


class TestFailedAttempts:
    def test_it_schedules_a_retry_after_an_error_status(
        self, team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
    ) -> None:
        httpserver.expect_request("/hook").respond_with_data("boom", status=500)
        delivery = record_sync(team)
        before = timezone.now()

        webhook_delivery_send_task(delivery.pk)

        delivery = _reload(delivery)
        assert delivery.status == Status.PENDING
        assert delivery.retry_step == 1
        assert delivery.enqueued_at is None  # the sweeper publishes it when due
        assert delivery.next_attempt_at is not None
        delay = delivery.next_attempt_at - before
        assert RETRY_SCHEDULE[0] * 0.85 < delay < RETRY_SCHEDULE[0] * 1.2
        attempt = delivery.attempts.get()
        assert (attempt.outcome, attempt.response_status_code, attempt.response_body) == (
            Outcome.HTTP_ERROR,
            500,
            "boom",
        )
        endpoint.refresh_from_db()
        assert endpoint.consecutive_failures == 1
        assert endpoint.failing_since is not None

    def test_it_keeps_the_webhook_id_and_the_payload_id_across_retries(
        self, team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
    ) -> None:
        httpserver.expect_ordered_request("/hook").respond_with_data("", status=503)
        httpserver.expect_ordered_request("/hook").respond_with_data("")
        delivery = record_sync(team)

        webhook_delivery_send_task(delivery.pk)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        webhook_delivery_send_task(delivery.pk)

        ids = {request.headers["webhook-id"] for request, _ in httpserver.log}
        assert ids == {delivery.event.public_id}
        assert [request.json["id"] for request, _ in httpserver.log] == [
            delivery.event.public_id
        ] * 2
        delivery = _reload(delivery)
        assert delivery.status == Status.DELIVERED
        assert list(delivery.attempts.values_list("number", "outcome")) == [
            (1, Outcome.HTTP_ERROR),
            (2, Outcome.SUCCESS),
        ]
        endpoint.refresh_from_db()
        assert (endpoint.failing_since, endpoint.consecutive_failures) == (None, 0)

    def test_it_follows_the_whole_schedule_then_fails(
        self, team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
    ) -> None:
        httpserver.expect_request("/hook").respond_with_data("", status=500)
        delivery = record_sync(team)

        for _ in range(len(RETRY_SCHEDULE) + 1):
            WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
            webhook_delivery_send_task(delivery.pk)

        delivery = _reload(delivery)
        assert delivery.status == Status.FAILED
        assert delivery.attempt_count == len(RETRY_SCHEDULE) + 1 == 10
        assert delivery.next_attempt_at is None
        assert sum(RETRY_SCHEDULE, timedelta()) >= timedelta(hours=24)

    def test_it_honours_retry_after(
        self, team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
    ) -> None:
        httpserver.expect_request("/hook").respond_with_data(
            "", status=429, headers={"Retry-After": "3600"}
        )
        delivery = record_sync(team)
        before = timezone.now()

        webhook_delivery_send_task(delivery.pk)

        next_attempt_at = _reload(delivery).next_attempt_at
        assert next_attempt_at is not None
        delay = next_attempt_at - before
        assert timedelta(minutes=59) < delay < timedelta(minutes=61)

    def test_it_does_not_follow_redirects(
        self, team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
    ) -> None:
        httpserver.expect_request("/hook").respond_with_data(
            "", status=302, headers={"Location": "http://127.0.0.1:1/elsewhere"}
        )
        delivery = record_sync(team)

        webhook_delivery_send_task(delivery.pk)

        assert len(httpserver.log) == 1
        delivery = _reload(delivery)
        assert delivery.status == Status.PENDING
        assert "redirects are not followed" in delivery.last_error

    def test_it_tells_nothing_but_connection_failed_about_a_private_target_timing_out(
        self,
        team: Team,
        endpoint: WebhookEndpoint,
        httpserver: HTTPServer,
        settings: SettingsWrapper,
    ) -> None:
        settings.WEBHOOK_TIMEOUT_SECONDS = 0.2

        def slow(request: Request) -> Response:
            time.sleep(0.6)
            return Response("late")

        httpserver.expect_request("/hook").respond_with_handler(slow)
        delivery = record_sync(team)

        webhook_delivery_send_task(delivery.pk)

        delivery = _reload(delivery)
        assert delivery.status == Status.PENDING
        attempt = delivery.attempts.get()
        # Not TIMEOUT, and no duration: an open port must look like a closed one.
        assert (attempt.outcome, attempt.error, attempt.duration_ms) == (
            Outcome.CONNECTION_ERROR,
            CONNECTION_FAILED,
            None,
        )
        assert (delivery.last_status_code, delivery.last_error) == (None, CONNECTION_FAILED)

    def test_it_records_a_refused_connection_as_connection_failed_and_retries(
        self, team: Team, allow_private: SettingsWrapper
    ) -> None:
        endpoint_create(team=team, url="http://127.0.0.1:9/closed")
        delivery = record_sync(team)

        webhook_delivery_send_task(delivery.pk)

        delivery = _reload(delivery)
        assert delivery.status == Status.PENDING
        attempt = delivery.attempts.get()
        assert (attempt.outcome, attempt.error, attempt.duration_ms) == (
            Outcome.CONNECTION_ERROR,
            CONNECTION_FAILED,
            None,
        )

    def test_it_disables_the_endpoint_on_410_and_tells_the_team(
        self,
        team: Team,
        endpoint: WebhookEndpoint,
        httpserver: HTTPServer,
        receiver_url: str,
    ) -> None:
        watcher = endpoint_create(team=team, url=receiver_url + "?watcher")
        WebhookEndpoint.objects.filter(pk=watcher.pk).update(
            events={Event.Type.SYNC_SUBSCRIBER: False}
        )
        httpserver.expect_request("/hook").respond_with_data("gone", status=410)
        delivery = record_sync(team)

        webhook_delivery_send_task(delivery.pk)

        delivery, endpoint = _reload(delivery), WebhookEndpoint.objects.get(pk=endpoint.pk)
        assert delivery.status == Status.FAILED
        assert not endpoint.is_enabled
        assert endpoint.disabled_reason == "The receiver answered 410 Gone"
        notice = Event.objects.get(team=team, type=Event.Type.WEBHOOK_DISABLED)
        assert notice.payload["webhook"] == {"uuid": endpoint.public_id, "url": endpoint.url}
        expand_events()
        assert list(notice.deliveries.values_list("endpoint_id", flat=True)) == [watcher.pk]

    def test_it_fails_pending_deliveries_of_a_disabled_endpoint_without_sending(
        self, team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
    ) -> None:
        delivery = record_sync(team)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_enabled=False)

        webhook_delivery_send_task(delivery.pk)

        assert httpserver.log == []
        delivery = _reload(delivery)
        assert delivery.status == Status.FAILED
        assert delivery.last_error == f"Webhook {endpoint.public_id} is disabled"

    def test_it_disables_an_endpoint_failing_for_days(
        self,
        team: Team,
        endpoint: WebhookEndpoint,
        httpserver: HTTPServer,
        settings: SettingsWrapper,
    ) -> None:
        settings.WEBHOOK_DISABLE_AFTER_DAYS = 5
        httpserver.expect_request("/hook").respond_with_data("", status=500)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=timezone.now() - timedelta(days=5, minutes=1)
        )
        delivery = record_sync(team)

        webhook_delivery_send_task(delivery.pk)

        endpoint.refresh_from_db()
        assert not endpoint.is_enabled
        assert endpoint.disabled_reason == "Every delivery failed for 5 days"
        assert Event.objects.filter(team=team, type=Event.Type.WEBHOOK_DISABLED).exists()


class TestSendTimeAddressCheck:
    def test_it_refuses_to_send_to_loopback_in_production_mode(
        self,
        team: Team,
        endpoint: WebhookEndpoint,
        httpserver: HTTPServer,
        settings: SettingsWrapper,
    ) -> None:
        delivery = record_sync(team)
        settings.WEBHOOK_ALLOW_PRIVATE_URLS = False  # e.g. DNS now points somewhere private

        webhook_delivery_send_task(delivery.pk)

        assert httpserver.log == []
        delivery = _reload(delivery)
        attempt = delivery.attempts.get()
        assert attempt.outcome == Outcome.REFUSED
        assert delivery.status == Status.PENDING  # retried: DNS may change back


class TestResend:
    def test_it_sends_a_delivered_event_again_with_the_same_id(
        self, team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
    ) -> None:
        httpserver.expect_request("/hook").respond_with_data("")
        delivery = record_sync(team)
        webhook_delivery_send_task(delivery.pk)

        delivery = delivery_resend(delivery=delivery)
        assert (delivery.status, delivery.retry_step) == (Status.PENDING, 0)
        webhook_delivery_send_task(delivery.pk)

        ids = [request.headers["webhook-id"] for request, _ in httpserver.log]
        assert ids == [delivery.event.public_id] * 2
        assert [request.json["id"] for request, _ in httpserver.log] == ids
        assert _reload(delivery).attempt_count == 2

    def test_it_revives_a_failed_delivery(
        self, team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
    ) -> None:
        httpserver.expect_request("/hook").respond_with_data("")
        delivery = record_sync(team)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=Status.FAILED, retry_step=len(RETRY_SCHEDULE), next_attempt_at=None
        )

        delivery_resend(delivery=delivery)
        webhook_delivery_send_task(delivery.pk)

        assert _reload(delivery).status == Status.DELIVERED


class TestPayloadEnvelope:
    def test_an_event_stored_before_ids_is_sent_with_its_id(
        self, team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
    ) -> None:
        httpserver.expect_request("/hook").respond_with_data("")
        delivery = record_sync(team)
        Event.objects.filter(pk=delivery.event_id).update(
            payload={"type": "sync_subscriber", "subscriber": {"email": "old@example.com"}}
        )

        webhook_delivery_send_task(delivery.pk)

        request, _ = httpserver.log[0]
        assert list(request.json) == ["type", "id", "subscriber"]
        assert request.json["id"] == request.headers["webhook-id"] == delivery.event.public_id

    def test_the_test_event_has_an_iso_timestamp_and_its_id(
        self, team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
    ) -> None:
        from webhooks.services import endpoint_send_test

        httpserver.expect_request("/hook").respond_with_data("")
        delivery = endpoint_send_test(endpoint=endpoint)

        webhook_delivery_send_task(delivery.pk)

        request, _ = httpserver.log[0]
        body = request.json
        assert (body["type"], body["id"]) == ("webhook_test", request.headers["webhook-id"])
        sent_at = datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
        assert abs(sent_at - timezone.now()) < timedelta(minutes=1)
        assert body["created_at"].endswith("Z")
