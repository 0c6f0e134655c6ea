"""What v1 added below its views: a campaign's subscriber create, a campaign's members of a
page, and webhook endpoints scoped to a campaign."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals.models import Campaign, CampaignMembership
from referrals.selectors import campaign_members_of
from referrals.services import campaign_subscriber_create
from sparkloop.exceptions import Conflict
from sparkloop.models import Team
from subscribers.models import Subscriber
from tests.conftest import expand_events
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_create, endpoints_delete_for_campaign, event_record

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/h"


class TestCampaignSubscriberCreate:
    def test_it_creates_a_member_of_the_campaign_and_of_the_default_one(
        self, team: Team, spring: Campaign, default: Campaign
    ) -> None:
        membership = campaign_subscriber_create(
            campaign=spring, email="drago@example.com", origin="api"
        )

        assert membership.campaign == spring
        assert membership.subscriber.email == "drago@example.com"
        assert membership.subscriber.origin == "api"
        assert set(
            CampaignMembership.objects.filter(subscriber=membership.subscriber).values_list(
                "campaign", flat=True
            )
        ) == {spring.pk, default.pk}

    def test_in_the_default_campaign_it_is_one_membership(
        self, team: Team, default: Campaign
    ) -> None:
        membership = campaign_subscriber_create(campaign=default, email="drago@example.com")

        assert CampaignMembership.objects.get(subscriber=membership.subscriber) == membership

    def test_a_taken_email_raises_and_changes_nothing(
        self, team: Team, spring: Campaign, ann: Subscriber
    ) -> None:
        with pytest.raises(Conflict, match="Email has already been taken"):
            campaign_subscriber_create(campaign=spring, email="Ann@Example.com")

        assert list(Subscriber.objects.filter(team=team)) == [ann]
        assert not CampaignMembership.objects.filter(campaign=spring).exists()


def test_a_campaigns_members_of_a_page_take_one_query(
    team: Team, spring: Campaign, bob: Subscriber, ann: Subscriber
) -> None:
    with CaptureQueriesContext(connection) as queries:
        found = campaign_members_of(campaign=spring, subscribers=[ann, bob])

    assert len(queries) == 1
    assert list(found) == [bob.pk]
    assert found[bob.pk].subscriber is bob


class TestCampaignScopedEndpoints:
    @pytest.mark.parametrize(
        ("scope", "payload", "covered"),
        [
            ("", {"campaign_id": "MF1111111111"}, True),
            ("MF1111111111", {"campaign_id": "MF1111111111"}, True),
            ("MF1111111111", {"campaign_id": "MF2222222222"}, False),
            ("MF1111111111", {"subscriber": {}}, True),  # names no campaign
        ],
    )
    def test_it_covers_its_campaigns_events_and_those_of_none(
        self, scope: str, payload: dict[str, object], covered: bool
    ) -> None:
        assert WebhookEndpoint(campaign_uuid=scope).covers(payload) is covered

    def test_an_event_of_another_campaign_makes_no_delivery_for_it(self, team: Team) -> None:
        mine = endpoint_create(
            team=team, url=URL, events={"new_referral": True}, campaign_uuid="MF1111111111"
        )
        team_wide = endpoint_create(team=team, url=URL, events={"new_referral": True})

        event = event_record(
            team=team, type=Event.Type.NEW_REFERRAL, payload={"campaign_id": "MF2222222222"}
        )
        expand_events()

        assert [d.endpoint for d in WebhookDelivery.objects.filter(event=event)] == [team_wide]
        event = event_record(
            team=team, type=Event.Type.NEW_REFERRAL, payload={"campaign_id": "MF1111111111"}
        )
        expand_events()
        assert {d.endpoint for d in WebhookDelivery.objects.filter(event=event)} == {
            mine,
            team_wide,
        }

    def test_deleting_a_campaigns_endpoints_spares_the_rest(
        self, team: Team, other_team: Team
    ) -> None:
        endpoint_create(team=team, url=URL, campaign_uuid="MF1111111111")
        kept = [
            endpoint_create(team=team, url=URL),
            endpoint_create(team=team, url=URL, campaign_uuid="MF2222222222"),
            endpoint_create(team=other_team, url=URL, campaign_uuid="MF1111111111"),
        ]

        assert endpoints_delete_for_campaign(team=team, campaign_uuid="MF1111111111") == 1
        assert endpoints_delete_for_campaign(team=team, campaign_uuid="") == 0
        assert list(WebhookEndpoint.objects.order_by("pk")) == kept
