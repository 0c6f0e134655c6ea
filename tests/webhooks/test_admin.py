"""The webhooks admin: endpoint health, deliveries with attempts, filters, resends, test sends."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pytest_httpserver import HTTPServer

from sparkloop.models import Team
from tests.webhooks.conftest import record_sync
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_create, endpoint_disable
from webhooks.tasks import webhook_deliveries_send_task, webhook_delivery_send_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db: None, django_user_model: Any) -> Any:
    # No password: hashing one would cost every test about a second.
    return django_user_model.objects.create_superuser(
        username="staff", email="staff@example.com", password=None
    )


def _messages(response: Any) -> list[str]:
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(response.wsgi_request)]


class TestEndpointAdmin:
    def test_it_lists_endpoints_with_their_health(self, admin_client: Client, team: Team) -> None:
        endpoint_create(team=team, url="https://ok.example.com/h")
        gone = endpoint_create(team=team, url="https://gone.example.com/h")
        endpoint_disable(endpoint_id=gone.pk, reason="The receiver answered 410 Gone")

        response = admin_client.get(reverse("admin:webhooks_webhookendpoint_changelist"))

        assert response.status_code == 200
        assert b"no delivery yet" in response.content
        assert b"disabled: The receiver answered 410 Gone" in response.content

    def test_it_shows_an_endpoint(self, admin_client: Client, endpoint: WebhookEndpoint) -> None:
        url = reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])
        response = admin_client.get(url)
        assert response.status_code == 200
        assert endpoint.team.webhook_token.encode() in response.content
        assert endpoint.secret.encode() not in response.content

    def test_send_test_webhook_delivers_a_test_event(
        self,
        admin_client: Client,
        endpoint: WebhookEndpoint,
        httpserver: HTTPServer,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        httpserver.expect_request("/hook").respond_with_data("")
        with django_capture_on_commit_callbacks() as callbacks:
            response = admin_client.post(
                reverse("admin:webhooks_webhookendpoint_changelist"),
                {"action": "send_test_webhook", "_selected_action": [endpoint.pk]},
                follow=True,
            )
        assert "Sent a test webhook to 1 endpoint(s)." in _messages(response)
        for callback in callbacks:
            webhook_deliveries_send_task(*callback.args)  # the worker's part, run here

        request, _ = httpserver.log[0]
        assert request.json["type"] == "webhook_test"

    def test_disable_and_enable_actions(
        self, admin_client: Client, endpoint: WebhookEndpoint
    ) -> None:
        changelist = reverse("admin:webhooks_webhookendpoint_changelist")
        admin_client.post(
            changelist, {"action": "disable_endpoints", "_selected_action": [endpoint.pk]}
        )
        endpoint.refresh_from_db()
        assert not endpoint.is_enabled
        assert Event.objects.filter(type="webhook_disabled").count() == 1

        admin_client.post(
            changelist, {"action": "enable_endpoints", "_selected_action": [endpoint.pk]}
        )
        endpoint.refresh_from_db()
        assert endpoint.is_enabled


class TestDeliveryAdmin:
    def test_it_filters_by_status_and_event_type(
        self, admin_client: Client, team: Team, endpoint: WebhookEndpoint
    ) -> None:
        delivery = record_sync(team)
        changelist = reverse("admin:webhooks_webhookdelivery_changelist")

        by_type = admin_client.get(
            changelist, {"event__type": "sync_subscriber", "status": "pending"}
        )
        other_type = admin_client.get(changelist, {"event__type": "new_referral"})

        assert delivery.public_id.encode() in by_type.content
        assert delivery.public_id.encode() not in other_type.content

    def test_it_shows_a_delivery_with_its_attempts(
        self, admin_client: Client, team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
    ) -> None:
        httpserver.expect_request("/hook").respond_with_data("no thanks", status=500)
        delivery = record_sync(team)
        webhook_delivery_send_task(delivery.pk)

        response = admin_client.get(
            reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk])
        )

        assert response.status_code == 200
        assert b"http_error" in response.content or b"HTTP error" in response.content
        assert b"no thanks" in response.content

    def test_resend_action_queues_the_selected_deliveries(
        self,
        admin_client: Client,
        team: Team,
        endpoint: WebhookEndpoint,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        failed, sending = record_sync(team, "a@example.com"), record_sync(team, "b@example.com")
        WebhookDelivery.objects.filter(pk=failed.pk).update(status=WebhookDelivery.Status.FAILED)
        WebhookDelivery.objects.filter(pk=sending.pk).update(status=WebhookDelivery.Status.SENDING)

        with django_capture_on_commit_callbacks() as callbacks:
            response = admin_client.post(
                reverse("admin:webhooks_webhookdelivery_changelist"),
                {"action": "resend_deliveries", "_selected_action": [failed.pk, sending.pk]},
                follow=True,
            )

        assert _messages(response) == [
            "Queued 1 deliveries for resending."
            " 1 skipped (being sent, or their endpoint is disabled)."
        ]
        assert [cb.args[0] for cb in callbacks] == [[failed.pk]]
        failed.refresh_from_db()
        assert failed.status == WebhookDelivery.Status.PENDING

    def test_the_event_list_opens(
        self, admin_client: Client, team: Team, endpoint: WebhookEndpoint
    ) -> None:
        record_sync(team)
        response = admin_client.get(
            reverse("admin:webhooks_event_changelist"), {"type": "sync_subscriber"}
        )
        assert response.status_code == 200
