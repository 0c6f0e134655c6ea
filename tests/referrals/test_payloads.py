"""Webhook payloads of referral campaigns (reference §12.2) and their pure helpers."""

from __future__ import annotations

import pytest

from referrals.models import Campaign, Reward
from referrals.payloads import next_reward, referral_link
from referrals.services import campaign_create, membership_create
from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.services import subscriber_create
from tests.referrals.helpers import configure, confirm, default_campaign, refer
from webhooks.models import Event


def rewards(*specs: tuple[int, bool]) -> list[Reward]:
    return [Reward(name="r", referrals=n, recurring=recurring) for n, recurring in specs]


@pytest.mark.parametrize(
    ("count", "specs", "expected"),
    [
        (0, (), None),
        (0, ((3, False),), 3),
        (2, ((3, False), (5, False)), 1),
        (3, ((3, False), (5, False)), 2),
        (5, ((3, False), (5, False)), None),
        (7, ((3, True),), 2),
        (6, ((3, True), (10, False)), 3),
    ],
)
def test_next_reward_is_the_referrals_still_needed_for_the_nearest_reward(
    count: int, specs: tuple[tuple[int, bool], ...], expected: int | None
) -> None:
    assert next_reward(count, rewards(*specs)) == expected


@pytest.mark.parametrize(
    ("landing_url", "expected"),
    [
        ("", None),
        ("https://mywebsite.com", "https://mywebsite.com?rh_ref=ada90f39"),
        ("https://mywebsite.com/join?utm=x", "https://mywebsite.com/join?utm=x&rh_ref=ada90f39"),
    ],
)
def test_referral_link_adds_rh_ref_to_the_landing_url(landing_url: str, expected: str) -> None:
    campaign = Campaign(landing_url=landing_url)
    assert referral_link(campaign, Subscriber(ref_code="ada90f39")) == expected


@pytest.mark.django_db
def test_sync_subscriber_carries_the_default_campaign_and_its_standing(team: Team) -> None:
    campaign = configure(default_campaign(team), landing_url="https://mywebsite.com")
    subscriber = subscriber_create(team=team, email="ann@example.com", name="Ann Lee")
    payload = Event.objects.get(type="sync_subscriber").payload
    assert payload["campaign_id"] == campaign.public_id
    assert payload["subscriber"]["referral_link"] == (
        f"https://mywebsite.com?rh_ref={subscriber.ref_code}"
    )
    assert payload["subscriber"]["tot_referrals"] == 0
    assert payload["subscriber"]["first_name"] == "Ann"
    assert "event" not in payload


@pytest.mark.django_db
def test_a_referral_in_two_campaigns_is_reported_once_per_campaign(team: Team) -> None:
    other = campaign_create(team=team, name="Other", rewards=[{"name": "Mug", "referrals": 2}])
    referrer = subscriber_create(team=team, email="ref@example.com")
    membership_create(campaign=other, subscriber=referrer, identifier=referrer.email)
    confirm(refer(team, referrer, "mary@example.com"))
    payloads = {
        e.payload["campaign_id"]: e.payload for e in Event.objects.filter(type="new_referral")
    }
    assert set(payloads) == {default_campaign(team).public_id, other.public_id}
    assert payloads[other.public_id]["referrer"]["tot_referrals"] == 1
    assert payloads[other.public_id]["referrer"]["next_reward"] == 1
    assert payloads[default_campaign(team).public_id]["referrer"]["next_reward"] is None
    assert isinstance(payloads[other.public_id]["subscriber"]["created_at"], int)
