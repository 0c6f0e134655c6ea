"""API v1: GET /v1/campaigns, GET|PUT /v1/campaigns/:uuid."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from referrals.models import Campaign
from tests.v1.conftest import error, ok

pytestmark = pytest.mark.django_db


class TestList:
    def test_it_lists_the_teams_campaigns_newest_first_without_meta(
        self, api_client: APIClient, default: Campaign, spring: Campaign
    ) -> None:
        body = ok(api_client.get("/v1/campaigns"))

        assert set(body) == {"campaigns"}
        assert [(c["uuid"], c["name"]) for c in body["campaigns"]] == [
            (spring.public_id, "Spring"),
            (default.public_id, "alice-news"),
        ]

    def test_a_campaign_is_v2s_campaign_object(
        self, api_client: APIClient, spring: Campaign
    ) -> None:
        v1 = ok(api_client.get("/v1/campaigns"))["campaigns"]
        v2 = ok(api_client.get("/v2/campaigns"))["campaigns"]

        assert v1 == v2
        assert {"uuid", "name"} <= set(v1[0])

    def test_it_never_lists_another_teams_campaigns(
        self, api_client: APIClient, other_campaign: Campaign
    ) -> None:
        uuids = [c["uuid"] for c in ok(api_client.get("/v1/campaigns"))["campaigns"]]

        assert other_campaign.public_id not in uuids
        assert len(uuids) == 1

    def test_it_needs_a_key(self, anon_client: APIClient) -> None:
        assert error(anon_client.get("/v1/campaigns"), 401) == "API key is missing!"

    def test_it_refuses_an_unknown_key(self, anon_client: APIClient) -> None:
        response = anon_client.get("/v1/campaigns", HTTP_X_API_KEY="12cf8cf8538c3685b0f36308")

        assert error(response, 401) == "User not found!"

    def test_it_accepts_the_key_header_in_any_case(self, api_client: APIClient) -> None:
        key = api_client.raw_key  # type: ignore[attr-defined]

        response = APIClient().get("/v1/campaigns/", headers={"X-API-KEY": key})

        assert response.status_code == 200

    def test_it_is_served_under_api_v1_too(self, api_client: APIClient, default: Campaign) -> None:
        body = ok(api_client.get("/api/v1/campaigns/"))

        assert [c["uuid"] for c in body["campaigns"]] == [default.public_id]


class TestRetrieve:
    def test_it_gets_a_campaign(self, api_client: APIClient, spring: Campaign) -> None:
        body = ok(api_client.get(f"/v1/campaigns/{spring.public_id}"))

        assert body["campaign"]["uuid"] == spring.public_id
        assert body["campaign"]["name"] == "Spring"

    def test_an_unknown_campaign_is_a_404_naming_it(self, api_client: APIClient) -> None:
        response = api_client.get("/v1/campaigns/MF9a78983d1c")

        assert error(response, 404) == "Campaign MF9a78983d1c not found!"

    def test_another_teams_campaign_is_the_same_404(
        self, api_client: APIClient, other_campaign: Campaign
    ) -> None:
        response = api_client.get(f"/v1/campaigns/{other_campaign.public_id}")

        assert error(response, 404) == f"Campaign {other_campaign.public_id} not found!"


class TestUpdate:
    def test_it_renames_a_campaign(self, api_client: APIClient, spring: Campaign) -> None:
        response = api_client.put(
            f"/v1/campaigns/{spring.public_id}",
            {"name": "Even better campaign name!"},
            format="json",
        )

        assert ok(response)["campaign"]["name"] == "Even better campaign name!"
        spring.refresh_from_db()
        assert spring.name == "Even better campaign name!"

    def test_it_changes_nothing_but_the_name(self, api_client: APIClient, spring: Campaign) -> None:
        response = api_client.put(
            f"/v1/campaigns/{spring.public_id}",
            {"name": "Summer", "landing_url": "https://elsewhere.example.com/", "holding_days": 1},
            format="json",
        )

        assert response.status_code == 200
        spring.refresh_from_db()
        assert (spring.name, spring.landing_url, spring.holding_days) == (
            "Summer",
            "https://news.example.com/",
            7,
        )

    def test_it_needs_a_name(self, api_client: APIClient, spring: Campaign) -> None:
        response = api_client.put(
            f"/v1/campaigns/{spring.public_id}", {"landing_url": "x"}, format="json"
        )

        assert error(response, 400) == "You have to update at least 1 field."

    def test_a_blank_name_is_refused(self, api_client: APIClient, spring: Campaign) -> None:
        response = api_client.put(f"/v1/campaigns/{spring.public_id}", {"name": ""}, format="json")

        assert error(response, 400) == "You have to provide a name"
        spring.refresh_from_db()
        assert spring.name == "Spring"

    def test_another_teams_campaign_is_a_404_and_stays_as_it_was(
        self, api_client: APIClient, other_campaign: Campaign
    ) -> None:
        response = api_client.put(
            f"/v1/campaigns/{other_campaign.public_id}", {"name": "Mine now"}, format="json"
        )

        assert error(response, 404) == f"Campaign {other_campaign.public_id} not found!"
        other_campaign.refresh_from_db()
        assert other_campaign.name == "charlie-news"

    def test_patch_and_delete_are_not_v1_methods(
        self, api_client: APIClient, spring: Campaign
    ) -> None:
        path = f"/v1/campaigns/{spring.public_id}"

        assert api_client.patch(path, {"name": "x"}, format="json").status_code == 405
        assert api_client.delete(path).status_code == 405
        assert Campaign.objects.filter(pk=spring.pk, name="Spring").exists()
