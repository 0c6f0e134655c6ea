"""`default_campaigns_with_rewards`: the teams' default campaigns and their rewards in one
statement, the same objects as the ORM's read with `prefetch_related("rewards")`."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals.models import Campaign
from referrals.selectors import default_campaigns_with_rewards
from referrals.services.campaigns import campaign_default, reward_create
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_the_campaigns_come_with_their_rewards_as_the_orm_reads_them() -> None:
    one, two, other = TeamFactory.create(), TeamFactory.create(), TeamFactory.create()
    campaign = campaign_default(team=one)
    reward_create(campaign=campaign, name="Stickers «5»", referrals=5, recurring=True)
    reward_create(campaign=campaign, name="Mug", referrals=2, requires_approval=True)
    reward_create(campaign=campaign, name="Pin", referrals=2)
    reward_create(campaign=campaign_default(team=other), name="Not asked for", referrals=1)
    with CaptureQueriesContext(connection) as queries:
        found = default_campaigns_with_rewards(team_ids=[one.pk, two.pk, one.pk])
        rewards = {team_id: list(c.rewards.all()) for team_id, c in found.items()}
    expected = Campaign.objects.filter(team__in=[one, two], is_default=True).prefetch_related(
        "rewards"
    )
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)
    assert set(found) == {one.pk, two.pk}
    for campaign in expected:
        assert found[campaign.team_id] == campaign
        assert found[campaign.team_id].__dict__.keys() >= {
            f.attname for f in Campaign._meta.concrete_fields
        }
        for field in Campaign._meta.concrete_fields:
            assert getattr(found[campaign.team_id], field.attname) == getattr(
                campaign, field.attname
            )
        mine = list(campaign.rewards.all())
        assert [r.pk for r in rewards[campaign.team_id]] == [r.pk for r in mine]
        for got, want in zip(rewards[campaign.team_id], mine, strict=True):
            assert [getattr(got, f.attname) for f in got._meta.concrete_fields] == [
                getattr(want, f.attname) for f in want._meta.concrete_fields
            ]
    assert [r.name for r in rewards[one.pk]] == ["Mug", "Pin", "Stickers «5»"]
    assert rewards[two.pk] == []


def test_no_teams_no_statement() -> None:
    with CaptureQueriesContext(connection) as queries:
        assert default_campaigns_with_rewards(team_ids=[]) == {}
    assert not queries
