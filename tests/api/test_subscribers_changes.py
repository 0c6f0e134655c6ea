"""HTTP contract of the subscriber endpoints that change a subscriber (spec: Subscribers).

Creating, listing and reading: tests/api/test_subscribers.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from sparkloop.models import Team
from subscribers.models import Subscriber, SubscriberEvent
from subscribers.services import subscriber_create
from tests.api.test_subscribers import ISO_Z, create

pytestmark = pytest.mark.django_db


class TestUpdate:
    def test_it_updates_name_and_email(self, api_client: APIClient) -> None:
        created = create(api_client, email="ann@example.com")
        response = api_client.put(
            f"/v2/subscribers/{created['uuid']}",
            {"name": "Ann B", "email": "ann.b@example.com", "ignored": 1},
            format="json",
        )
        assert response.status_code == 200
        body = response.json()["subscriber"]
        assert (body["name"], body["email"]) == ("Ann B", "ann.b@example.com")
        assert api_client.get("/v2/subscribers/ann.b%40example.com").status_code == 200

    def test_it_can_change_only_the_case_of_the_email(self, api_client: APIClient) -> None:
        created = create(api_client, email="ann@example.com")
        response = api_client.put(
            f"/v2/subscribers/{created['uuid']}", {"email": "Ann@Example.com"}, format="json"
        )
        assert response.status_code == 200

    def test_it_unsubscribes_and_resubscribes_by_status(self, api_client: APIClient) -> None:
        created = create(api_client, email="ann@example.com")
        path = f"/v2/subscribers/{created['uuid']}"
        down = api_client.put(path, {"status": "unsubscribed"}, format="json").json()
        up = api_client.put(path, {"status": "confirmed"}, format="json").json()
        assert down["subscriber"]["status"] == "unsubscribed"
        assert up["subscriber"]["status"] == "confirmed"

    def test_it_requires_at_least_one_field(self, api_client: APIClient) -> None:
        created = create(api_client, email="ann@example.com")
        response = api_client.put(f"/v2/subscribers/{created['uuid']}", {"x": 1}, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "You have to update at least 1 field."

    @pytest.mark.parametrize("status", ["pending", "active", "", 3])
    def test_it_refuses_an_invalid_status(self, api_client: APIClient, status: object) -> None:
        created = create(api_client, email="ann@example.com")
        response = api_client.put(
            f"/v2/subscribers/{created['uuid']}", {"status": status}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["error"] == "Invalid status!"

    def test_it_refuses_an_email_taken_by_another_subscriber(self, api_client: APIClient) -> None:
        create(api_client, email="taken@example.com")
        created = create(api_client, email="ann@example.com")
        response = api_client.put(
            f"/v2/subscribers/{created['uuid']}", {"email": "TAKEN@example.com"}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["error"] == "Email has already been taken"

    def test_it_refuses_a_malformed_email(self, api_client: APIClient) -> None:
        created = create(api_client, email="ann@example.com")
        response = api_client.put(
            f"/v2/subscribers/{created['uuid']}", {"email": "nope"}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["error"] == "Email is invalid"

    def test_it_returns_404_for_other_teams_subscriber(
        self, api_client: APIClient, other_client: APIClient
    ) -> None:
        foreign = create(other_client, email="secret@example.com")
        response = api_client.put(
            f"/v2/subscribers/{foreign['uuid']}", {"name": "x"}, format="json"
        )
        assert response.status_code == 404
        assert response.json() == {"error": f"Subscriber {foreign['uuid']} not found!"}
        assert Subscriber.objects.get(public_id=foreign["uuid"]).name is None


class TestUnsubscribe:
    def test_it_unsubscribes(self, api_client: APIClient) -> None:
        created = create(api_client, email="ann@example.com")
        response = api_client.put(f"/v2/subscribers/{created['uuid']}/unsubscribe")
        assert response.status_code == 200
        assert response.json()["subscriber"]["status"] == "unsubscribed"

    def test_it_refuses_to_unsubscribe_twice(self, api_client: APIClient) -> None:
        create(api_client, email="ann@example.com")
        api_client.put("/v2/subscribers/ann%40example.com/unsubscribe")
        response = api_client.put("/v2/subscribers/ann%40example.com/unsubscribe")
        assert response.status_code == 400
        assert response.json() == {
            "error": "Subscriber ann@example.com has already been unsubscribed"
        }

    def test_it_returns_404_for_other_teams_subscriber(
        self, api_client: APIClient, other_client: APIClient
    ) -> None:
        foreign = create(other_client, email="secret@example.com")
        response = api_client.put(f"/v2/subscribers/{foreign['uuid']}/unsubscribe")
        assert response.status_code == 404
        assert Subscriber.objects.get(public_id=foreign["uuid"]).status == "pending"


class TestReject:
    def test_it_rejects_a_pending_referral(self, api_client: APIClient) -> None:
        referrer = create(api_client, email="ref@example.com")
        referred = create(api_client, email="new@example.com", referrer_code=referrer["ref_code"])

        response = api_client.put(f"/v2/subscribers/{referred['uuid']}/reject")

        assert response.status_code == 200
        assert response.json()["subscriber"]["referral_status"] == "rejected"
        assert Subscriber.objects.get(public_id=referrer["uuid"]).referrals_count == 0
        advocates = api_client.get("/v2/subscribers", {"type": "advocates"}).json()
        assert advocates["meta"]["total_subscribers"] == 0

    def test_it_refuses_one_that_is_not_pending(self, api_client: APIClient) -> None:
        create(api_client, email="ann@example.com")
        response = api_client.put("/v2/subscribers/ann%40example.com/reject")
        assert response.status_code == 400
        assert response.json() == {"error": "Subscriber ann@example.com must be pending"}

    def test_it_refuses_to_reject_twice(self, api_client: APIClient) -> None:
        referrer = create(api_client, email="ref@example.com")
        referred = create(api_client, email="new@example.com", referrer_code=referrer["ref_code"])
        api_client.put(f"/v2/subscribers/{referred['uuid']}/reject")
        response = api_client.put(f"/v2/subscribers/{referred['uuid']}/reject")
        assert response.status_code == 400
        assert response.json()["error"] == f"Subscriber {referred['uuid']} must be pending"

    def test_it_returns_404_for_other_teams_subscriber(
        self, api_client: APIClient, other_client: APIClient
    ) -> None:
        referrer = create(other_client, email="ref@example.com")
        referred = create(other_client, email="new@example.com", referrer_code=referrer["ref_code"])
        response = api_client.put(f"/v2/subscribers/{referred['uuid']}/reject")
        assert response.status_code == 404
        assert Subscriber.objects.get(public_id=referred["uuid"]).referral_status == "pending"


class TestDelete:
    def test_it_erases_the_subscriber_and_keeps_counters_right(self, api_client: APIClient) -> None:
        referrer = create(api_client, email="ref@example.com")
        referred = create(api_client, email="new@example.com", referrer_code=referrer["ref_code"])
        api_client.post(f"/v2/subscribers/{referred['uuid']}/events", {"value": 5}, format="json")

        response = api_client.delete(f"/v2/subscribers/{referred['uuid']}")

        assert response.status_code == 200
        assert not Subscriber.objects.filter(email_normalized="new@example.com").exists()
        assert not SubscriberEvent.objects.exists()
        assert api_client.get(f"/v2/subscribers/{referred['uuid']}").status_code == 404
        meta = api_client.get("/v2/subscribers").json()["meta"]
        assert meta["total_subscribers"] == 1
        assert api_client.get("/v2/subscribers", {"type": "referrals"}).json()["meta"][
            "total_subscribers"
        ] == (0)
        assert api_client.get("/v2/subscribers", {"type": "advocates"}).json()["meta"][
            "total_subscribers"
        ] == (0)
        assert Subscriber.objects.get(public_id=referrer["uuid"]).referrals_count == 0

    def test_deleting_a_referrer_keeps_its_referrals_referred(self, api_client: APIClient) -> None:
        referrer = create(api_client, email="ref@example.com")
        referred = create(api_client, email="new@example.com", referrer_code=referrer["ref_code"])

        api_client.delete("/v2/subscribers/ref%40example.com")

        body = api_client.get(f"/v2/subscribers/{referred['uuid']}").json()["subscriber"]
        assert body["referred"] is True
        advocates = api_client.get("/v2/subscribers", {"type": "advocates"}).json()
        assert advocates["meta"]["total_subscribers"] == 0

    def test_the_email_can_be_used_again_after_erasure(self, api_client: APIClient) -> None:
        create(api_client, email="ann@example.com")
        api_client.delete("/v2/subscribers/ann%40example.com")
        create(api_client, email="ann@example.com")

    def test_it_returns_404_for_other_teams_subscriber(
        self, api_client: APIClient, other_client: APIClient
    ) -> None:
        foreign = create(other_client, email="secret@example.com")
        response = api_client.delete(f"/v2/subscribers/{foreign['uuid']}")
        assert response.status_code == 404
        assert Subscriber.objects.filter(public_id=foreign["uuid"]).exists()


class TestEvents:
    def test_it_records_a_flat_event(self, api_client: APIClient) -> None:
        created = create(api_client, email="ann@example.com")
        response = api_client.post(
            "/v2/subscribers/ann%40example.com/events",
            {"value": 23.9, "descripton": "Bought the course", "campaign_uuid": "MF9a78983d1c"},
            format="json",
        )
        assert response.status_code == 201
        event = response.json()["event"]
        assert event["value"] == 23.9
        assert event["description"] == "Bought the course"
        assert event["campaign_uuid"] == "MF9a78983d1c"
        assert event["subscriber_uuid"] == created["uuid"]
        assert ISO_Z.match(event["created_at"])

    def test_it_records_an_event_wrapped_in_event(self, api_client: APIClient) -> None:
        created = create(api_client, email="ann@example.com")
        response = api_client.post(
            f"/v2/subscribers/{created['uuid']}/events",
            {"event": {"value": 1490, "description": "Plan"}},
            format="json",
        )
        assert response.status_code == 201
        assert response.json()["event"]["value"] == 1490
        assert SubscriberEvent.objects.get().value_cents == 149000

    @pytest.mark.parametrize("body", [{}, {"value": None}, {"event": {"description": "x"}}])
    def test_it_requires_a_value(self, api_client: APIClient, body: dict[str, Any]) -> None:
        create(api_client, email="ann@example.com")
        response = api_client.post("/v2/subscribers/ann%40example.com/events", body, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "You have to provide a value"

    @pytest.mark.parametrize("value", ["lots", True, [1], 1e20])
    def test_it_refuses_a_value_that_is_not_a_number(
        self, api_client: APIClient, value: object
    ) -> None:
        create(api_client, email="ann@example.com")
        response = api_client.post(
            "/v2/subscribers/ann%40example.com/events", {"value": value}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["error"] == "Value must be a number"

    def test_it_answers_a_blank_identifier(self, api_client: APIClient) -> None:
        response = api_client.post("/v2/subscribers/%20/events", {"value": 1}, format="json")
        assert response.status_code == 400
        assert response.json() == {"error": "Subscriber uuid or email blank!"}

    def test_it_answers_404_for_an_unknown_subscriber(self, api_client: APIClient) -> None:
        response = api_client.post(
            "/v2/subscribers/john.doe%40email.com/events", {"value": 1}, format="json"
        )
        assert response.status_code == 404
        assert response.json() == {"error": "Subscriber john.doe@email.com not found!"}

    def test_it_returns_404_for_other_teams_subscriber(
        self, api_client: APIClient, other_client: APIClient
    ) -> None:
        foreign = create(other_client, email="secret@example.com")
        response = api_client.post(
            f"/v2/subscribers/{foreign['uuid']}/events", {"value": 1}, format="json"
        )
        assert response.status_code == 404
        assert not SubscriberEvent.objects.exists()


class TestAuthentication:
    def test_it_answers_401_without_a_key(self, anon_client: APIClient) -> None:
        response = anon_client.get("/v2/subscribers")
        assert response.status_code == 401
        assert response.json() == {"error": "API key is missing!"}

    def test_it_answers_401_for_an_unknown_key(self, anon_client: APIClient) -> None:
        anon_client.credentials(HTTP_X_API_KEY="12cf8cf8538c3685b0f36308")
        response = anon_client.get("/v2/subscribers")
        assert response.status_code == 401
        assert response.json() == {"error": "User not found!"}

    def test_it_answers_401_for_a_revoked_key(self, api_client: APIClient, team: Team) -> None:
        team.api_keys.update(revoked_at="2021-01-01T00:00:00Z")
        response = api_client.get("/v2/subscribers")
        assert response.status_code == 401
        assert response.json() == {"error": "User not found!"}

    def test_it_answers_401_before_validating_the_body(self, anon_client: APIClient) -> None:
        response = anon_client.post("/v2/subscribers", {}, format="json")
        assert response.status_code == 401


class TestErrorsAreJson:
    def test_an_unknown_path_is_a_json_404(self, api_client: APIClient) -> None:
        response = api_client.get("/v2/nothing-here")
        assert response.status_code == 404
        assert "error" in response.json()

    def test_an_unsupported_method_is_a_json_405(self, api_client: APIClient) -> None:
        response = api_client.delete("/v2/subscribers")
        assert response.status_code == 405
        assert "error" in response.json()


def test_service_create_is_the_same_as_the_api(team: Team) -> None:
    subscriber = subscriber_create(team=team, email="svc@example.com")
    assert subscriber.origin == "sparkloop-api"
    assert subscriber.status == Subscriber.Status.PENDING


def test_a_request_records_when_the_key_was_last_used(api_client: APIClient, team: Team) -> None:
    assert team.api_keys.get().last_used_at is None
    api_client.get("/v2/subscribers")
    first = team.api_keys.get().last_used_at
    api_client.get("/v2/subscribers")
    assert first is not None
    # Refreshed at most every few minutes: the second request costs no write.
    assert team.api_keys.get().last_used_at == first


def test_the_api_keeps_answering_when_the_cache_is_down(
    api_client: APIClient, settings: object
) -> None:
    # A real Redis client against a port nothing listens on: the cache only serves
    # bookkeeping (last_used_at, rate limits), so requests still succeed.
    settings.CACHES = {  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = api_client.get("/v2/subscribers")
    assert response.status_code == 200
    assert response.json()["meta"]["total_subscribers"] == 0
