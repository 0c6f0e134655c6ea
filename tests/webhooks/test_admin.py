"""The webhooks admin: endpoint health, deliveries with attempts, filters, resends, test sends."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pytest_httpserver import HTTPServer

from sparkloop.models import Team
from tests.webhooks.conftest import Broker, record_sync
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

    def test_it_shows_an_endpoint_with_its_secrets_by_a_prefix_only(
        self, admin_client: Client, endpoint: WebhookEndpoint
    ) -> None:
        url = reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])
        response = admin_client.get(url)
        content = response.content.decode()
        assert response.status_code == 200
        token, secret = endpoint.team.webhook_token, endpoint.secret
        assert token not in content
        assert secret not in content
        assert f"{token[:6]}…" in content
        assert f"{secret[:10]}…" in content

    def test_send_test_webhook_delivers_a_test_event(
        self,
        admin_client: Client,
        endpoint: WebhookEndpoint,
        httpserver: HTTPServer,
        broker: Broker,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        httpserver.expect_request("/hook").respond_with_data("")
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                reverse("admin:webhooks_webhookendpoint_changelist"),
                {"action": "send_test_webhook", "_selected_action": [endpoint.pk]},
                follow=True,
            )
        assert "Sent a test webhook to 1 row(s)." in _messages(response)
        for batch in broker.batches():
            webhook_deliveries_send_task(batch)  # the worker's part, run here

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
        assert endpoint.disabled_reason == "Disabled by staff (staff)"
        assert Event.objects.filter(type=Event.Type.WEBHOOK_DISABLED).count() == 1

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
            changelist, {"event__type": Event.Type.SYNC_SUBSCRIBER, "status": "pending"}
        )
        other_type = admin_client.get(changelist, {"event__type": Event.Type.NEW_REFERRAL})

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
        broker: Broker,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        failed, sending = record_sync(team, "a@example.com"), record_sync(team, "b@example.com")
        WebhookDelivery.objects.filter(pk=failed.pk).update(status=WebhookDelivery.Status.FAILED)
        WebhookDelivery.objects.filter(pk=sending.pk).update(status=WebhookDelivery.Status.SENDING)

        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                reverse("admin:webhooks_webhookdelivery_changelist"),
                {"action": "resend_deliveries", "_selected_action": [failed.pk, sending.pk]},
                follow=True,
            )

        assert _messages(response) == [
            "Queued for resending 1 row(s).",
            f"1 row(s) were left unchanged: Delivery {sending.public_id} is being sent;"
            " try again in a moment",
        ]
        assert broker.batches() == [[failed.pk]]
        failed.refresh_from_db()
        assert failed.status == WebhookDelivery.Status.PENDING

    def test_the_event_list_opens(
        self, admin_client: Client, team: Team, endpoint: WebhookEndpoint
    ) -> None:
        record_sync(team)
        response = admin_client.get(
            reverse("admin:webhooks_event_changelist"), {"type": Event.Type.SYNC_SUBSCRIBER}
        )
        assert response.status_code == 200


class TestPermissions:
    """Staff who may only view are offered no action and cannot run one."""

    @pytest.fixture
    def viewer(self, client: Client, django_user_model: Any) -> Client:
        from django.contrib.auth.models import Permission

        user = django_user_model.objects.create_user(username="viewer", is_staff=True)
        user.user_permissions.set(
            Permission.objects.filter(codename__in=["view_webhookendpoint", "view_webhookdelivery"])
        )
        client.force_login(user)
        return client

    def test_a_view_only_user_cannot_disable_an_endpoint(
        self, viewer: Client, endpoint: WebhookEndpoint
    ) -> None:
        changelist = reverse("admin:webhooks_webhookendpoint_changelist")

        page = viewer.get(changelist)
        viewer.post(changelist, {"action": "disable_endpoints", "_selected_action": [endpoint.pk]})

        assert page.status_code == 200
        assert b"disable_endpoints" not in page.content
        endpoint.refresh_from_db()
        assert endpoint.is_enabled

    def test_a_view_only_user_cannot_resend(
        self, viewer: Client, team: Team, endpoint: WebhookEndpoint
    ) -> None:
        delivery = record_sync(team)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED)

        viewer.post(
            reverse("admin:webhooks_webhookdelivery_changelist"),
            {"action": "resend_deliveries", "_selected_action": [delivery.pk]},
        )

        delivery.refresh_from_db()
        assert delivery.status == WebhookDelivery.Status.FAILED
