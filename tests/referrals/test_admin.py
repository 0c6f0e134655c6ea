"""Admin of referral campaigns: pages load, bulk review and grant actions go through services."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from referrals.models import BlocklistEntry, Campaign, Referral, Reward, RewardCoupon, RewardGrant
from referrals.services import blocklist_entry_create, membership_create
from sparkloop.models import Team, TeamCounter
from subscribers.models import Subscriber
from subscribers.services import subscriber_create
from tests.admin.helpers import messages_of
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


def campaign_form(campaign: Campaign, *rewards: Reward, **changes: object) -> dict[str, object]:
    """The change page's form as a browser posts it, with `changes` applied."""
    data: dict[str, object] = {
        "name": campaign.name,
        "landing_url": campaign.landing_url,
        "verification": campaign.verification,
        "holding_days": campaign.holding_days,
        "referrer_velocity_limit": campaign.referrer_velocity_limit,
        "ip_velocity_limit": campaign.ip_velocity_limit,
        "rewards-TOTAL_FORMS": len(rewards),
        "rewards-INITIAL_FORMS": len(rewards),
    }
    if campaign.screening_enabled:
        data["screening_enabled"] = "on"
    for i, reward in enumerate(rewards):
        data |= {
            f"rewards-{i}-id": reward.pk,
            f"rewards-{i}-campaign": campaign.pk,
            f"rewards-{i}-name": reward.name,
            f"rewards-{i}-referrals": reward.referrals,
        }
    data |= changes
    return {k: v for k, v in data.items() if v is not None}


def test_staff_change_a_campaign_its_screening_and_its_rewards(
    admin_client: Client, team: Team
) -> None:
    campaign = campaign_with_rewards(
        team, {"name": "Sticker", "referrals": 3}, {"name": "Mug", "referrals": 5}
    )
    sticker, mug = Reward.objects.filter(campaign=campaign).order_by("referrals")

    response = admin_client.post(
        f"/admin/referrals/campaign/{campaign.pk}/change/",
        campaign_form(
            campaign,
            sticker,
            mug,
            name="Autumn",
            screening_enabled=None,
            ip_velocity_limit=5,
            **{"rewards-0-referrals": 4, "rewards-1-DELETE": "on"},
        ),
    )

    assert response.status_code == 302, response.content
    campaign.refresh_from_db()
    assert (campaign.name, campaign.screening_enabled, campaign.ip_velocity_limit) == (
        "Autumn",
        False,
        5,
    )
    assert list(Reward.objects.filter(campaign=campaign).values_list("name", "referrals")) == [
        ("Sticker", 4)
    ]


def test_staff_cannot_delete_a_default_campaign_even_in_bulk(
    admin_client: Client, team: Team
) -> None:
    other = campaign_with_rewards(team)
    default = Campaign.objects.get(team=team, is_default=True)

    selected = {"action": "delete_selected", "_selected_action": [default.pk, other.pk]}

    confirmation = admin_client.post("/admin/referrals/campaign/", selected)
    forced = admin_client.post("/admin/referrals/campaign/", {**selected, "post": "yes"})

    assert "Cannot delete campaigns" in confirmation.content.decode()
    assert forced.status_code == 403
    assert Campaign.objects.filter(pk__in=[default.pk, other.pk]).count() == 2


def test_deleting_a_campaign_takes_its_member_list_counters_with_it(
    admin_client: Client, team: Team
) -> None:
    campaign = campaign_with_rewards(team)
    member = subscriber_create(team=team, email="ann@example.com")
    membership_create(campaign=campaign, subscriber=member, identifier=member.email)
    assert TeamCounter.objects.filter(name__startswith=f"campaign.{campaign.pk}.").exists()

    response = admin_client.post(
        f"/admin/referrals/campaign/{campaign.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    assert not TeamCounter.objects.filter(name__startswith=f"campaign.{campaign.pk}.").exists()
    assert Subscriber.objects.filter(pk=member.pk).exists()


def test_staff_change_a_reward_and_add_codes_to_its_pool(admin_client: Client, team: Team) -> None:
    campaign = campaign_with_rewards(team, {"name": "Mug", "referrals": 5, "coupon_codes": ["A"]})
    reward = Reward.objects.get(campaign=campaign)

    response = admin_client.post(
        f"/admin/referrals/reward/{reward.pk}/change/",
        {"name": "Big mug", "referrals": 6, "add_coupon_codes": "A\n B \n\nC\nB"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Added 2 coupon code(s) to the pool." in messages_of(response)
    reward.refresh_from_db()
    assert (reward.name, reward.referrals) == ("Big mug", 6)
    assert sorted(RewardCoupon.objects.filter(reward=reward).values_list("code", flat=True)) == [
        "A",
        "B",
        "C",
    ]


def test_the_coupon_box_refuses_more_codes_than_a_campaign_may_have(
    admin_client: Client, team: Team
) -> None:
    reward = Reward.objects.get(campaign=campaign_with_rewards(team, {"name": "M", "referrals": 1}))
    codes = "\n".join(f"C{n}" for n in range(10_001))

    response = admin_client.post(
        f"/admin/referrals/reward/{reward.pk}/change/",
        {"name": "M", "referrals": 1, "add_coupon_codes": codes},
    )

    assert response.status_code == 200
    assert "Add at most 10000 codes at a time." in response.content.decode()
    assert not RewardCoupon.objects.filter(reward=reward).exists()


def test_staff_add_change_and_delete_blocklist_entries(admin_client: Client, team: Team) -> None:
    response = admin_client.post(
        "/admin/referrals/blocklistentry/add/",
        {"team": team.pk, "kind": "domain", "pattern": " Spam.TEST ", "note": ""},
    )
    assert response.status_code == 302, response.content
    entry = BlocklistEntry.objects.get(team=team)
    assert entry.pattern == "spam.test"
    blocklist_entry_create(team=team, kind="domain", pattern="junk.test")

    taken = admin_client.post(
        f"/admin/referrals/blocklistentry/{entry.pk}/change/",
        {"kind": "domain", "pattern": "JUNK.test", "note": "x"},
        follow=True,
    )
    assert "The team already blocks this domain" in messages_of(taken)
    entry.refresh_from_db()
    assert (entry.pattern, entry.note) == ("spam.test", "")

    admin_client.post(
        f"/admin/referrals/blocklistentry/{entry.pk}/change/",
        {"kind": "email", "pattern": "*@Spam.test", "note": "seen in May"},
    )
    entry.refresh_from_db()
    assert (entry.kind, entry.pattern, entry.note) == ("email", "*@spam.test", "seen in May")
    admin_client.post(f"/admin/referrals/blocklistentry/{entry.pk}/delete/", {"post": "yes"})
    assert not BlocklistEntry.objects.filter(pk=entry.pk).exists()
