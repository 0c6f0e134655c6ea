"""The API v1 world: the team's default campaign, a second campaign, members of each, and
another team with a campaign of its own."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from referrals.models import Campaign
from referrals.services import campaign_create, membership_create
from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.services import subscriber_create

# The keys of v1's subscriber object, in the order it renders them.
SUBSCRIBER_KEYS = [
    "uuid",
    "email",
    "name",
    "ref_code",
    "referrer_code",
    "referrals_count",
    "status",
    "ip_address",
    "user_agent",
    "origin",
    "utm_source",
    "utm_campaign",
    "created_at",
    "referral_link",
    "tot_referrals",
    "next_reward",
]


@pytest.fixture
def default(team: Team) -> Campaign:
    """The team's default campaign: every subscriber of the team is a member."""
    return Campaign.objects.get(team=team, is_default=True)


@pytest.fixture
def spring(team: Team) -> Campaign:
    """A second campaign of the team, with a landing URL and a reward at 3 referrals."""
    return campaign_create(
        team=team,
        name="Spring",
        landing_url="https://news.example.com/",
        rewards=[{"name": "Sticker", "referrals": 3}],
    )


@pytest.fixture
def other_campaign(other_team: Team) -> Campaign:
    return Campaign.objects.get(team=other_team, is_default=True)


@pytest.fixture
def ann(team: Team) -> Subscriber:
    """A subscriber of the team, in the default campaign only."""
    return subscriber_create(team=team, email="ann@example.com", name="Ann")


@pytest.fixture
def bob(team: Team, spring: Campaign) -> Subscriber:
    """A subscriber of the team, in the default campaign and in `spring`."""
    bob = subscriber_create(team=team, email="bob@example.com", name="Bob")
    membership_create(campaign=spring, subscriber=bob, identifier=bob.email)
    return bob


def ok(response: Any, status: int = 200) -> Any:
    """The JSON body of a response that must have `status`."""
    assert response.status_code == status, response.content
    return response.json()


def error(response: Any, status: int) -> str:
    """The error sentence of a response that must have `status`."""
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["error"], str)
    return str(body["error"])


def v1_create(client: APIClient, campaign: Campaign, **body: object) -> dict[str, Any]:
    response = client.post(f"/v1/campaigns/{campaign.public_id}/subscribers", body, format="json")
    return dict(ok(response)["subscriber"])
