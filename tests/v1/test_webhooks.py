"""API v1: webhooks under a campaign, and what their deliveries carry."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_httpserver import HTTPServer
from rest_framework.test import APIClient

from referrals.models import Campaign
from referrals.services import campaign_delete
from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.services import subscriber_create, subscriber_update
from tests.conftest import expand_events
from tests.v1.conftest import error, ok
from tests.webhooks.conftest import broker, dns
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_create
from webhooks.tasks import webhook_deliveries_send_task

# The webhooks world's fake resolver and broker queue (autouse).
__all__ = ["broker", "dns"]

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/sparkloop"
NEW_REFERRAL = Event.Type.NEW_REFERRAL


def hooks_path(campaign: Campaign) -> str:
    return f"/v1/campaigns/{campaign.public_id}/webhooks"


def v1_webhook(client: APIClient, campaign: Campaign, **body: Any) -> dict[str, Any]:
    response = client.post(hooks_path(campaign), {"url": URL, **body}, format="json")
    return dict(ok(response, 201)["webhook"])


class TestCreate:
    def test_it_creates_a_webhook_of_the_campaign_with_v1s_two_flags(
        self, api_client: APIClient, spring: Campaign
    ) -> None:
        response = api_client.post(
            hooks_path(spring),
            {"url": URL, "new_referral": True, "new_partner_referral": True},
            format="json",
        )

        webhook = ok(response, 201)["webhook"]
        assert webhook["uuid"].startswith("webhook_")
        assert webhook["url"] == URL
        assert webhook["events"] == {"new_referral": True, "reward_unlocked": None}
        assert webhook["campaign_uuid"] == spring.public_id
        assert webhook["secret"].startswith("whsec_")  # shown once, as v2 shows it
        stored = WebhookEndpoint.objects.get(public_id=webhook["uuid"])
        assert stored.campaign_uuid == spring.public_id
        assert stored.events[Event.Type.NEW_PARTNER_REFERRAL] is None  # not a v1 flag: ignored

    def test_its_flags_default_as_v2s(self, api_client: APIClient, spring: Campaign) -> None:
        v1 = v1_webhook(api_client, spring, reward_unlocked="true")
        v2 = ok(
            api_client.post("/v2/webhooks", {"url": URL, "reward_unlocked": True}, format="json"),
            201,
        )

        v1_flags = WebhookEndpoint.objects.get(public_id=v1["uuid"]).events
        v2_flags = WebhookEndpoint.objects.get(public_id=v2["webhook"]["uuid"]).events
        assert v1_flags == v2_flags

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({}, "Url can't be blank"),
            ({"url": ""}, "Url can't be blank"),
            ({"url": "http://hooks.example.com/x"}, "Url must start with https://"),
            ({"url": URL, "new_referral": "maybe"}, "New referral must be true or false"),
        ],
    )
    def test_it_refuses_bad_bodies_and_creates_nothing(
        self, api_client: APIClient, spring: Campaign, body: dict[str, Any], message: str
    ) -> None:
        response = api_client.post(hooks_path(spring), body, format="json")

        assert error(response, 400) == message
        assert not WebhookEndpoint.objects.exists()

    def test_another_teams_campaign_is_a_404_and_creates_nothing(
        self, api_client: APIClient, other_campaign: Campaign
    ) -> None:
        response = api_client.post(hooks_path(other_campaign), {"url": URL}, format="json")

        assert error(response, 404) == f"Campaign {other_campaign.public_id} not found!"
        assert not WebhookEndpoint.objects.exists()


class TestRead:
    def test_it_lists_the_campaigns_webhooks_only_newest_first(
        self, api_client: APIClient, team: Team, spring: Campaign, default: Campaign
    ) -> None:
        first = v1_webhook(api_client, spring)
        second = v1_webhook(api_client, spring, new_referral=True)
        v1_webhook(api_client, default)
        endpoint_create(team=team, url=URL)  # a v2 webhook: the whole team's

        body = ok(api_client.get(hooks_path(spring)))

        assert set(body) == {"webhooks"}
        assert [w["uuid"] for w in body["webhooks"]] == [second["uuid"], first["uuid"]]
        assert all(
            set(w["events"]) == {"new_referral", "reward_unlocked"} for w in body["webhooks"]
        )
        assert all("secret" not in w for w in body["webhooks"])

    def test_it_gets_one(self, api_client: APIClient, spring: Campaign) -> None:
        created = v1_webhook(api_client, spring, new_referral=True)

        webhook = ok(api_client.get(f"{hooks_path(spring)}/{created['uuid']}"))["webhook"]

        assert {k: v for k, v in created.items() if k != "secret"} == webhook

    def test_v2_shows_it_with_its_campaign(self, api_client: APIClient, spring: Campaign) -> None:
        created = v1_webhook(api_client, spring)

        seen = ok(api_client.get(f"/v2/webhooks/{created['uuid']}"))["webhook"]

        assert seen["campaign_uuid"] == spring.public_id
        assert {"new_partner_referral", "reward_redeemed"} <= set(seen["events"])

    def test_another_campaigns_or_v2s_or_another_teams_webhook_is_a_404(
        self,
        api_client: APIClient,
        other_client: APIClient,
        team: Team,
        spring: Campaign,
        default: Campaign,
        other_campaign: Campaign,
    ) -> None:
        elsewhere = v1_webhook(api_client, default)["uuid"]
        team_wide = endpoint_create(team=team, url=URL).public_id
        theirs = v1_webhook(other_client, other_campaign)["uuid"]

        for uuid in (elsewhere, team_wide, theirs, "webhook_000000000000"):
            response = api_client.get(f"{hooks_path(spring)}/{uuid}")
            assert error(response, 404) == f"Webhook {uuid} not found!"
        response = api_client.get(f"{hooks_path(other_campaign)}/{theirs}")
        assert error(response, 404) == f"Campaign {other_campaign.public_id} not found!"


class TestChange:
    def test_it_updates_the_flags_and_the_url(
        self, api_client: APIClient, spring: Campaign
    ) -> None:
        created = v1_webhook(api_client, spring, new_referral=True)

        response = api_client.put(
            f"{hooks_path(spring)}/{created['uuid']}",
            {"url": "https://hooks.example.com/other", "reward_unlocked": True},
            format="json",
        )

        webhook = ok(response)["webhook"]
        assert webhook["url"] == "https://hooks.example.com/other"
        assert webhook["events"] == {"new_referral": True, "reward_unlocked": True}

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({}, "You have to update at least 1 field."),
            ({"reward_redeemed": True}, "You have to update at least 1 field."),
            ({"url": "http://hooks.example.com/x"}, "Url must start with https://"),
        ],
    )
    def test_it_refuses_bad_changes(
        self, api_client: APIClient, spring: Campaign, body: dict[str, Any], message: str
    ) -> None:
        created = v1_webhook(api_client, spring)

        response = api_client.put(f"{hooks_path(spring)}/{created['uuid']}", body, format="json")

        assert error(response, 400) == message
        assert WebhookEndpoint.objects.get(public_id=created["uuid"]).url == URL

    def test_it_deletes_one_and_returns_it(self, api_client: APIClient, spring: Campaign) -> None:
        created = v1_webhook(api_client, spring)

        response = api_client.delete(f"{hooks_path(spring)}/{created['uuid']}")

        assert ok(response)["webhook"]["uuid"] == created["uuid"]
        assert not WebhookEndpoint.objects.exists()

    def test_another_campaigns_webhook_is_neither_changed_nor_deleted(
        self, api_client: APIClient, spring: Campaign, default: Campaign
    ) -> None:
        theirs = v1_webhook(api_client, default)["uuid"]
        path = f"{hooks_path(spring)}/{theirs}"

        changed = api_client.put(path, {"url": "https://evil.example.com/"}, format="json")
        deleted = api_client.delete(path)

        assert error(changed, 404) == error(deleted, 404) == f"Webhook {theirs} not found!"
        assert WebhookEndpoint.objects.get(public_id=theirs).url == URL

    def test_another_teams_webhook_is_neither_changed_nor_deleted(
        self, api_client: APIClient, other_client: APIClient, other_campaign: Campaign
    ) -> None:
        theirs = v1_webhook(other_client, other_campaign)["uuid"]
        path = f"{hooks_path(other_campaign)}/{theirs}"

        assert api_client.put(path, {"new_referral": True}, format="json").status_code == 404
        assert api_client.delete(path).status_code == 404
        assert WebhookEndpoint.objects.get(public_id=theirs).events[NEW_REFERRAL] is None

    def test_deleting_a_campaign_deletes_its_webhooks_only(
        self, api_client: APIClient, spring: Campaign, default: Campaign
    ) -> None:
        v1_webhook(api_client, spring)
        kept = v1_webhook(api_client, default)["uuid"]
        team_wide = ok(api_client.post("/v2/webhooks", {"url": URL}, format="json"), 201)

        campaign_delete(campaign=spring)

        assert set(WebhookEndpoint.objects.values_list("public_id", flat=True)) == {
            kept,
            team_wide["webhook"]["uuid"],
        }


class TestDeliveries:
    @pytest.fixture
    def receiver(self, httpserver: HTTPServer, settings: SettingsWrapper) -> str:
        settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
        httpserver.expect_request("/v1").respond_with_data("")
        httpserver.expect_request("/v2").respond_with_data("")
        return f"http://127.0.0.1:{httpserver.port}"

    @staticmethod
    def deliver_all() -> None:
        expand_events()
        webhook_deliveries_send_task(list(WebhookDelivery.objects.values_list("pk", flat=True)))

    @staticmethod
    def received(httpserver: HTTPServer, path: str) -> list[dict[str, Any]]:
        return [json.loads(request.data) for request, _ in httpserver.log if request.path == path]

    def test_a_v1_webhook_gets_its_campaigns_events_with_v2s_payloads(
        self,
        api_client: APIClient,
        httpserver: HTTPServer,
        receiver: str,
        team: Team,
        spring: Campaign,
        bob: Subscriber,
    ) -> None:
        v1_webhook(api_client, spring, url=f"{receiver}/v1", new_referral=True)
        ok(
            api_client.post(
                "/v2/webhooks", {"url": f"{receiver}/v2", "new_referral": True}, format="json"
            ),
            201,
        )
        carl = subscriber_create(team=team, email="carl@example.com", referrer_code=bob.ref_code)
        subscriber_update(subscriber=carl, status=Subscriber.Status.CONFIRMED)

        self.deliver_all()

        by_v1 = self.received(httpserver, "/v1")
        by_v2 = {payload["id"]: payload for payload in self.received(httpserver, "/v2")}
        # The referral was verified in both of Bob's campaigns; v1's webhook hears of Spring's.
        assert [(p["type"], p["campaign_id"]) for p in by_v1] == [
            ("new_referral", spring.public_id)
        ]
        assert by_v1[0] == by_v2[by_v1[0]["id"]]  # the same event, byte for byte the same JSON
        assert by_v1[0]["referrer"]["email"] == "bob@example.com"
        assert by_v1[0]["referrer"]["tot_referrals"] == 1
        other_campaigns = {p["campaign_id"] for p in by_v2.values() if p["type"] == NEW_REFERRAL}
        assert other_campaigns == {
            spring.public_id,
            Campaign.objects.get(is_default=True).public_id,
        }

    def test_a_webhook_of_the_default_campaign_gets_its_sync_events_too(
        self,
        api_client: APIClient,
        httpserver: HTTPServer,
        receiver: str,
        team: Team,
        default: Campaign,
    ) -> None:
        v1_webhook(api_client, default, url=f"{receiver}/v1")

        subscriber_create(team=team, email="dan@example.com")
        self.deliver_all()

        [payload] = self.received(httpserver, "/v1")
        assert (payload["type"], payload["campaign_id"]) == ("sync_subscriber", default.public_id)
        assert payload["subscriber"]["email"] == "dan@example.com"
