"""API v1: updating a campaign's subscriber, its referrals, its value events, and
concurrent creates."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from referrals.models import Campaign, CampaignMembership
from referrals.services import membership_delete
from sparkloop.models import Team
from subscribers.models import Subscriber, SubscriberEvent
from subscribers.services import subscriber_create
from tests.v1.conftest import SUBSCRIBER_KEYS, error, ok

pytestmark = pytest.mark.django_db


def member_path(campaign: Campaign, identifier: str) -> str:
    return f"/v1/campaigns/{campaign.public_id}/subscribers/{identifier}"


class TestUpdate:
    def test_it_renames_a_member(
        self, api_client: APIClient, spring: Campaign, bob: Subscriber
    ) -> None:
        response = api_client.put(
            member_path(spring, bob.public_id), {"name": "Robert"}, format="json"
        )

        subscriber = ok(response)["subscriber"]
        assert list(subscriber) == SUBSCRIBER_KEYS
        assert subscriber["name"] == "Robert"
        bob.refresh_from_db()
        assert bob.name == "Robert"

    def test_confirming_a_referred_member_verifies_its_referral(
        self, api_client: APIClient, team: Team, spring: Campaign, bob: Subscriber
    ) -> None:
        carl = subscriber_create(team=team, email="carl@example.com", referrer_code=bob.ref_code)

        body = ok(
            api_client.put(
                member_path(spring, "carl@example.com"), {"status": "confirmed"}, format="json"
            )
        )

        assert body["subscriber"]["status"] == "confirmed"
        carl.refresh_from_db()
        assert carl.referral_status == Subscriber.ReferralStatus.VERIFIED
        referrer = ok(api_client.get(member_path(spring, bob.public_id)))["subscriber"]
        assert (referrer["referrals_count"], referrer["tot_referrals"]) == (1, 1)
        assert referrer["next_reward"] == 2

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({}, "You have to update at least 1 field."),
            ({"status": "pending"}, "Invalid status!"),
            ({"email": "bob@"}, "Email is invalid"),
            ({"email": "ANN@example.com"}, "Email has already been taken"),
        ],
    )
    def test_it_refuses_bad_changes_and_changes_nothing(
        self,
        api_client: APIClient,
        spring: Campaign,
        ann: Subscriber,
        bob: Subscriber,
        body: dict[str, str],
        message: str,
    ) -> None:
        response = api_client.put(member_path(spring, bob.public_id), body, format="json")

        assert error(response, 400) == message
        bob.refresh_from_db()
        assert (bob.email, bob.status) == ("bob@example.com", Subscriber.Status.PENDING)

    def test_a_subscriber_outside_the_campaign_is_a_404_and_unchanged(
        self, api_client: APIClient, spring: Campaign, ann: Subscriber
    ) -> None:
        response = api_client.put(member_path(spring, ann.public_id), {"name": "X"}, format="json")

        assert error(response, 404) == f"Subscriber {ann.public_id} not found!"
        ann.refresh_from_db()
        assert ann.name == "Ann"

    def test_another_teams_subscriber_is_a_404_and_unchanged(
        self, api_client: APIClient, default: Campaign, other_team: Team
    ) -> None:
        theirs = subscriber_create(team=other_team, email="charlie@example.com", name="Charlie")

        response = api_client.put(
            member_path(default, "charlie@example.com"), {"name": "X"}, format="json"
        )

        assert error(response, 404) == "Subscriber charlie@example.com not found!"
        theirs.refresh_from_db()
        assert theirs.name == "Charlie"


class TestReferrals:
    @pytest.fixture
    def referred(self, team: Team, bob: Subscriber) -> list[Subscriber]:
        """Carl then Dan, both referred by Bob (so in Bob's campaigns too)."""
        return [
            subscriber_create(team=team, email=f"{name}@example.com", referrer_code=bob.ref_code)
            for name in ("carl", "dan")
        ]

    def test_it_lists_the_members_referrals_newest_first(
        self,
        api_client: APIClient,
        spring: Campaign,
        bob: Subscriber,
        referred: list[Subscriber],
    ) -> None:
        body = ok(api_client.get(f"{member_path(spring, bob.public_id)}/referrals"))

        assert set(body) == {"referrals"}
        assert [s["email"] for s in body["referrals"]] == ["dan@example.com", "carl@example.com"]
        assert all(list(s) == SUBSCRIBER_KEYS for s in body["referrals"])
        assert {s["referrer_code"] for s in body["referrals"]} == {bob.ref_code}

    def test_it_pages(
        self,
        api_client: APIClient,
        spring: Campaign,
        bob: Subscriber,
        referred: list[Subscriber],
    ) -> None:
        path = f"{member_path(spring, 'bob@example.com')}/referrals"

        second = ok(api_client.get(path, {"page": 2, "per_page": 1}))["referrals"]

        assert [s["email"] for s in second] == ["carl@example.com"]

    def test_a_referral_who_left_the_campaign_is_still_listed_counting_nothing_there(
        self,
        api_client: APIClient,
        spring: Campaign,
        bob: Subscriber,
        referred: list[Subscriber],
    ) -> None:
        carl = referred[0]
        membership_delete(
            membership=CampaignMembership.objects.get(campaign=spring, subscriber=carl)
        )

        listed = ok(api_client.get(f"{member_path(spring, bob.public_id)}/referrals"))["referrals"]

        [left] = [s for s in listed if s["uuid"] == carl.public_id]
        assert (left["referrals_count"], left["tot_referrals"]) == (0, 0)

    def test_it_costs_the_same_statements_for_one_or_many_referrals(
        self, api_client: APIClient, team: Team, spring: Campaign, bob: Subscriber
    ) -> None:
        path = f"{member_path(spring, bob.public_id)}/referrals"

        def statements() -> int:
            with CaptureQueriesContext(connection) as queries:
                ok(api_client.get(path))
            return len(queries)

        subscriber_create(team=team, email="first@example.com", referrer_code=bob.ref_code)
        statements()  # the key's first use of the window records when it was last used
        few = statements()
        for n in range(8):
            subscriber_create(team=team, email=f"r{n}@example.com", referrer_code=bob.ref_code)

        assert statements() == few

    def test_a_subscriber_outside_the_campaign_is_a_404(
        self, api_client: APIClient, spring: Campaign, ann: Subscriber
    ) -> None:
        response = api_client.get(f"{member_path(spring, 'ann@example.com')}/referrals")

        assert error(response, 404) == "Subscriber ann@example.com not found!"

    def test_another_teams_campaign_is_a_404(
        self, api_client: APIClient, other_campaign: Campaign, other_team: Team
    ) -> None:
        theirs = subscriber_create(team=other_team, email="charlie@example.com")

        response = api_client.get(f"{member_path(other_campaign, theirs.public_id)}/referrals")

        assert error(response, 404) == f"Campaign {other_campaign.public_id} not found!"


class TestEvents:
    def test_it_records_a_value_event_in_the_campaign(
        self, api_client: APIClient, spring: Campaign, bob: Subscriber
    ) -> None:
        response = api_client.post(
            f"{member_path(spring, bob.public_id)}/events",
            {"value": 14.9, "descripton": "Bought the annual plan", "campaign_uuid": "MFother"},
            format="json",
        )

        assert response.status_code == 200  # v1 answers 200
        event = response.json()["event"]
        assert event["value"] == 14.9
        assert event["description"] == "Bought the annual plan"
        assert event["campaign_uuid"] == spring.public_id  # the path's, not the body's
        assert event["subscriber_uuid"] == bob.public_id
        assert event["created_at"].endswith("Z")
        stored = SubscriberEvent.objects.get(subscriber=bob)
        assert (stored.value_cents, stored.campaign_uuid) == (1490, spring.public_id)

    def test_it_accepts_v2s_wrapped_body_and_an_email(
        self, api_client: APIClient, spring: Campaign, bob: Subscriber
    ) -> None:
        response = api_client.post(
            f"{member_path(spring, 'bob%40example.com')}/events",
            {"event": {"value": "3", "description": "Upgrade"}},
            format="json",
        )

        assert ok(response)["event"]["value"] == 3
        assert SubscriberEvent.objects.get(subscriber=bob).value_cents == Decimal(300)

    def test_it_needs_a_value(
        self, api_client: APIClient, spring: Campaign, bob: Subscriber
    ) -> None:
        response = api_client.post(
            f"{member_path(spring, bob.public_id)}/events", {"descripton": "x"}, format="json"
        )

        assert error(response, 400) == "You have to provide a value"
        assert not SubscriberEvent.objects.exists()

    def test_it_refuses_a_value_that_is_no_number(
        self, api_client: APIClient, spring: Campaign, bob: Subscriber
    ) -> None:
        response = api_client.post(
            f"{member_path(spring, bob.public_id)}/events", {"value": "lots"}, format="json"
        )

        assert error(response, 400) == "Value must be a number"

    @pytest.mark.parametrize("blank", ["", "%20"])
    def test_a_blank_identifier_is_named(
        self, api_client: APIClient, spring: Campaign, blank: str
    ) -> None:
        response = api_client.post(
            f"/v1/campaigns/{spring.public_id}/subscribers/{blank}/events",
            {"value": 1},
            format="json",
        )

        assert error(response, 400) == "Subscriber uuid or email blank!"

    def test_a_subscriber_outside_the_campaign_is_a_404_and_nothing_is_recorded(
        self, api_client: APIClient, spring: Campaign, ann: Subscriber
    ) -> None:
        response = api_client.post(
            f"{member_path(spring, 'ann@example.com')}/events", {"value": 1}, format="json"
        )

        assert error(response, 404) == "Subscriber ann@example.com not found!"
        assert not SubscriberEvent.objects.exists()

    def test_another_teams_subscriber_is_a_404(
        self, api_client: APIClient, default: Campaign, other_team: Team
    ) -> None:
        theirs = subscriber_create(team=other_team, email="charlie@example.com")

        response = api_client.post(
            f"{member_path(default, theirs.public_id)}/events", {"value": 1}, format="json"
        )

        assert error(response, 404) == f"Subscriber {theirs.public_id} not found!"
        assert not SubscriberEvent.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_email_make_one_member_and_clean_errors(
    team: Team, spring: Campaign, api_client: APIClient
) -> None:
    key = api_client.raw_key  # type: ignore[attr-defined]
    barrier = threading.Barrier(8)
    results: list[tuple[int, dict[str, object]]] = []

    def create() -> None:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=key)
        barrier.wait()
        try:
            response = client.post(
                f"/v1/campaigns/{spring.public_id}/subscribers",
                {"email": "race@example.com"},
                format="json",
            )
            results.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [400] * 7
    assert {body["error"] for status, body in results if status == 400} == {
        "Email has already been taken"
    }
    assert Subscriber.objects.filter(team=team).count() == 1
    assert CampaignMembership.objects.filter(campaign=spring).count() == 1
    listed = ok(api_client.get(f"/v1/campaigns/{spring.public_id}/subscribers"))["subscribers"]
    assert [s["email"] for s in listed] == ["race@example.com"]
