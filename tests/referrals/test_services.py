"""Campaign and membership services: defaults, joins, removals and recounts."""

from __future__ import annotations

import pytest
from django.conf import settings

from referrals.models import Campaign, CampaignMembership
from referrals.services import (
    ALREADY_MEMBER,
    campaign_create,
    campaign_default,
    campaign_delete,
    campaign_update,
    membership_create,
    membership_delete,
)
from sparkloop.exceptions import Conflict, InvalidState
from sparkloop.models import Team
from subscribers.services import subscriber_create
from tests.factories import SubscriberFactory
from tests.referrals.helpers import confirm, default_campaign, refer

pytestmark = pytest.mark.django_db


def test_every_team_starts_with_one_default_campaign(team: Team) -> None:
    campaign = Campaign.objects.get(team=team)
    assert campaign.is_default
    assert campaign.name == team.name
    assert campaign_default(team=team) == campaign


def test_a_team_made_without_the_service_gets_its_default_on_first_use(db: None) -> None:
    bare = Team.objects.create(name="bare")
    campaign = campaign_default(team=bare)
    assert campaign.is_default
    assert campaign_default(team=bare) == campaign


def test_membership_create_refuses_a_member_twice(team: Team) -> None:
    subscriber = subscriber_create(team=team, email="a@example.com")
    with pytest.raises(Conflict, match=ALREADY_MEMBER.format(identifier="a@example.com")):
        membership_create(
            campaign=default_campaign(team), subscriber=subscriber, identifier="a@example.com"
        )


def test_a_member_removed_and_added_again_gets_its_referrals_back(team: Team) -> None:
    campaign = campaign_create(team=team, name="Other")
    referrer = subscriber_create(team=team, email="ref@example.com")
    membership = membership_create(campaign=campaign, subscriber=referrer, identifier="ref")
    confirm(refer(team, referrer, "mary@example.com"))
    membership_delete(membership=membership)
    # Referred while it is not a member: a referral of the default campaign only.
    confirm(refer(team, referrer, "paul@example.com"))
    again = membership_create(campaign=campaign, subscriber=referrer, identifier="ref")
    assert (again.referrals_count, again.verified_referrals_count) == (1, 1)
    assert again.score_reached_at is not None


def test_a_referrer_in_no_campaign_is_placed_in_the_default_one(team: Team) -> None:
    bare = SubscriberFactory.create(team=team, email="old@example.com")
    referred = confirm(refer(team, bare, "new@example.com"))
    membership = CampaignMembership.objects.get(subscriber=bare)
    assert membership.campaign == default_campaign(team)
    assert membership.verified_referrals_count == 1
    assert referred.referral_status == "verified"


def test_the_holding_sweep_is_a_beat_job() -> None:
    job = settings.CELERY_BEAT_SCHEDULE["referrals-holding-sweep"]
    assert job["task"] == "referrals.tasks.referral_holding_sweep_task"


def test_campaign_delete_refuses_the_default_campaign(team: Team) -> None:
    with pytest.raises(InvalidState) as raised:
        campaign_delete(campaign=default_campaign(team))
    assert raised.value.message == "The default campaign of a team can't be deleted"
    assert Campaign.objects.filter(team=team, is_default=True).exists()


def test_campaign_update_applies_to_the_stored_row_not_a_changed_instance(team: Team) -> None:
    campaign = campaign_create(team=team, name="Spring")
    campaign.name = "changed in memory only"
    updated = campaign_update(campaign=campaign, holding_days=3)
    assert (updated.name, updated.holding_days) == ("Spring", 3)
    campaign.refresh_from_db()
    assert (campaign.name, campaign.holding_days) == ("Spring", 3)
