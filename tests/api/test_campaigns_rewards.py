"""HTTP contract of our extensions: a member's rewards, redemption, the leaderboard."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from referrals.models import RewardGrant
from sparkloop.models import Team
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def post(client: APIClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, body, format="json")
    assert response.status_code == 201, response.content
    result: dict[str, Any] = response.json()
    return result


def campaign_with_member(client: APIClient, *rewards: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    campaign = post(client, "/v2/campaigns", {"name": "C", "rewards": list(rewards)})["campaign"]
    ref = post(client, "/v2/subscribers", {"email": "ref@example.com"})["subscriber"]
    post(
        client,
        f"/v2/campaigns/{campaign['uuid']}/campaign_memberships",
        {"subscriber_uuid": ref["uuid"]},
    )
    return campaign["uuid"], ref


def verified_referral(client: APIClient, ref: dict[str, Any], email: str) -> None:
    body = {"email": email, "referrer_code": ref["ref_code"], "status": "confirmed"}
    post(client, "/v2/subscribers", body)


class TestRewards:
    def test_it_lists_a_members_unlocked_rewards(self, api_client: APIClient) -> None:
        uuid, ref = campaign_with_member(
            api_client, {"name": "Mug", "referrals": 1, "coupon_codes": ["C1"]}
        )
        verified_referral(api_client, ref, "one@example.com")
        body = api_client.get(f"/v2/campaigns/{uuid}/subscribers/{ref['uuid']}/rewards").json()
        [grant] = body["rewards"]
        assert grant["uuid"].startswith("grant_")
        assert (grant["name"], grant["status"], grant["coupon_code"]) == ("Mug", "unlocked", "C1")
        assert grant["referrals"] == 1

    def test_it_redeems_an_unlocked_reward(self, api_client: APIClient, team: Team) -> None:
        uuid, ref = campaign_with_member(api_client, {"name": "Shirt", "referrals": 1})
        verified_referral(api_client, ref, "one@example.com")
        grant = RewardGrant.objects.get()
        path = f"/v2/campaigns/{uuid}/subscribers/{ref['uuid']}/rewards/{grant.public_id}/redeem"
        body = {
            "reward_variant_name": "T-Shirt XXL",
            "reward_variant_sku": "t_shirt_xxl",
            "shipping_details": {"name": "Ann", "address": "1 Main St"},
        }
        response = api_client.post(path, body, format="json")
        assert response.status_code == 200
        reward = response.json()["reward"]
        assert reward["status"] == "redeemed"
        assert reward["reward_variant_sku"] == "t_shirt_xxl"
        assert reward["shipping_details"] == {"name": "Ann", "address": "1 Main St"}
        assert Event.objects.get(team=team, type="reward_redeemed").payload[
            "reward_variant_name"
        ] == ("T-Shirt XXL")
        again = api_client.post(path, body, format="json")
        assert again.status_code == 400
        assert again.json() == {"error": f"Reward {grant.public_id} has already been redeemed"}

    def test_it_refuses_a_reward_waiting_for_approval(self, api_client: APIClient) -> None:
        uuid, ref = campaign_with_member(
            api_client, {"name": "Shirt", "referrals": 1, "requires_approval": True}
        )
        verified_referral(api_client, ref, "one@example.com")
        grant = RewardGrant.objects.get()
        path = f"/v2/campaigns/{uuid}/subscribers/{ref['uuid']}/rewards/{grant.public_id}/redeem"
        response = api_client.post(path, {}, format="json")
        assert response.status_code == 400
        assert response.json() == {"error": f"Reward {grant.public_id} has not been unlocked"}

    def test_it_refuses_shipping_details_that_are_not_an_object(
        self, api_client: APIClient
    ) -> None:
        uuid, ref = campaign_with_member(api_client, {"name": "Shirt", "referrals": 1})
        verified_referral(api_client, ref, "one@example.com")
        grant = RewardGrant.objects.get()
        path = f"/v2/campaigns/{uuid}/subscribers/{ref['uuid']}/rewards/{grant.public_id}/redeem"
        response = api_client.post(path, {"shipping_details": "street"}, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "Shipping details must be an object"

    def test_it_refuses_shipping_details_over_the_size_limit(self, api_client: APIClient) -> None:
        uuid, ref = campaign_with_member(api_client, {"name": "Shirt", "referrals": 1})
        verified_referral(api_client, ref, "one@example.com")
        grant = RewardGrant.objects.get()
        path = f"/v2/campaigns/{uuid}/subscribers/{ref['uuid']}/rewards/{grant.public_id}/redeem"
        details = {"lines": ["x" * 100] * 100}
        response = api_client.post(path, {"shipping_details": details}, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == (
            "Shipping details must be at most 10000 characters as JSON"
        )
        grant.refresh_from_db()
        assert grant.status == "unlocked"

    def test_it_answers_404_for_an_unknown_reward(self, api_client: APIClient) -> None:
        uuid, ref = campaign_with_member(api_client, {"name": "Shirt", "referrals": 1})
        path = f"/v2/campaigns/{uuid}/subscribers/{ref['uuid']}/rewards/grant_nope/redeem"
        response = api_client.post(path, {}, format="json")
        assert response.status_code == 404
        assert response.json() == {"error": "Reward grant_nope not found!"}

    def test_it_answers_404_for_another_teams_reward(
        self, api_client: APIClient, other_client: APIClient
    ) -> None:
        uuid, ref = campaign_with_member(other_client, {"name": "Shirt", "referrals": 1})
        verified_referral(other_client, ref, "one@example.com")
        grant = RewardGrant.objects.get()
        path = f"/v2/campaigns/{uuid}/subscribers/{ref['uuid']}/rewards/{grant.public_id}/redeem"
        response = api_client.post(path, {}, format="json")
        assert response.status_code == 404
        assert response.json() == {"error": f"Campaign {uuid} not found!"}
        grant.refresh_from_db()
        assert grant.status == "unlocked"


class TestLeaderboard:
    def test_it_ranks_by_verified_referrals_then_earliest(
        self, api_client: APIClient, team: Team
    ) -> None:
        uuid = api_client.get("/v2/campaigns").json()["campaigns"][0]["uuid"]
        refs = [
            post(api_client, "/v2/subscribers", {"email": f"ref{i}@example.com"})["subscriber"]
            for i in range(3)
        ]
        # ref0: 1 verified, then ref2: 2, then ref1: 1 (ties with ref0, but later).
        verified_referral(api_client, refs[0], "a@example.com")
        verified_referral(api_client, refs[2], "b@example.com")
        verified_referral(api_client, refs[2], "c@example.com")
        verified_referral(api_client, refs[1], "d@example.com")
        body = api_client.get(f"/v2/campaigns/{uuid}/leaderboard").json()
        board = [(row["rank"], row["email"], row["tot_referrals"]) for row in body["leaderboard"]]
        assert board == [
            (1, "ref2@example.com", 2),
            (2, "ref0@example.com", 1),
            (3, "ref1@example.com", 1),
        ]
        limited = api_client.get(f"/v2/campaigns/{uuid}/leaderboard?limit=1").json()
        assert len(limited["leaderboard"]) == 1
        for i, rank in ((0, 2), (1, 3), (2, 1)):
            member = api_client.get(f"/v2/campaigns/{uuid}/subscribers/{refs[i]['uuid']}").json()
            assert member["subscriber"]["rank"] == rank

    @pytest.mark.parametrize("limit", ["0", "101", "x"])
    def test_it_refuses_a_bad_limit(self, api_client: APIClient, limit: str) -> None:
        uuid = api_client.get("/v2/campaigns").json()["campaigns"][0]["uuid"]
        response = api_client.get(f"/v2/campaigns/{uuid}/leaderboard?limit={limit}")
        assert response.status_code == 400
        assert response.json()["error"] == "Limit must be an integer between 1 and 100"

    def test_it_answers_404_for_an_unknown_campaign(self, api_client: APIClient) -> None:
        response = api_client.get("/v2/campaigns/MF0000000000/leaderboard")
        assert response.status_code == 404
        assert response.json() == {"error": "Campaign MF0000000000 not found!"}
