"""Rewards: unlocked in the verifying transaction, once; recurring, coupons, approval."""

from __future__ import annotations

import pytest

from referrals.models import Campaign, CampaignMembership, RewardGrant
from referrals.services import (
    grant_approve,
    grant_redeem,
    grant_reject,
    membership_create,
)
from referrals.services.rewards import (
    GRANT_ALREADY_REDEEMED,
    GRANT_NOT_PENDING_APPROVAL,
    GRANT_NOT_UNLOCKED,
)
from sparkloop.exceptions import InvalidState, NotFound
from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.services import subscriber_create, subscriber_delete
from tests.referrals.helpers import campaign_with_rewards, configure, confirm, refer
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def member_of(campaign: Campaign, team: Team, email: str = "ref@example.com") -> Subscriber:
    referrer = subscriber_create(team=team, email=email)
    membership_create(campaign=campaign, subscriber=referrer, identifier=email)
    return referrer


def test_a_reward_unlocks_when_a_verification_crosses_its_threshold(team: Team) -> None:
    campaign = campaign_with_rewards(
        team, {"name": "Report", "referrals": 2}, landing_url="https://mysite.example.com"
    )
    referrer = member_of(campaign, team)
    confirm(refer(team, referrer, "one@example.com"))
    assert not RewardGrant.objects.exists()
    confirm(refer(team, referrer, "two@example.com"))

    grant = RewardGrant.objects.get()
    assert (grant.status, grant.referrals, grant.occurrence) == ("unlocked", 2, 1)
    event = Event.objects.get(type="reward_unlocked")
    assert event.payload["type"] == "reward_unlocked"
    assert event.payload["campaign_id"] == campaign.public_id
    assert event.payload["referrals"] == 2
    assert event.payload["coupon_code"] is None
    assert event.payload["reward"] == {
        "id": grant.reward.public_id,
        "name": "Report",
        "referrals": 2,
        "recurring": False,
    }
    subscriber = event.payload["subscriber"]
    assert subscriber["id"] == referrer.public_id
    assert subscriber["tot_referrals"] == 2
    assert subscriber["next_reward"] is None
    assert subscriber["referral_link"] == f"https://mysite.example.com?rh_ref={referrer.ref_code}"


def test_new_referral_carries_the_campaign_and_the_counted_referrer(team: Team) -> None:
    campaign = campaign_with_rewards(team, {"name": "Report", "referrals": 3})
    referrer = member_of(campaign, team)
    referred = confirm(refer(team, referrer, "one@example.com"))
    events = {
        e.payload["campaign_id"]: e.payload for e in Event.objects.filter(type="new_referral")
    }
    payload = events[campaign.public_id]
    assert payload["referrer"]["tot_referrals"] == 1
    assert payload["referrer"]["next_reward"] == 2
    assert payload["subscriber"]["id"] == referred.public_id
    assert payload["subscriber"]["referred"] is True
    assert "event" not in payload


def test_a_reward_unlocks_once_even_if_the_count_drops_and_rises_again(team: Team) -> None:
    campaign = campaign_with_rewards(team, {"name": "Report", "referrals": 1})
    referrer = member_of(campaign, team)
    first = confirm(refer(team, referrer, "one@example.com"))
    subscriber_delete(subscriber=first)
    membership = CampaignMembership.objects.get(campaign=campaign, subscriber=referrer)
    assert membership.verified_referrals_count == 0
    confirm(refer(team, referrer, "two@example.com"))
    assert RewardGrant.objects.count() == 1
    assert Event.objects.filter(type="reward_unlocked").count() == 1


def test_a_recurring_reward_unlocks_every_n_referrals(team: Team) -> None:
    campaign = campaign_with_rewards(team, {"name": "Coffee", "referrals": 2, "recurring": True})
    referrer = member_of(campaign, team)
    for i in range(5):
        confirm(refer(team, referrer, f"friend{i}@example.com"))
    grants = RewardGrant.objects.order_by("occurrence")
    assert [(g.occurrence, g.referrals) for g in grants] == [(1, 2), (2, 4)]
    events = Event.objects.filter(
        type=Event.Type.NEW_REFERRAL, payload__campaign_id=campaign.public_id
    )
    last = events.order_by("-id").first()
    assert last is not None
    assert last.payload["referrer"]["next_reward"] == 1


def test_coupon_codes_are_handed_out_once_each_until_the_pool_is_empty(team: Team) -> None:
    campaign = campaign_with_rewards(
        team, {"name": "Discount", "referrals": 1, "coupon_codes": ["AAA", "BBB", "AAA"]}
    )
    codes = []
    for i in range(3):
        referrer = member_of(campaign, team, email=f"ref{i}@example.com")
        confirm(refer(team, referrer, f"friend{i}@example.com"))
        codes.append(RewardGrant.objects.get(subscriber=referrer).coupon_code)
    assert codes == ["AAA", "BBB", None]
    payloads = Event.objects.filter(type="reward_unlocked").order_by("id")
    assert [e.payload["coupon_code"] for e in payloads] == ["AAA", "BBB", None]


