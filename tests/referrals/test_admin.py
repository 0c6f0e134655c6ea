"""Admin of referral campaigns: pages load, bulk review and grant actions go through services."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from referrals.models import Campaign, Referral, Reward, RewardGrant
from referrals.services import membership_create
from sparkloop.models import Team
from subscribers.services import subscriber_create
from tests.referrals.helpers import campaign_with_rewards, confirm, refer
from webhooks.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db: None, django_user_model: Any) -> Any:
    return django_user_model.objects.create_superuser(
        username="staff", email="staff@example.com", password=None
    )


@pytest.mark.parametrize(
    "page", ["campaign", "reward", "referral", "rewardgrant", "blocklistentry"]
)
def test_every_changelist_loads(admin_client: Client, team: Team, page: str) -> None:
    referrer = subscriber_create(team=team, email="ref@example.com")
    refer(team, referrer, "ref+1@example.com")
    response = admin_client.get(f"/admin/referrals/{page}/")
    assert response.status_code == 200


def test_staff_add_a_campaign_with_rewards_inline(admin_client: Client, team: Team) -> None:
    response = admin_client.post(
        "/admin/referrals/campaign/add/",
        {
            "team": team.pk,
            "name": "Summer",
            "landing_url": "https://n.example.com",
            "verification": "staff",
            "holding_days": 7,
            "screening_enabled": "on",
            "referrer_velocity_limit": 50,
            "ip_velocity_limit": 20,
            "rewards-TOTAL_FORMS": 1,
            "rewards-INITIAL_FORMS": 0,
            "rewards-0-name": "Sticker",
            "rewards-0-referrals": 3,
        },
    )
    assert response.status_code == 302, response.content
    campaign = Campaign.objects.get(name="Summer")
    assert (campaign.team, campaign.verification, campaign.is_default) == (team, "staff", False)
    reward = Reward.objects.get(campaign=campaign)
    assert (reward.name, reward.referrals, reward.team_id) == ("Sticker", 3, team.pk)


def test_the_review_queue_approves_and_rejects_in_bulk(admin_client: Client, team: Team) -> None:
    referrer = subscriber_create(team=team, email="john@example.com")
    approved = [confirm(refer(team, referrer, f"john+{i}@example.com")) for i in range(2)]
    rejected = refer(team, referrer, "x@mailinator.com")
    ids = [Referral.objects.get(referred=s).pk for s in approved]
    response = admin_client.post(
        "/admin/referrals/referral/",
        {"action": "approve_referrals", "_selected_action": ids},
    )
    assert response.status_code == 302
    assert set(Referral.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"verified"}
    assert set(Referral.objects.filter(pk__in=ids).values_list("decided_by", flat=True)) == {
        "staff"
    }
    target = Referral.objects.get(referred=rejected).pk
    admin_client.post(
        "/admin/referrals/referral/",
        {"action": "reject_referrals", "_selected_action": [target, ids[0]]},
    )
    assert Referral.objects.get(pk=target).status == "rejected"
    assert Referral.objects.get(pk=ids[0]).status == "verified"  # not pending: left alone
    referrer.refresh_from_db()
    assert (referrer.referrals_count, referrer.verified_referrals_count) == (2, 2)


def test_staff_approve_and_redeem_rewards(admin_client: Client, team: Team) -> None:
    campaign = campaign_with_rewards(
        team, {"name": "Shirt", "referrals": 1, "requires_approval": True}
    )
    referrer = subscriber_create(team=team, email="ref@example.com")
    membership_create(campaign=campaign, subscriber=referrer, identifier=referrer.email)
    confirm(refer(team, referrer, "mary@example.com"))
    grant = RewardGrant.objects.get()
    admin_client.post(
        "/admin/referrals/rewardgrant/",
        {"action": "approve_grants", "_selected_action": [grant.pk]},
    )
    grant.refresh_from_db()
    assert grant.status == "unlocked"
    admin_client.post(
        "/admin/referrals/rewardgrant/", {"action": "redeem_grants", "_selected_action": [grant.pk]}
    )
    grant.refresh_from_db()
    assert (grant.status, grant.decided_by) == ("redeemed", "staff")
    assert Event.objects.filter(type="reward_redeemed").count() == 1


def test_approving_in_the_review_queue_does_not_verify_an_unconfirmed_subscriber(
    admin_client: Client, team: Team
) -> None:
    referrer = subscriber_create(team=team, email="john@example.com")
    referred = refer(team, referrer, "john+1@example.com")  # flagged; still pending
    target = Referral.objects.get(referred=referred).pk

    admin_client.post(
        "/admin/referrals/referralreview/",
        {"action": "approve_referrals", "_selected_action": [target]},
    )

    referral = Referral.objects.get(pk=target)
    assert (referral.status, referral.flagged, referral.approved_by) == ("pending", False, "staff")
    referrer.refresh_from_db()
    assert referrer.verified_referrals_count == 0
    assert not Event.objects.filter(type="new_referral").exists()
    queue = admin_client.get("/admin/referrals/referralreview/")
    assert list(queue.context["cl"].result_list) == []  # decided: out of the queue
    confirm(referred)
    assert Referral.objects.get(pk=target).status == "verified"


def test_the_review_queue_lists_only_flagged_pending_referrals(
    admin_client: Client, team: Team
) -> None:
    referrer = subscriber_create(team=team, email="john@example.com")
    flagged = refer(team, referrer, "john+1@example.com")
    refer(team, referrer, "mary@example.com")
    decided = refer(team, referrer, "x@mailinator.com")
    response = admin_client.get("/admin/referrals/referralreview/")
    assert response.status_code == 200
    assert [r.referred for r in response.context["cl"].result_list] == [flagged, decided]
    target = Referral.objects.get(referred=decided).pk
    admin_client.post(
        "/admin/referrals/referralreview/",
        {"action": "reject_referrals", "_selected_action": [target]},
    )
    response = admin_client.get("/admin/referrals/referralreview/")
    assert [r.referred for r in response.context["cl"].result_list] == [flagged]
    assert "Same email domain and local part as the referrer" in response.content.decode()
