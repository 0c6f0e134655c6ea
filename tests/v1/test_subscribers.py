"""API v1: creating, listing and reading the subscribers of a campaign."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from referrals.models import Campaign, CampaignMembership
from referrals.services import membership_create
from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.services import subscriber_create
from tests.v1.conftest import SUBSCRIBER_KEYS, error, ok, v1_create

pytestmark = pytest.mark.django_db


def members_path(campaign: Campaign) -> str:
    return f"/v1/campaigns/{campaign.public_id}/subscribers"


class TestCreate:
    def test_it_creates_a_subscriber_in_the_campaign_with_v1s_shape(
        self, api_client: APIClient, spring: Campaign
    ) -> None:
        response = api_client.post(
            members_path(spring),
            {
                "email": "drago@example.com",
                "name": "Drago Vrago",
                "ip_address": "213.19.137.18",
                "user_agent": "Mozilla/5.0",
                "utm_source": "twitter",
            },
            format="json",
        )

        assert response.status_code == 200  # not 201: v1 answers a create with 200
        subscriber = response.json()["subscriber"]
        assert list(subscriber) == SUBSCRIBER_KEYS
        assert subscriber["uuid"].startswith("sub_")
        assert subscriber["email"] == "drago@example.com"
        assert subscriber["origin"] == "api"
        assert subscriber["referrals_count"] == 0
        assert subscriber["referrer_code"] is None
        assert subscriber["utm_source"] == "twitter"
        assert subscriber["referral_link"] == (
            f"https://news.example.com/?rh_ref={subscriber['ref_code']}"
        )
        assert (subscriber["tot_referrals"], subscriber["next_reward"]) == (0, 3)

    def test_it_joins_that_campaign_and_the_default_one(
        self, api_client: APIClient, team: Team, spring: Campaign, default: Campaign
    ) -> None:
        created = v1_create(api_client, spring, email="drago@example.com")

        joined = CampaignMembership.objects.filter(subscriber__public_id=created["uuid"])
        assert set(joined.values_list("campaign_id", flat=True)) == {spring.pk, default.pk}
        listed = ok(api_client.get(members_path(spring)))["subscribers"]
        assert [s["uuid"] for s in listed] == [created["uuid"]]

    def test_v2_sees_the_same_subscriber_with_origin_api(
        self, api_client: APIClient, spring: Campaign
    ) -> None:
        created = v1_create(api_client, spring, email="drago@example.com")

        seen = ok(api_client.get(f"/v2/subscribers/{created['uuid']}"))["subscriber"]

        assert seen["origin"] == "api"
        assert seen["email"] == "drago@example.com"

    def test_a_referrer_code_refers_it_in_the_referrers_campaigns(
        self, api_client: APIClient, spring: Campaign, bob: Subscriber
    ) -> None:
        created = v1_create(
            api_client, spring, email="carl@example.com", referrer_code=bob.ref_code
        )

        assert created["referrer_code"] == bob.ref_code
        referrer = ok(api_client.get(f"{members_path(spring)}/{bob.public_id}"))["subscriber"]
        assert referrer["referrals_count"] == 1  # pending: counted, not yet verified
        assert referrer["tot_referrals"] == 0
        referred = ok(api_client.get(members_path(spring), {"type": "referrals"}))["subscribers"]
        assert [s["uuid"] for s in referred] == [created["uuid"]]

    def test_it_ignores_country_code_and_unknown_keys(
        self, api_client: APIClient, spring: Campaign
    ) -> None:
        created = v1_create(
            api_client, spring, email="drago@example.com", country_code="not a code", plan="gold"
        )

        assert Subscriber.objects.get(public_id=created["uuid"]).country_code is None
        assert "country_code" not in created

    def test_it_needs_an_email(self, api_client: APIClient, team: Team, spring: Campaign) -> None:
        response = api_client.post(members_path(spring), {"name": "Nobody"}, format="json")

        assert error(response, 400) == "You have to provide at least an email"
        assert not team.subscribers.exists()

    def test_it_refuses_a_malformed_email(
        self, api_client: APIClient, team: Team, spring: Campaign
    ) -> None:
        response = api_client.post(members_path(spring), {"email": "drago@"}, format="json")

        assert error(response, 400) == "Email is invalid"
        assert not team.subscribers.exists()

    def test_an_email_of_the_team_is_taken_even_outside_the_campaign(
        self, api_client: APIClient, spring: Campaign, ann: Subscriber
    ) -> None:
        response = api_client.post(
            members_path(spring), {"email": "ANN@example.com"}, format="json"
        )

        assert error(response, 400) == "Email has already been taken"
        assert not CampaignMembership.objects.filter(campaign=spring, subscriber=ann).exists()

    def test_an_unknown_campaign_is_a_404_and_creates_nobody(
        self, api_client: APIClient, team: Team
    ) -> None:
        response = api_client.post(
            "/v1/campaigns/MF0000000000/subscribers", {"email": "a@example.com"}, format="json"
        )

        assert error(response, 404) == "Campaign MF0000000000 not found!"
        assert not team.subscribers.exists()

    def test_another_teams_campaign_is_the_same_404(
        self, api_client: APIClient, team: Team, other_team: Team, other_campaign: Campaign
    ) -> None:
        response = api_client.post(
            members_path(other_campaign), {"email": "a@example.com"}, format="json"
        )

        assert error(response, 404) == f"Campaign {other_campaign.public_id} not found!"
        assert not Subscriber.objects.filter(team__in=[team, other_team]).exists()


class TestList:
    def test_it_lists_the_campaigns_members_newest_first_without_meta(
        self, api_client: APIClient, spring: Campaign, ann: Subscriber, bob: Subscriber
    ) -> None:
        carl = v1_create(api_client, spring, email="carl@example.com")

        body = ok(api_client.get(members_path(spring)))

        assert set(body) == {"subscribers"}
        assert [s["uuid"] for s in body["subscribers"]] == [carl["uuid"], bob.public_id]
        assert all(list(s) == SUBSCRIBER_KEYS for s in body["subscribers"])

    def test_the_default_campaign_lists_every_subscriber(
        self, api_client: APIClient, default: Campaign, ann: Subscriber, bob: Subscriber
    ) -> None:
        listed = ok(api_client.get(members_path(default)))["subscribers"]

        assert [s["email"] for s in listed] == ["bob@example.com", "ann@example.com"]

    def test_type_filters_referred_members_and_advocates(
        self, api_client: APIClient, team: Team, spring: Campaign, bob: Subscriber
    ) -> None:
        carl = subscriber_create(team=team, email="carl@example.com", referrer_code=bob.ref_code)

        def listed(type_: str) -> list[str]:
            body = ok(api_client.get(members_path(spring), {"type": type_}))
            return [s["uuid"] for s in body["subscribers"]]

        assert listed("all") == [carl.public_id, bob.public_id]
        assert listed("referrals") == [carl.public_id]
        assert listed("advocates") == [bob.public_id]

    def test_it_pages_with_page_and_per_page(
        self, api_client: APIClient, team: Team, spring: Campaign
    ) -> None:
        emails = [f"reader{n}@example.com" for n in range(5)]
        for email in emails:
            v1_create(api_client, spring, email=email)

        def page(number: int) -> list[str]:
            body = ok(api_client.get(members_path(spring), {"page": number, "per_page": 2}))
            return [s["email"] for s in body["subscribers"]]

        assert [page(1), page(2), page(3), page(4)] == [
            emails[4:2:-1],
            emails[2:0:-1],
            emails[:1],
            [],
        ]

    def test_per_page_is_at_most_200(self, api_client: APIClient, team: Team) -> None:
        default = Campaign.objects.get(team=team, is_default=True)
        for n in range(201):
            subscriber_create(team=team, email=f"reader{n}@example.com")

        listed = ok(api_client.get(members_path(default), {"per_page": 500}))["subscribers"]

        assert len(listed) == 200

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ({"type": "friends"}, "Type must be one of all, referrals, advocates"),
            ({"page": "0"}, "Page must be a positive integer"),
            ({"page": "two"}, "Page must be a positive integer"),
            ({"per_page": "-5"}, "Per page must be a positive integer"),
        ],
    )
    def test_it_refuses_bad_parameters(
        self, api_client: APIClient, spring: Campaign, query: dict[str, str], message: str
    ) -> None:
        assert error(api_client.get(members_path(spring), query), 400) == message

    def test_another_teams_campaign_is_a_404(
        self, api_client: APIClient, other_campaign: Campaign
    ) -> None:
        response = api_client.get(members_path(other_campaign))

        assert error(response, 404) == f"Campaign {other_campaign.public_id} not found!"

    def test_a_page_costs_the_same_statements_whatever_its_size(
        self, api_client: APIClient, team: Team, spring: Campaign
    ) -> None:
        def statements() -> int:
            with CaptureQueriesContext(connection) as queries:
                ok(api_client.get(members_path(spring)))
            return len(queries)

        subscriber = subscriber_create(team=team, email="first@example.com")
        membership_create(campaign=spring, subscriber=subscriber, identifier="first")
        statements()  # the key's first use of the window records when it was last used
        few = statements()
        for n in range(10):
            v1_create(api_client, spring, email=f"reader{n}@example.com")

        assert statements() == few


class TestRetrieve:
    def test_it_gets_a_member_by_uuid(
        self, api_client: APIClient, spring: Campaign, bob: Subscriber
    ) -> None:
        body = ok(api_client.get(f"{members_path(spring)}/{bob.public_id}"))

        assert list(body) == ["subscriber"]
        subscriber = body["subscriber"]
        assert list(subscriber) == SUBSCRIBER_KEYS
        assert subscriber["uuid"] == bob.public_id
        assert subscriber["name"] == "Bob"
        assert subscriber["origin"] == "sparkloop-api"  # created through v2's service

    def test_it_gets_a_member_by_url_encoded_email_in_any_case(
        self, api_client: APIClient, spring: Campaign, bob: Subscriber
    ) -> None:
        body = ok(api_client.get(f"{members_path(spring)}/BOB%40Example.com/"))

        assert body["subscriber"]["uuid"] == bob.public_id

    def test_a_subscriber_of_the_team_outside_the_campaign_is_a_404(
        self, api_client: APIClient, spring: Campaign, ann: Subscriber
    ) -> None:
        response = api_client.get(f"{members_path(spring)}/ann@example.com")

        assert error(response, 404) == "Subscriber ann@example.com not found!"

    def test_another_teams_subscriber_is_the_same_404(
        self, api_client: APIClient, other_team: Team, other_campaign: Campaign
    ) -> None:
        theirs = subscriber_create(team=other_team, email="charlie@example.com")
        mine = Campaign.objects.exclude(pk=other_campaign.pk).get(is_default=True)

        by_uuid = api_client.get(f"{members_path(mine)}/{theirs.public_id}")
        in_their_campaign = api_client.get(f"{members_path(other_campaign)}/{theirs.public_id}")

        assert error(by_uuid, 404) == f"Subscriber {theirs.public_id} not found!"
        assert error(in_their_campaign, 404) == f"Campaign {other_campaign.public_id} not found!"

    def test_it_is_served_under_api_v1_too(
        self, api_client: APIClient, spring: Campaign, bob: Subscriber
    ) -> None:
        path = f"/api/v1/campaigns/{spring.public_id}/subscribers/{bob.public_id}"

        assert ok(api_client.get(path))["subscriber"]["uuid"] == bob.public_id
