"""Bounded list inputs of the campaign endpoints: a huge list is a clear 400, cheaply."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from referrals.models import Campaign, RewardCoupon
from referrals.serializers import MAX_COUPON_CODES, MAX_REWARDS

pytestmark = pytest.mark.django_db


def reward(i: int = 0, codes: int = 0) -> dict[str, object]:
    pool = [f"C{i}-{n}" for n in range(codes)]
    return {"name": f"R{i}", "referrals": i + 1, "coupon_codes": pool}


def post(client: APIClient, rewards: object) -> tuple[int, dict[str, object]]:
    response = client.post("/v2/campaigns", {"name": "Big", "rewards": rewards}, format="json")
    return response.status_code, response.json()


def test_it_creates_a_campaign_with_as_many_rewards_and_codes_as_allowed(
    api_client: APIClient,
) -> None:
    per_reward = MAX_COUPON_CODES // MAX_REWARDS
    status, body = post(api_client, [reward(i, per_reward) for i in range(MAX_REWARDS)])
    assert status == 201, body
    assert len(body["campaign"]["rewards"]) == MAX_REWARDS  # type: ignore[index]
    assert RewardCoupon.objects.count() == MAX_COUPON_CODES


def test_it_refuses_more_rewards_than_allowed_without_validating_them(
    api_client: APIClient,
) -> None:
    # Every item is invalid, yet the answer is about the length: no item was looked at.
    status, body = post(api_client, [{"name": ""}] * 10_000)
    assert (status, body["error"]) == (400, "A campaign can have at most 100 rewards")
    assert not Campaign.objects.filter(name="Big").exists()


def test_it_refuses_more_coupon_codes_in_one_reward_than_allowed(api_client: APIClient) -> None:
    status, body = post(api_client, [reward(0, MAX_COUPON_CODES + 1)])
    assert (status, body["error"]) == (
        400,
        "A campaign is created with at most 10000 coupon codes in all its rewards",
    )
    assert not Campaign.objects.filter(name="Big").exists()


def test_it_refuses_more_coupon_codes_across_rewards_than_allowed(api_client: APIClient) -> None:
    status, body = post(api_client, [reward(0, MAX_COUPON_CODES), reward(1, 1)])
    assert (status, body["error"]) == (
        400,
        "A campaign is created with at most 10000 coupon codes in all its rewards",
    )
    assert not RewardCoupon.objects.exists()


@pytest.mark.parametrize(
    ("codes", "error"),
    [
        ("A1", "The coupon codes of each of the rewards must be a list of strings"),
        (["A1", 5], "The coupon codes of each of the rewards must be a list of strings"),
        (["x" * 256], "The coupon codes of each of the rewards have at most 255 characters"),
    ],
)
def test_it_explains_invalid_coupon_codes(api_client: APIClient, codes: object, error: str) -> None:
    status, body = post(api_client, [{"name": "R", "referrals": 1, "coupon_codes": codes}])
    assert (status, body["error"]) == (400, error)