def test_a_reward_that_requires_approval_waits_for_staff(team: Team) -> None:
    campaign = campaign_with_rewards(
        team,
        {"name": "T-Shirt", "referrals": 1, "requires_approval": True, "coupon_codes": ["X1"]},
    )
    referrer = member_of(campaign, team)
    confirm(refer(team, referrer, "one@example.com"))
    grant = RewardGrant.objects.get()
    assert grant.status == "pending_approval"
    assert not Event.objects.filter(type="reward_unlocked").exists()

    grant = grant_approve(grant=grant, decided_by="staff@example.com")
    assert (grant.status, grant.coupon_code) == ("unlocked", "X1")
    assert Event.objects.get(type="reward_unlocked").payload["coupon_code"] == "X1"
    with pytest.raises(InvalidState, match="is not waiting for approval"):
        grant_approve(grant=grant)
    assert GRANT_NOT_PENDING_APPROVAL.startswith("Reward")


def test_staff_can_refuse_a_reward_waiting_for_approval(team: Team) -> None:
    campaign = campaign_with_rewards(
        team, {"name": "T-Shirt", "referrals": 1, "requires_approval": True}
    )
    referrer = member_of(campaign, team)
    confirm(refer(team, referrer, "one@example.com"))
    grant = grant_reject(grant=RewardGrant.objects.get())
    assert grant.status == "rejected"
    with pytest.raises(InvalidState, match=GRANT_NOT_UNLOCKED.format(grant_id=grant.public_id)):
        grant_redeem(grant=grant)
    with pytest.raises(InvalidState):
        grant_reject(grant=grant)


def test_redeeming_records_the_details_and_emits_reward_redeemed(team: Team) -> None:
    campaign = campaign_with_rewards(team, {"name": "T-Shirt", "referrals": 1})
    referrer = member_of(campaign, team)
    confirm(refer(team, referrer, "one@example.com"))
    grant = grant_redeem(
        grant=RewardGrant.objects.get(),
        reward_variant_name="T-Shirt XXL",
        reward_variant_sku="t_shirt_xxl",
        shipping_details={"address": "1 Main St", "country": "US"},
    )
    assert grant.status == "redeemed"
    assert grant.redeemed_at is not None
    payload = Event.objects.get(type="reward_redeemed").payload
    assert payload["reward_variant_name"] == "T-Shirt XXL"
    assert payload["reward_variant_sku"] == "t_shirt_xxl"
    assert payload["shipping_details"] == {"address": "1 Main St", "country": "US"}
    assert payload["reward"]["name"] == "T-Shirt"
    assert payload["campaign_id"] == campaign.public_id
    with pytest.raises(InvalidState, match=GRANT_ALREADY_REDEEMED.format(grant_id=grant.public_id)):
        grant_redeem(grant=grant)


def test_flagged_referrals_do_not_count_toward_rewards(team: Team) -> None:
    campaign = campaign_with_rewards(team, {"name": "Report", "referrals": 1})
    referrer = member_of(campaign, team, email="john@example.com")
    confirm(refer(team, referrer, "john+2@example.com"))
    assert not RewardGrant.objects.exists()


def test_a_campaign_without_screening_counts_everything(team: Team) -> None:
    campaign = campaign_with_rewards(team, {"name": "Report", "referrals": 1})
    configure(campaign, screening_enabled=False)
    referrer = member_of(campaign, team, email="john@example.com")
    confirm(refer(team, referrer, "john+2@example.com"))
    assert RewardGrant.objects.filter(campaign=campaign).count() == 1


def test_a_coupon_is_never_handed_out_again_after_its_holder_is_erased(team: Team) -> None:
    campaign = campaign_with_rewards(
        team, {"name": "Discount", "referrals": 1, "coupon_codes": ["AAA", "BBB"]}
    )
    first = member_of(campaign, team, email="ref0@example.com")
    confirm(refer(team, first, "friend0@example.com"))
    subscriber_delete(subscriber=first)
    second = member_of(campaign, team, email="ref1@example.com")
    confirm(refer(team, second, "friend1@example.com"))
    assert RewardGrant.objects.get(subscriber=second).coupon_code == "BBB"


def test_a_reward_erased_with_its_subscriber_since_it_was_read_is_not_found(team: Team) -> None:
    campaign = campaign_with_rewards(team, {"name": "Shirt", "referrals": 1})
    referrer = member_of(campaign, team)
    confirm(refer(team, referrer, "mary@example.com"))
    stale = RewardGrant.objects.get()
    subscriber_delete(subscriber=referrer)

    with pytest.raises(NotFound) as raised:
        grant_redeem(grant=stale)
    assert raised.value.message == f"Reward {stale.public_id} not found!"
