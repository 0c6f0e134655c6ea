"""HTTP contract of /v2/webhooks (contract: Webhooks; reference §12.1) and our extensions."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from sparkloop.models import Team
from tests.conftest import expand_events
from tests.oauth.helpers import bearer, fast_hashers, issue_token
from tests.webhooks.conftest import FakeDNS, broker, dns
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_create, event_record

# The webhooks world's fake resolver and broker queue (autouse), and fast OAuth hashing.
__all__ = ["broker", "dns", "fast_hashers"]

pytestmark = pytest.mark.django_db

NEW_REFERRAL = Event.Type.NEW_REFERRAL

URL = "https://hooks.example.com/sparkloop"
DOCUMENTED = ("new_referral", "reward_unlocked", "new_partner_referral", "reward_redeemed")


@pytest.fixture
def webhook(team: Team) -> WebhookEndpoint:
    return endpoint_create(team=team, url=URL, events={NEW_REFERRAL: True})


class TestCreate:
    def test_it_creates_a_webhook_and_shows_its_secret_once(self, api_client: APIClient) -> None:
        response = api_client.post(
            "/v2/webhooks",
            {"url": URL, "new_referral": True, "reward_unlocked": False},
            format="json",
        )

        assert response.status_code == 201
        body = response.json()["webhook"]
        assert body["uuid"].startswith("webhook_")
        assert body["url"] == URL
        assert body["events"]["new_referral"] is True
        assert body["events"]["reward_unlocked"] is False
        assert body["events"]["new_partner_referral"] is None
        assert body["secret"].startswith("whsec_")
        again = api_client.get(f"/v2/webhooks/{body['uuid']}").json()["webhook"]
        assert "secret" not in again

    def test_it_accepts_string_flags_and_the_nested_events_shape(
        self, api_client: APIClient
    ) -> None:
        response = api_client.post(
            "/v2/webhooks",
            {"url": URL, "reward_redeemed": "true", "events": {"sync_subscriber": False}},
            format="json",
        )

        events = response.json()["webhook"]["events"]
        assert (events["reward_redeemed"], events["sync_subscriber"]) == (True, False)

    def test_it_refuses_a_body_that_is_not_an_object(self, api_client: APIClient) -> None:
        for path in ("/v2/webhooks", "/v2/webhooks/token/rotate"):
            response = api_client.post(path, [1, 2], format="json")

            assert response.status_code == 400
            assert response.json()["error"]

    def test_it_ignores_unknown_keys(self, api_client: APIClient) -> None:
        response = api_client.post("/v2/webhooks", {"url": URL, "colour": "red"}, format="json")
        assert response.status_code == 201

    @pytest.mark.parametrize(
        ("body", "error"),
        [
            ({"url": "http://hooks.example.com/x"}, "Url must start with https://"),
            ({"url": "hooks.example.com/x"}, "Url must start with https://"),
            ({}, "Url can't be blank"),
            ({"url": ""}, "Url can't be blank"),
            (
                {"url": "https://127.0.0.1/x"},
                "Url must not point to a private, loopback or link-local address",
            ),
            ({"url": URL, "new_referral": "maybe"}, "New referral must be true or false"),
        ],
    )
    def test_it_refuses_invalid_bodies(
        self, api_client: APIClient, body: dict[str, Any], error: str
    ) -> None:
        response = api_client.post("/v2/webhooks", body, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == error

    def test_it_allows_http_loopback_when_the_setting_allows(
        self, api_client: APIClient, settings: Any
    ) -> None:
        settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
        response = api_client.post(
            "/v2/webhooks", {"url": "http://127.0.0.1:9000/h"}, format="json"
        )
        assert response.status_code == 201

    def test_it_refuses_http_to_a_public_host_even_when_the_setting_allows_private(
        self, api_client: APIClient, settings: Any, dns: FakeDNS
    ) -> None:
        settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
        dns.add("example.com", ["93.184.216.34"])

        response = api_client.post(
            "/v2/webhooks", {"url": "http://example.com/hook"}, format="json"
        )

        assert response.status_code == 400
        assert response.json() == {"error": "Url must start with https://"}

    @pytest.mark.parametrize(
        "url",
        [
            "https://%31%32%37.attacker.example:8443/hook",
            "https://[fe80::1%25eth0]/hook",
            "https://user@hooks.example.com/hook",
        ],
    )
    def test_it_refuses_a_host_that_would_read_differently(
        self, api_client: APIClient, url: str
    ) -> None:
        response = api_client.post("/v2/webhooks", {"url": url}, format="json")

        assert response.status_code == 400
        assert response.json() == {"error": "Url is invalid"}

    @pytest.mark.parametrize(
        "url", ["https://[2002:7f00:1::]/h", "https://0x7f.1/h", "https://[::ffff:127.0.0.1]/h"]
    )
    def test_it_refuses_disguised_loopback(self, api_client: APIClient, url: str) -> None:
        response = api_client.post("/v2/webhooks", {"url": url}, format="json")

        assert response.status_code == 400
        assert response.json() == {
            "error": "Url must not point to a private, loopback or link-local address"
        }

    def test_it_accepts_every_flag_of_the_object(self, api_client: APIClient) -> None:
        response = api_client.post(
            "/v2/webhooks",
            {"url": URL, "payout_created": False, "app.connected": False},
            format="json",
        )

        events = response.json()["webhook"]["events"]
        assert (events["payout_created"], events["app.connected"]) == (False, False)

    def test_it_needs_a_key(self, anon_client: APIClient) -> None:
        response = anon_client.post("/v2/webhooks", {"url": URL}, format="json")
        assert response.status_code == 401
        assert response.json() == {"error": "API key is missing!"}


class TestListAndRetrieve:
    def test_it_lists_the_teams_webhooks_newest_first_without_meta(
        self, api_client: APIClient, team: Team, other_team: Team
    ) -> None:
        first = endpoint_create(team=team, url=URL + "/1")
        second = endpoint_create(team=team, url=URL + "/2")
        endpoint_create(team=other_team, url=URL + "/theirs")

        response = api_client.get("/v2/webhooks")

        assert response.status_code == 200
        assert list(response.json()) == ["webhooks"]
        assert [w["uuid"] for w in response.json()["webhooks"]] == [
            second.public_id,
            first.public_id,
        ]

    def test_it_shows_one_with_every_documented_flag(
        self, api_client: APIClient, webhook: WebhookEndpoint
    ) -> None:
        response = api_client.get(f"/v2/webhooks/{webhook.public_id}/")

        assert response.status_code == 200
        body = response.json()["webhook"]
        assert set(DOCUMENTED) <= set(body["events"])
        assert body["enabled"] is True
        assert body["created_at"].endswith("Z")

    def test_it_is_also_served_under_api_v2(
        self, api_client: APIClient, webhook: WebhookEndpoint
    ) -> None:
        assert api_client.get(f"/api/v2/webhooks/{webhook.public_id}").status_code == 200

    def test_it_returns_404_for_an_unknown_webhook(self, api_client: APIClient) -> None:
        response = api_client.get("/v2/webhooks/webhook_nope")
        assert response.status_code == 404
        assert response.json() == {"error": "Webhook webhook_nope not found!"}

    def test_it_returns_404_for_other_teams_webhook(
        self, other_client: APIClient, webhook: WebhookEndpoint
    ) -> None:
        uuid = webhook.public_id
        for method in ("get", "put", "delete"):
            response = getattr(other_client, method)(
                f"/v2/webhooks/{uuid}", {"url": URL}, format="json"
            )
            assert response.status_code == 404
            assert response.json() == {"error": f"Webhook {uuid} not found!"}
        assert other_client.get(f"/v2/webhooks/{uuid}/deliveries").status_code == 404
        assert other_client.post(f"/v2/webhooks/{uuid}/test").status_code == 404
        assert other_client.post(f"/v2/webhooks/{uuid}/rotate_secret").status_code == 404
        assert other_client.get("/v2/webhooks").json() == {"webhooks": []}


class TestUpdateAndDelete:
    def test_it_updates_the_given_fields(
        self, api_client: APIClient, webhook: WebhookEndpoint
    ) -> None:
        response = api_client.put(
            f"/v2/webhooks/{webhook.public_id}",
            {"url": URL + "/v2", "reward_unlocked": True},
            format="json",
        )

        assert response.status_code == 200
        body = response.json()["webhook"]
        assert body["url"] == URL + "/v2"
        assert body["events"]["reward_unlocked"] is True
        assert body["events"]["new_referral"] is True

    def test_it_refuses_an_http_url(self, api_client: APIClient, webhook: WebhookEndpoint) -> None:
        response = api_client.put(
            f"/v2/webhooks/{webhook.public_id}", {"url": "http://x.example.com"}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["error"] == "Url must start with https://"

    def test_it_refuses_an_empty_update(
        self, api_client: APIClient, webhook: WebhookEndpoint
    ) -> None:
        response = api_client.put(f"/v2/webhooks/{webhook.public_id}", {}, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "You have to update at least 1 field."

    def test_it_disables_and_reenables(
        self, api_client: APIClient, webhook: WebhookEndpoint
    ) -> None:
        path = f"/v2/webhooks/{webhook.public_id}"
        assert (
            api_client.put(path, {"enabled": False}, format="json").json()["webhook"]["enabled"]
            is False
        )
        assert (
            api_client.put(path, {"enabled": True}, format="json").json()["webhook"]["enabled"]
            is True
        )

    def test_it_deletes(self, api_client: APIClient, webhook: WebhookEndpoint) -> None:
        response = api_client.delete(f"/v2/webhooks/{webhook.public_id}")

        assert response.status_code == 200
        assert response.json()["webhook"]["uuid"] == webhook.public_id
        assert not WebhookEndpoint.objects.filter(pk=webhook.pk).exists()
        assert api_client.delete(f"/v2/webhooks/{webhook.public_id}").status_code == 404


class TestSecretAndTest:
    def test_it_rotates_the_secret(self, api_client: APIClient, webhook: WebhookEndpoint) -> None:
        response = api_client.post(
            f"/v2/webhooks/{webhook.public_id}/rotate_secret", {"grace_hours": 2}, format="json"
        )

        assert response.status_code == 200
        secret = response.json()["webhook"]["secret"]
        webhook.refresh_from_db()
        assert (webhook.secret, webhook.previous_secret != secret) == (secret, True)

    def test_it_refuses_a_bad_grace(self, api_client: APIClient, webhook: WebhookEndpoint) -> None:
        response = api_client.post(
            f"/v2/webhooks/{webhook.public_id}/rotate_secret", {"grace_hours": 500}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["error"] == "Grace hours must be an integer from 0 to 168"

    def test_it_sends_a_test_webhook(self, api_client: APIClient, webhook: WebhookEndpoint) -> None:
        response = api_client.post(f"/v2/webhooks/{webhook.public_id}/test")

        assert response.status_code == 202
        assert response.json()["delivery"]["type"] == "webhook_test"

    def test_it_refuses_a_test_to_a_disabled_webhook(
        self, api_client: APIClient, webhook: WebhookEndpoint
    ) -> None:
        WebhookEndpoint.objects.filter(pk=webhook.pk).update(is_enabled=False)
        response = api_client.post(f"/v2/webhooks/{webhook.public_id}/test")
        assert response.status_code == 400
        assert response.json()["error"] == f"Webhook {webhook.public_id} is disabled"


class TestDeliveries:
    def test_it_lists_recent_deliveries_newest_first(
        self, api_client: APIClient, team: Team, webhook: WebhookEndpoint
    ) -> None:
        first = event_record(team=team, type=NEW_REFERRAL, payload={})
        second = event_record(team=team, type=NEW_REFERRAL, payload={})
        expand_events()

        response = api_client.get(f"/v2/webhooks/{webhook.public_id}/deliveries?per_page=1")

        assert response.status_code == 200
        body = response.json()
        assert [d["webhook_id"] for d in body["deliveries"]] == [second.public_id]
        assert body["meta"] == {"per_page": 1, "page": 1, "total_pages": 2, "total_deliveries": 2}
        assert body["deliveries"][0]["status"] == "pending"
        assert first.public_id != second.public_id

    def test_it_shows_a_delivery_with_its_attempts(
        self, api_client: APIClient, team: Team, webhook: WebhookEndpoint
    ) -> None:
        event = event_record(team=team, type=NEW_REFERRAL, payload={"a": 1})
        expand_events()
        delivery = event.deliveries.get()

        response = api_client.get(
            f"/v2/webhooks/{webhook.public_id}/deliveries/{delivery.public_id}"
        )

        assert response.status_code == 200
        body = response.json()["delivery"]
        assert body["payload"] == {"type": "new_referral", "id": body["webhook_id"], "a": 1}
        assert body["attempts"] == []

    def test_it_resends_a_delivery(
        self, api_client: APIClient, team: Team, webhook: WebhookEndpoint
    ) -> None:
        event = event_record(team=team, type=NEW_REFERRAL, payload={})
        expand_events()
        delivery = event.deliveries.get()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED)

        response = api_client.post(
            f"/v2/webhooks/{webhook.public_id}/deliveries/{delivery.public_id}/resend"
        )

        assert response.status_code == 202
        assert response.json()["delivery"]["status"] == "pending"

    def test_it_refuses_to_resend_while_sending(
        self, api_client: APIClient, team: Team, webhook: WebhookEndpoint
    ) -> None:
        event = event_record(team=team, type=NEW_REFERRAL, payload={})
        expand_events()
        delivery = event.deliveries.get()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.SENDING)

        response = api_client.post(
            f"/v2/webhooks/{webhook.public_id}/deliveries/{delivery.public_id}/resend"
        )

        assert response.status_code == 400
        assert response.json()["error"] == (
            f"Delivery {delivery.public_id} is being sent; try again in a moment"
        )

    def test_it_returns_404_for_an_unknown_delivery(
        self, api_client: APIClient, webhook: WebhookEndpoint
    ) -> None:
        base = f"/v2/webhooks/{webhook.public_id}/deliveries/dlv_nope"
        for response in (api_client.get(base), api_client.post(base + "/resend")):
            assert response.status_code == 404
            assert response.json() == {"error": "Delivery dlv_nope not found!"}

    def test_it_returns_404_for_other_teams_delivery(
        self, other_client: APIClient, team: Team, webhook: WebhookEndpoint
    ) -> None:
        event = event_record(team=team, type=NEW_REFERRAL, payload={})
        expand_events()
        delivery = event.deliveries.get()
        base = f"/v2/webhooks/{webhook.public_id}/deliveries/{delivery.public_id}"

        for response in (other_client.get(base), other_client.post(base + "/resend")):
            assert response.status_code == 404
            assert response.json() == {"error": f"Webhook {webhook.public_id} not found!"}


class TestDeliveryPayload:
    def test_the_payload_shown_is_the_one_sent_with_its_id(
        self, api_client: APIClient, team: Team, webhook: WebhookEndpoint
    ) -> None:
        event = event_record(team=team, type=NEW_REFERRAL, payload={"a": 1})
        expand_events()
        delivery = event.deliveries.get()

        response = api_client.get(
            f"/v2/webhooks/{webhook.public_id}/deliveries/{delivery.public_id}"
        )

        assert response.json()["delivery"]["payload"] == {
            "type": "new_referral",
            "id": event.public_id,
            "a": 1,
        }
        assert response.json()["delivery"]["webhook_id"] == event.public_id


class TestWebhookToken:
    """`GET /v2/webhooks/token` and `POST /v2/webhooks/token/rotate` (extension)."""

    def test_it_shows_the_teams_token(self, api_client: APIClient, team: Team) -> None:
        response = api_client.get("/v2/webhooks/token")

        assert response.status_code == 200
        assert response.json() == {
            "webhook_token": {
                "token": team.webhook_token,
                "previous_token": None,
                "previous_token_expires_at": None,
            }
        }

    def test_it_rotates_and_shows_the_previous_token_during_the_grace(
        self, api_client: APIClient, team: Team
    ) -> None:
        old = team.webhook_token

        response = api_client.post("/v2/webhooks/token/rotate", {"grace_hours": 2}, format="json")

        assert response.status_code == 200
        body = response.json()["webhook_token"]
        team.refresh_from_db()
        assert body["token"] == team.webhook_token != old
        assert body["previous_token"] == old
        assert body["previous_token_expires_at"].endswith("Z")
        assert api_client.get("/api/v2/webhooks/token").json()["webhook_token"] == body

    def test_the_new_token_is_sent_from_then_on_with_the_previous_one_beside_it(
        self,
        api_client: APIClient,
        team: Team,
        settings: Any,
        httpserver: Any,
    ) -> None:
        from webhooks.tasks import webhook_delivery_send_task

        settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
        httpserver.expect_request("/hook").respond_with_data("")
        endpoint_create(team=team, url=f"http://127.0.0.1:{httpserver.port}/hook")
        old = team.webhook_token
        new = api_client.post("/v2/webhooks/token/rotate").json()["webhook_token"]["token"]
        delivery = event_record(team=team, type=Event.Type.SYNC_SUBSCRIBER, payload={})
        expand_events()

        webhook_delivery_send_task(delivery.deliveries.get().pk)

        [(request, _)] = httpserver.log
        assert request.headers["SparkLoop-Token"] == new
        assert request.headers["SparkLoop-Token-Previous"] == old

    def test_a_rotation_without_grace_forgets_the_old_token(self, api_client: APIClient) -> None:
        response = api_client.post("/v2/webhooks/token/rotate", {"grace_hours": 0}, format="json")

        body = response.json()["webhook_token"]
        assert (body["previous_token"], body["previous_token_expires_at"]) == (None, None)

    @pytest.mark.parametrize("grace", [-1, 169, "soon"])
    def test_it_refuses_a_bad_grace(self, api_client: APIClient, team: Team, grace: Any) -> None:
        token = team.webhook_token

        response = api_client.post(
            "/v2/webhooks/token/rotate", {"grace_hours": grace}, format="json"
        )

        assert response.status_code == 400
        assert response.json()["error"] == "Grace hours must be an integer from 0 to 168"
        team.refresh_from_db()
        assert team.webhook_token == token

    def test_another_team_sees_and_rotates_only_its_own(
        self, api_client: APIClient, other_client: APIClient, team: Team, other_team: Team
    ) -> None:
        mine = team.webhook_token

        theirs = other_client.get("/v2/webhooks/token").json()["webhook_token"]["token"]
        rotated = other_client.post("/v2/webhooks/token/rotate").json()["webhook_token"]

        assert theirs == other_team.webhook_token != mine
        assert rotated["previous_token"] == theirs
        team.refresh_from_db()
        assert team.webhook_token == mine
        assert api_client.get("/v2/webhooks/token").json()["webhook_token"]["token"] == mine

    def test_it_needs_a_key(self, anon_client: APIClient) -> None:
        for response in (
            anon_client.get("/v2/webhooks/token"),
            anon_client.post("/v2/webhooks/token/rotate"),
        ):
            assert response.status_code == 401
            assert response.json() == {"error": "API key is missing!"}

    def test_an_oauth_app_needs_the_webhooks_scopes(self, team: Team) -> None:
        reader = bearer(issue_token(team=team, scope="read:webhooks"))
        writer = bearer(issue_token(team=team, scope="write:webhooks"))
        other = bearer(issue_token(team=team, scope="read:subscribers write:subscribers"))

        assert reader.get("/v2/webhooks/token").status_code == 200
        assert reader.post("/v2/webhooks/token/rotate").json() == {
            "error": "Missing scope: write:webhooks"
        }
        assert writer.post("/v2/webhooks/token/rotate").status_code == 200
        assert writer.get("/v2/webhooks/token").json() == {"error": "Missing scope: read:webhooks"}
        assert other.get("/v2/webhooks/token").status_code == 403
        assert other.post("/v2/webhooks/token/rotate").status_code == 403
