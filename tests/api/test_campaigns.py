"""HTTP contract of the referral campaign endpoints (spec: Referral campaigns)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rest_framework.test import APIClient

from referrals.models import Campaign, CampaignMembership
from sparkloop.models import Team

pytestmark = pytest.mark.django_db

CAMPAIGN_ID = re.compile(r"^MF[0-9a-f]{10}$")


def create_subscriber(client: APIClient, **body: object) -> dict[str, Any]:
    response = client.post("/v2/subscribers", body, format="json")
    assert response.status_code == 201, response.content
    result: dict[str, Any] = response.json()["subscriber"]
    return result


def create_campaign(client: APIClient, **body: object) -> dict[str, Any]:
    response = client.post("/v2/campaigns", body, format="json")
    assert response.status_code == 201, response.content
    result: dict[str, Any] = response.json()["campaign"]
    return result


def default_campaign(team: Team) -> Campaign:
    return Campaign.objects.get(team=team, is_default=True)


class TestList:
    def test_it_lists_the_default_campaign_without_meta(
        self, api_client: APIClient, team: Team
    ) -> None:
        body = api_client.get("/v2/campaigns").json()
        assert set(body) == {"campaigns"}
        [campaign] = body["campaigns"]
        assert CAMPAIGN_ID.match(campaign["uuid"])
        assert campaign["uuid"] == default_campaign(team).public_id
        assert campaign["default"] is True
        assert campaign["rewards"] == []

    def test_it_lists_newest_first(self, api_client: APIClient) -> None:
        create_campaign(api_client, name="Second")
        names = [c["name"] for c in api_client.get("/v2/campaigns/").json()["campaigns"]]
        assert names == ["Second", "alice-news"]

    def test_it_never_lists_another_teams_campaigns(
        self, api_client: APIClient, other_client: APIClient
    ) -> None:
        create_campaign(other_client, name="Secret")
        names = [c["name"] for c in api_client.get("/v2/campaigns").json()["campaigns"]]
        assert names == ["alice-news"]

    def test_it_needs_a_key(self, anon_client: APIClient) -> None:
        response = anon_client.get("/v2/campaigns")
        assert response.status_code == 401
        assert response.json() == {"error": "API key is missing!"}

    def test_it_is_served_under_api_v2_too(self, api_client: APIClient) -> None:
        assert api_client.get("/api/v2/campaigns").status_code == 200


class TestCreate:
    def test_it_creates_a_campaign_with_rewards(self, api_client: APIClient) -> None:
        response = api_client.post(
            "/v2/campaigns",
            {
                "name": "Spring",
                "landing_url": "https://news.example.com/join",
                "rewards": [
                    {"name": "Sticker", "referrals": 1},
                    {
                        "name": "Mug",
                        "referrals": 5,
                        "recurring": True,
                        "coupon_codes": ["A1", "A2"],
                        "requires_approval": True,
                    },
                ],
                "unknown": "ignored",
            },
            format="json",
        )
        assert response.status_code == 201
        campaign = response.json()["campaign"]
        assert CAMPAIGN_ID.match(campaign["uuid"])
        assert campaign["default"] is False
        assert campaign["landing_url"] == "https://news.example.com/join"
        assert campaign["verification"] == "on_confirmation"
        assert [(r["name"], r["referrals"], r["recurring"]) for r in campaign["rewards"]] == [
            ("Sticker", 1, False),
            ("Mug", 5, True),
        ]
        assert campaign["rewards"][1]["requires_approval"] is True
        assert campaign["rewards"][0]["uuid"].startswith("reward_")

    @pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": None}])
    def test_it_requires_a_name(self, api_client: APIClient, body: dict[str, Any]) -> None:
        response = api_client.post("/v2/campaigns", body, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "You have to provide a name"

    @pytest.mark.parametrize(
        ("reward", "error"),
        [
            ({"referrals": 3}, "Each of the rewards needs a name"),
            ({"name": "X"}, "Each of the rewards needs referrals, a positive integer"),
            (
                {"name": "X", "referrals": 0},
                "Each of the rewards needs referrals, a positive integer",
            ),
            (
                {"name": "X", "referrals": "many"},
                "Each of the rewards needs referrals, a positive integer",
            ),
        ],
    )
    def test_it_validates_rewards(
        self, api_client: APIClient, reward: dict[str, Any], error: str
    ) -> None:
        response = api_client.post(
            "/v2/campaigns", {"name": "C", "rewards": [reward]}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["error"] == error

    def test_it_refuses_rewards_that_are_not_a_list(self, api_client: APIClient) -> None:
        response = api_client.post("/v2/campaigns", {"name": "C", "rewards": "x"}, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "Rewards must be a list of objects"

    def test_it_refuses_a_bad_landing_url(self, api_client: APIClient) -> None:
        response = api_client.post(
            "/v2/campaigns", {"name": "C", "landing_url": "nope"}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["error"] == "Landing url must be a valid http(s) URL"

    def test_it_refuses_an_unknown_verification(self, api_client: APIClient) -> None:
        response = api_client.post(
            "/v2/campaigns", {"name": "C", "verification": "never"}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["error"] == (
            "Verification must be one of on_confirmation, holding_period, staff"
        )


class TestRetrieveAndUpdate:
    def test_it_gets_a_campaign(self, api_client: APIClient, team: Team) -> None:
        uuid = default_campaign(team).public_id
        body = api_client.get(f"/v2/campaigns/{uuid}").json()
        assert body["campaign"]["uuid"] == uuid
        assert body["campaign"]["name"] == "alice-news"

    def test_it_answers_404_for_an_unknown_campaign(self, api_client: APIClient) -> None:
        response = api_client.get("/v2/campaigns/MF9a78983d1c")
        assert response.status_code == 404
        assert response.json() == {"error": "Campaign MF9a78983d1c not found!"}

    def test_it_answers_404_for_another_teams_campaign(
        self, api_client: APIClient, other_team: Team
    ) -> None:
        uuid = default_campaign(other_team).public_id
        for response in (
            api_client.get(f"/v2/campaigns/{uuid}"),
            api_client.put(f"/v2/campaigns/{uuid}", {"name": "Mine"}, format="json"),
            api_client.get(f"/v2/campaigns/{uuid}/subscribers"),
            api_client.get(f"/v2/campaigns/{uuid}/leaderboard"),
            api_client.post(
                f"/v2/campaigns/{uuid}/campaign_memberships",
                {"subscriber_uuid": "a@example.com"},
                format="json",
            ),
        ):
            assert response.status_code == 404
            assert response.json() == {"error": f"Campaign {uuid} not found!"}
        assert default_campaign(other_team).name == "charlie-news"

    def test_it_renames_a_campaign(self, api_client: APIClient, team: Team) -> None:
        uuid = default_campaign(team).public_id
        response = api_client.put(f"/v2/campaigns/{uuid}", {"name": "Renamed"}, format="json")
        assert response.status_code == 200
        assert response.json()["campaign"]["name"] == "Renamed"
        assert default_campaign(team).name == "Renamed"

    def test_an_update_needs_a_field(self, api_client: APIClient, team: Team) -> None:
        uuid = default_campaign(team).public_id
        response = api_client.put(f"/v2/campaigns/{uuid}", {}, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "You have to update at least 1 field."

    def test_an_update_refuses_a_blank_name(self, api_client: APIClient, team: Team) -> None:
        uuid = default_campaign(team).public_id
        response = api_client.put(f"/v2/campaigns/{uuid}", {"name": ""}, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "You have to provide a name"


class TestMemberships:
    def test_it_adds_a_subscriber_by_uuid(self, api_client: APIClient) -> None:
        campaign = create_campaign(api_client, name="Other")
        sub = create_subscriber(api_client, email="a@example.com")
        response = api_client.post(
            f"/v2/campaigns/{campaign['uuid']}/campaign_memberships",
            {"subscriber_uuid": sub["uuid"]},
            format="json",
        )
        assert response.status_code == 201
        membership = response.json()["campaign_membership"]
        assert set(membership) == {"uuid", "campaign_uuid", "subscriber_uuid", "created_at"}
        assert re.match(r"^membership_[0-9a-f]{12}$", membership["uuid"])
        assert membership["campaign_uuid"] == campaign["uuid"]
        assert membership["subscriber_uuid"] == sub["uuid"]

    def test_it_adds_a_subscriber_by_email(self, api_client: APIClient) -> None:
        campaign = create_campaign(api_client, name="Other")
        create_subscriber(api_client, email="a@example.com")
        response = api_client.post(
            f"/v2/campaigns/{campaign['uuid']}/campaign_memberships",
            {"subscriber_uuid": "A@example.com"},
            format="json",
        )
        assert response.status_code == 201

    def test_it_refuses_a_member_twice(self, api_client: APIClient, team: Team) -> None:
        create_subscriber(api_client, email="manuel@sparkloop.app")
        uuid = default_campaign(team).public_id
        response = api_client.post(
            f"/v2/campaigns/{uuid}/campaign_memberships",
            {"subscriber_uuid": "manuel@sparkloop.app"},
            format="json",
        )
        assert response.status_code == 400
        assert response.json() == {
            "error": "manuel@sparkloop.app has already been added to this campaign"
        }

    def test_an_unknown_subscriber_is_a_400(self, api_client: APIClient, team: Team) -> None:
        uuid = default_campaign(team).public_id
        response = api_client.post(
            f"/v2/campaigns/{uuid}/campaign_memberships",
            {"subscriber_uuid": "manuel@sparkloop"},
            format="json",
        )
        assert response.status_code == 400
        assert response.json() == {"error": "manuel@sparkloop not found!"}

    def test_another_teams_subscriber_is_unknown(
        self, api_client: APIClient, other_client: APIClient, team: Team
    ) -> None:
        foreign = create_subscriber(other_client, email="x@example.com")
        uuid = default_campaign(team).public_id
        response = api_client.post(
            f"/v2/campaigns/{uuid}/campaign_memberships",
            {"subscriber_uuid": foreign["uuid"]},
            format="json",
        )
        assert response.status_code == 400
        assert response.json() == {"error": f"{foreign['uuid']} not found!"}

    def test_it_requires_a_subscriber(self, api_client: APIClient, team: Team) -> None:
        uuid = default_campaign(team).public_id
        response = api_client.post(f"/v2/campaigns/{uuid}/campaign_memberships", {}, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "Subscriber uuid or email blank!"

    def test_it_deletes_a_membership(self, api_client: APIClient, team: Team) -> None:
        sub = create_subscriber(api_client, email="a@example.com")
        campaign = default_campaign(team)
        membership = CampaignMembership.objects.get(campaign=campaign)
        url = f"/v2/campaigns/{campaign.public_id}/campaign_memberships/{membership.public_id}"
        response = api_client.delete(url)
        assert response.status_code == 200
        assert response.json()["campaign_membership"]["subscriber_uuid"] == sub["uuid"]
        assert not CampaignMembership.objects.filter(pk=membership.pk).exists()
        members = api_client.get(f"/v2/campaigns/{campaign.public_id}/subscribers").json()
        assert members["meta"]["total_subscribers"] == 0
        assert api_client.delete(url).json() == {
            "error": f"Campaign membership {membership.public_id} not found!"
        }

    def test_it_answers_404_for_another_teams_membership(
        self, api_client: APIClient, other_client: APIClient, team: Team, other_team: Team
    ) -> None:
        create_subscriber(other_client, email="a@example.com")
        membership = CampaignMembership.objects.get(team=other_team)
        mine = default_campaign(team).public_id
        response = api_client.delete(
            f"/v2/campaigns/{mine}/campaign_memberships/{membership.public_id}"
        )
        assert response.status_code == 404
        assert CampaignMembership.objects.filter(pk=membership.pk).exists()


class TestCampaignSubscribers:
    def test_it_lists_members_with_their_standing(self, api_client: APIClient, team: Team) -> None:
        campaign = default_campaign(team)
        Campaign.objects.filter(pk=campaign.pk).update(landing_url="https://n.example.com/")
        referrer = create_subscriber(api_client, email="ref@example.com")
        create_subscriber(
            api_client,
            email="new@example.com",
            referrer_code=referrer["ref_code"],
            status="confirmed",
        )
        body = api_client.get(f"/v2/campaigns/{campaign.public_id}/subscribers").json()
        assert body["meta"] == {"per_page": 50, "page": 1, "total_pages": 1, "total_subscribers": 2}
        first, second = body["subscribers"]
        assert (first["email"], second["email"]) == ("new@example.com", "ref@example.com")
        assert second["tot_referrals"] == 1
        assert second["referral_link"] == f"https://n.example.com/?rh_ref={referrer['ref_code']}"
        assert second["next_reward"] is None
        assert first["tot_referrals"] == 0

    def test_it_filters_by_type(self, api_client: APIClient, team: Team) -> None:
        uuid = default_campaign(team).public_id
        referrer = create_subscriber(api_client, email="ref@example.com")
        create_subscriber(api_client, email="new@example.com", referrer_code=referrer["ref_code"])
        create_subscriber(api_client, email="alone@example.com")
        referrals = api_client.get(f"/v2/campaigns/{uuid}/subscribers?type=referrals").json()
        advocates = api_client.get(f"/v2/campaigns/{uuid}/subscribers?type=advocates").json()
        assert [s["email"] for s in referrals["subscribers"]] == ["new@example.com"]
        assert referrals["meta"]["total_subscribers"] == 1
        assert [s["email"] for s in advocates["subscribers"]] == ["ref@example.com"]
        assert advocates["meta"]["total_subscribers"] == 1
        response = api_client.get(f"/v2/campaigns/{uuid}/subscribers?type=vip")
        assert response.status_code == 400
        assert response.json()["error"] == "Type must be one of all, referrals, advocates"

    def test_it_paginates(self, api_client: APIClient, team: Team) -> None:
        uuid = default_campaign(team).public_id
        for i in range(3):
            create_subscriber(api_client, email=f"r{i}@example.com")
        body = api_client.get(f"/v2/campaigns/{uuid}/subscribers?page=2&per_page=2").json()
        assert [s["email"] for s in body["subscribers"]] == ["r0@example.com"]
        assert body["meta"] == {"per_page": 2, "page": 2, "total_pages": 2, "total_subscribers": 3}
        response = api_client.get(f"/v2/campaigns/{uuid}/subscribers?page=0")
        assert response.status_code == 400

    def test_another_campaign_holds_only_its_members(self, api_client: APIClient) -> None:
        campaign = create_campaign(api_client, name="Other")
        create_subscriber(api_client, email="a@example.com")
        body = api_client.get(f"/v2/campaigns/{campaign['uuid']}/subscribers").json()
        assert body["subscribers"] == []
        assert body["meta"]["total_subscribers"] == 0

    def test_it_gets_a_member_by_uuid_or_email(self, api_client: APIClient, team: Team) -> None:
        uuid = default_campaign(team).public_id
        sub = create_subscriber(api_client, email="a@example.com")
        for identifier in (sub["uuid"], "a%40example.com"):
            body = api_client.get(f"/v2/campaigns/{uuid}/subscribers/{identifier}").json()
            assert body["subscriber"]["uuid"] == sub["uuid"]
            assert body["subscriber"]["tot_referrals"] == 0
            assert body["subscriber"]["rank"] is None

    def test_it_answers_404_for_a_non_member(self, api_client: APIClient) -> None:
        campaign = create_campaign(api_client, name="Other")
        create_subscriber(api_client, email="a@example.com")
        response = api_client.get(f"/v2/campaigns/{campaign['uuid']}/subscribers/a@example.com")
        assert response.status_code == 404
        assert response.json() == {"error": "Subscriber a@example.com not found!"}

    def test_it_answers_404_for_another_teams_subscriber(
        self, api_client: APIClient, other_client: APIClient, team: Team
    ) -> None:
        foreign = create_subscriber(other_client, email="a@example.com")
        uuid = default_campaign(team).public_id
        for path in ("", "/referrals", "/rewards"):
            response = api_client.get(f"/v2/campaigns/{uuid}/subscribers/{foreign['uuid']}{path}")
            assert response.status_code == 404
            assert response.json() == {"error": f"Subscriber {foreign['uuid']} not found!"}

    def test_it_lists_a_members_referrals(self, api_client: APIClient, team: Team) -> None:
        uuid = default_campaign(team).public_id
        referrer = create_subscriber(api_client, email="ref@example.com")
        for i in range(3):
            create_subscriber(
                api_client, email=f"friend{i}@example.com", referrer_code=referrer["ref_code"]
            )
        api_client.put("/v2/subscribers/friend1@example.com/reject")
        body = api_client.get(
            f"/v2/campaigns/{uuid}/subscribers/{referrer['uuid']}/referrals?per_page=2"
        ).json()
        assert "subscribers" not in body  # the list key agrees with its meta
        assert [s["email"] for s in body["referrals"]] == [
            "friend2@example.com",
            "friend1@example.com",
        ]
        assert body["referrals"][1]["referral_status"] == "rejected"
        assert body["meta"] == {"per_page": 2, "page": 1, "total_pages": 2, "total_referrals": 3}

    def test_expand_campaigns_adds_referral_programs(
        self, api_client: APIClient, team: Team
    ) -> None:
        campaign = default_campaign(team)
        sub = create_subscriber(api_client, email="a@example.com")
        body = api_client.get(
            f"/v2/campaigns/{campaign.public_id}/subscribers/{sub['uuid']}?expand=campaigns"
        ).json()
        [program] = body["subscriber"]["referral_programs"]
        assert program["uuid"] == campaign.public_id
        assert program["tot_referrals"] == 0


class TestExpandCampaignsOnSubscribers:
    def test_it_returns_each_subscribers_programs(
        self, api_client: APIClient, team: Team, django_assert_max_num_queries
    ) -> None:
        default = default_campaign(team)
        Campaign.objects.filter(pk=default.pk).update(landing_url="https://n.example.com")
        other = create_campaign(api_client, name="Other", rewards=[{"name": "Mug", "referrals": 6}])
        ref = create_subscriber(api_client, email="ref@example.com")
        api_client.post(
            f"/v2/campaigns/{other['uuid']}/campaign_memberships",
            {"subscriber_uuid": ref["uuid"]},
            format="json",
        )
        for i in range(5):
            create_subscriber(
                api_client,
                email=f"f{i}@example.com",
                referrer_code=ref["ref_code"],
                status="confirmed",
            )
        with django_assert_max_num_queries(12):
            body = api_client.get("/v2/subscribers?expand=campaigns").json()
        by_email = {s["email"]: s["referral_programs"] for s in body["subscribers"]}
        programs = {p["name"]: p for p in by_email["ref@example.com"]}
        assert programs["alice-news"]["tot_referrals"] == 5
        assert programs["alice-news"]["referral_link"] == (
            f"https://n.example.com?rh_ref={ref['ref_code']}"
        )
        assert programs["Other"]["tot_referrals"] == 5
        assert programs["Other"]["next_reward"] == 1
        assert [p["name"] for p in by_email["f0@example.com"]] == ["alice-news", "Other"]

    def test_a_single_subscriber_has_its_programs(self, api_client: APIClient) -> None:
        sub = create_subscriber(api_client, email="a@example.com")
        body = api_client.get(f"/v2/subscribers/{sub['uuid']}?expand=campaigns").json()
        assert [p["name"] for p in body["subscriber"]["referral_programs"]] == ["alice-news"]


def test_a_nul_byte_in_an_identifier_is_a_404_not_a_500(api_client: APIClient, team: Team) -> None:
    uuid = default_campaign(team).public_id
    for path in (
        "/v2/campaigns/%00",
        f"/v2/campaigns/{uuid}/subscribers/%00",
        f"/v2/campaigns/{uuid}/subscribers/%00/referrals",
    ):
        assert api_client.get(path).status_code == 404
    assert api_client.delete(f"/v2/campaigns/{uuid}/campaign_memberships/%00").status_code == 404
