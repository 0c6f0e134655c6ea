"""HTTP contract of the subscriber endpoints: create, list, read (spec: Subscribers).

Updates, unsubscribe, reject, delete, events and errors: tests/api/test_subscribers_changes.py.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from sparkloop.models import Team
from subscribers.models import Subscriber
from tests.clients import KeyedClient
from webhooks.models import Event

pytestmark = pytest.mark.django_db

SUBSCRIBER_FIELDS = {
    "uuid",
    "email",
    "name",
    "ref_code",
    "referrer_code",
    "referred",
    "referral_status",
    "ip_address",
    "user_agent",
    "origin",
    "country_code",
    "cpa",
    "utm_source",
    "utm_campaign",
    "created_at",
    "status",
}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def create(client: APIClient, **body: object) -> dict[str, Any]:
    response = client.post("/v2/subscribers", body, format="json")
    assert response.status_code == 201, response.content
    result: dict[str, Any] = response.json()["subscriber"]
    return result


class TestCreate:
    def test_it_creates_a_subscriber_with_every_field(self, api_client: APIClient) -> None:
        response = api_client.post(
            "/v2/subscribers",
            {
                "email": "Ann@Example.com",
                "name": "Ann Reader",
                "ip_address": "203.0.113.9",
                "user_agent": "Mozilla/5.0",
                "utm_source": "twitter",
                "utm_campaign": "launch",
                "country_code": "us",
                "created_at": "2021-03-22T19:20:30+01:00",
            },
            format="json",
        )

        assert response.status_code == 201
        assert response["Content-Type"] == "application/json; charset=utf-8"
        body = response.json()["subscriber"]
        assert set(body) == SUBSCRIBER_FIELDS
        assert re.fullmatch(r"sub_[0-9a-f]{12}", body["uuid"])
        assert len(body["ref_code"]) == 8
        assert body["email"] == "Ann@Example.com"
        assert body["name"] == "Ann Reader"
        assert body["origin"] == "sparkloop-api"
        assert body["country_code"] == "US"
        assert body["status"] == "pending"
        assert body["referred"] is False
        assert body["referrer_code"] is None
        assert body["referral_status"] is None
        assert body["cpa"] is None
        assert body["created_at"] == "2021-03-22T18:20:30.000Z"

    def test_it_defaults_created_at_to_now_in_the_wire_format(self, api_client: APIClient) -> None:
        body = create(api_client, email="a@example.com")
        assert ISO_Z.match(body["created_at"])

    def test_it_accepts_a_fractional_w3c_timestamp(self, api_client: APIClient) -> None:
        body = create(api_client, email="a@example.com", created_at="2021-03-24T11:55:02.113Z")
        assert body["created_at"] == "2021-03-24T11:55:02.113Z"

    def test_it_ignores_unknown_keys(self, api_client: APIClient) -> None:
        body = create(api_client, email="a@example.com", favourite_colour="blue", tags=[1])
        assert "favourite_colour" not in body

    def test_it_accepts_a_status(self, api_client: APIClient) -> None:
        assert create(api_client, email="a@example.com", status="confirmed")["status"] == (
            "confirmed"
        )

    def test_it_is_served_under_the_api_prefix_and_with_a_trailing_slash(
        self, api_client: APIClient
    ) -> None:
        response = api_client.post("/api/v2/subscribers/", {"email": "a@x.com"}, format="json")
        assert response.status_code == 201

    def test_it_accepts_a_form_encoded_body(self, api_client: APIClient) -> None:
        response = api_client.post(
            "/v2/subscribers",
            "email=form%40example.com",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 201

    def test_it_writes_a_sync_subscriber_event(self, api_client: APIClient, team: Team) -> None:
        body = create(api_client, email="a@example.com", name="Ann Reader")
        event = Event.objects.get(team=team, type="sync_subscriber")
        assert "event" not in event.payload
        assert event.payload["type"] == "sync_subscriber"
        subscriber = event.payload["subscriber"]
        assert subscriber["id"] == body["uuid"]
        assert subscriber["first_name"] == "Ann"
        assert subscriber["referral_code"] == body["ref_code"]
        assert isinstance(subscriber["created_at"], int)

    @pytest.mark.parametrize("body", [{}, {"email": ""}, {"email": None}, {"name": "x"}])
    def test_it_requires_an_email(self, api_client: APIClient, body: dict[str, Any]) -> None:
        response = api_client.post("/v2/subscribers", body, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "You have to provide at least an email"

    @pytest.mark.parametrize("email", ["nope", "a@", "@b.com", "a b@c.com", "x" * 300 + "@b.com"])
    def test_it_refuses_a_malformed_email(self, api_client: APIClient, email: str) -> None:
        response = api_client.post("/v2/subscribers", {"email": email}, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "Email is invalid"

    def test_it_refuses_an_email_given_as_a_list(self, api_client: APIClient) -> None:
        response = api_client.post("/v2/subscribers", {"email": ["a@b.com"]}, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "Email is invalid"

    def test_it_refuses_a_duplicate_email_in_any_case(self, api_client: APIClient) -> None:
        create(api_client, email="ann@example.com")
        response = api_client.post("/v2/subscribers", {"email": "ANN@example.COM"}, format="json")
        assert response.status_code == 400
        assert response.json() == {"error": "Email has already been taken"}

    def test_it_allows_the_same_email_in_another_team(
        self, api_client: APIClient, other_client: APIClient
    ) -> None:
        create(api_client, email="ann@example.com")
        create(other_client, email="ann@example.com")

    @pytest.mark.parametrize(
        ("body", "fragment"),
        [
            ({"email": "a@b.com", "name": "x" * 10_000}, "Name"),
            ({"email": "a@b.com", "name": ["Ann"]}, "Name"),
            ({"email": "a@b.com", "name": {"first": "Ann"}}, "Name"),
            ({"email": "a@b.com", "name": 12}, "Name"),
            ({"email": "a@b.com", "name": "A\x00nn"}, "Name"),
            ({"email": "a@b.com", "created_at": "yesterday"}, "Created at"),
            ({"email": "a@b.com", "country_code": "USA"}, "Country code"),
            ({"email": "a@b.com", "status": "gone"}, "Invalid status!"),
        ],
    )
    def test_it_answers_bad_types_with_a_400(
        self, api_client: APIClient, body: dict[str, Any], fragment: str
    ) -> None:
        response = api_client.post("/v2/subscribers", body, format="json")
        assert response.status_code == 400
        assert fragment in response.json()["error"]
        assert not Subscriber.objects.exists()

    def test_it_answers_malformed_json_with_a_400(self, api_client: APIClient) -> None:
        response = api_client.post("/v2/subscribers", '{"email": ', content_type="application/json")
        assert response.status_code == 400
        assert "error" in response.json()

    def test_it_answers_a_json_array_body_with_a_400(self, api_client: APIClient) -> None:
        response = api_client.post("/v2/subscribers", "[1]", content_type="application/json")
        assert response.status_code == 400
        assert "error" in response.json()

    def test_it_answers_an_unsupported_media_type_in_json(self, api_client: APIClient) -> None:
        response = api_client.post("/v2/subscribers", "<a/>", content_type="application/xml")
        assert response.status_code == 415
        assert "error" in response.json()


class TestReferralAttribution:
    def test_it_refers_a_subscriber_by_the_referrers_code(
        self, api_client: APIClient, team: Team
    ) -> None:
        referrer = create(api_client, email="ref@example.com")
        body = create(api_client, email="new@example.com", referrer_code=referrer["ref_code"])

        assert body["referred"] is True
        assert body["referrer_code"] == referrer["ref_code"]
        assert body["referral_status"] == "pending"
        assert Subscriber.objects.get(public_id=referrer["uuid"]).referrals_count == 1

    def test_an_unknown_code_creates_the_subscriber_unreferred(self, api_client: APIClient) -> None:
        body = create(api_client, email="new@example.com", referrer_code="nope1234")
        assert body["referred"] is False
        assert body["referrer_code"] is None

    def test_a_code_of_another_team_never_matches(
        self, api_client: APIClient, other_client: APIClient
    ) -> None:
        foreign = create(other_client, email="ref@example.com")
        body = create(api_client, email="new@example.com", referrer_code=foreign["ref_code"])
        assert body["referred"] is False

    def test_confirming_a_pending_referral_verifies_it(
        self, api_client: APIClient, team: Team
    ) -> None:
        referrer = create(api_client, email="ref@example.com")
        referred = create(api_client, email="new@example.com", referrer_code=referrer["ref_code"])

        response = api_client.put(
            f"/v2/subscribers/{referred['uuid']}", {"status": "confirmed"}, format="json"
        )

        assert response.status_code == 200
        assert response.json()["subscriber"]["referral_status"] == "verified"
        row = Subscriber.objects.get(public_id=referrer["uuid"])
        assert (row.referrals_count, row.verified_referrals_count) == (1, 1)
        event = Event.objects.get(team=team, type="new_referral")
        assert event.payload["referrer"]["tot_referrals"] == 1
        assert event.payload["subscriber"]["id"] == referred["uuid"]

    def test_creating_a_referred_subscriber_confirmed_verifies_at_once(
        self, api_client: APIClient
    ) -> None:
        referrer = create(api_client, email="ref@example.com")
        body = create(
            api_client,
            email="new@example.com",
            referrer_code=referrer["ref_code"],
            status="confirmed",
        )
        assert body["referral_status"] == "verified"
        assert Subscriber.objects.get(public_id=referrer["uuid"]).verified_referrals_count == 1


class TestList:
    def test_it_lists_newest_first_with_meta(self, api_client: APIClient) -> None:
        for n, day in enumerate(["2021-01-02", "2021-01-03", "2021-01-01"]):
            create(api_client, email=f"r{n}@example.com", created_at=f"{day}T00:00:00Z")

        response = api_client.get("/v2/subscribers")

        assert response.status_code == 200
        body = response.json()
        assert [s["email"] for s in body["subscribers"]] == [
            "r1@example.com",
            "r0@example.com",
            "r2@example.com",
        ]
        assert body["meta"] == {
            "per_page": 50,
            "page": 1,
            "total_pages": 1,
            "total_subscribers": 3,
        }

    def test_it_breaks_created_at_ties_by_id(self, api_client: APIClient) -> None:
        for n in range(3):
            create(api_client, email=f"r{n}@example.com", created_at="2021-01-01T00:00:00Z")
        emails = [s["email"] for s in api_client.get("/v2/subscribers").json()["subscribers"]]
        assert emails == ["r2@example.com", "r1@example.com", "r0@example.com"]

    def test_it_paginates(self, api_client: APIClient) -> None:
        for n in range(5):
            create(api_client, email=f"r{n}@example.com")

        body = api_client.get("/v2/subscribers", {"page": 2, "per_page": 2}).json()

        assert [s["email"] for s in body["subscribers"]] == ["r2@example.com", "r1@example.com"]
        assert body["meta"] == {"per_page": 2, "page": 2, "total_pages": 3, "total_subscribers": 5}

    def test_a_page_past_the_end_is_empty_with_meta(self, api_client: APIClient) -> None:
        create(api_client, email="a@example.com")
        body = api_client.get("/v2/subscribers", {"page": 9}).json()
        assert body["subscribers"] == []
        assert body["meta"]["total_subscribers"] == 1
        assert body["meta"]["page"] == 9

    def test_per_page_is_clamped_to_200(self, api_client: APIClient) -> None:
        assert api_client.get("/v2/subscribers", {"per_page": 5000}).json()["meta"]["per_page"] == (
            200
        )

    @pytest.mark.parametrize(
        ("param", "value", "error"),
        [
            ("page", "0", "Page must be a positive integer"),
            ("page", "-1", "Page must be a positive integer"),
            ("page", "abc", "Page must be a positive integer"),
            ("page", "1.5", "Page must be a positive integer"),
            ("per_page", "0", "Per page must be a positive integer"),
            ("per_page", "ten", "Per page must be a positive integer"),
        ],
    )
    def test_it_refuses_a_page_that_is_not_a_positive_integer(
        self, api_client: APIClient, param: str, value: str, error: str
    ) -> None:
        response = api_client.get("/v2/subscribers", {param: value})
        assert response.status_code == 400
        assert response.json()["error"] == error

    def test_it_filters_referrals_and_advocates(self, api_client: APIClient) -> None:
        referrer = create(api_client, email="ref@example.com")
        create(api_client, email="new@example.com", referrer_code=referrer["ref_code"])
        create(api_client, email="lone@example.com")

        referrals = api_client.get("/v2/subscribers", {"type": "referrals"}).json()
        advocates = api_client.get("/v2/subscribers", {"type": "advocates"}).json()
        everyone = api_client.get("/v2/subscribers", {"type": "all"}).json()

        assert [s["email"] for s in referrals["subscribers"]] == ["new@example.com"]
        assert referrals["meta"]["total_subscribers"] == 1
        assert [s["email"] for s in advocates["subscribers"]] == ["ref@example.com"]
        assert advocates["meta"]["total_subscribers"] == 1
        assert everyone["meta"]["total_subscribers"] == 3

    def test_it_refuses_an_unknown_type(self, api_client: APIClient) -> None:
        response = api_client.get("/v2/subscribers", {"type": "vip"})
        assert response.status_code == 400
        assert response.json()["error"] == "Type must be one of all, referrals, advocates"

    def test_expand_campaigns_adds_referral_programs(self, api_client: APIClient) -> None:
        create(api_client, email="a@example.com")
        body = api_client.get("/v2/subscribers", {"expand": "campaigns"}).json()
        assert isinstance(body["subscribers"][0]["referral_programs"], list)
        plain = api_client.get("/v2/subscribers").json()
        assert "referral_programs" not in plain["subscribers"][0]

    def test_it_never_lists_another_teams_subscribers(
        self, api_client: APIClient, other_client: APIClient
    ) -> None:
        create(other_client, email="secret@example.com")
        body = api_client.get("/v2/subscribers").json()
        assert body["subscribers"] == []
        assert body["meta"]["total_subscribers"] == 0

    def test_a_get_with_a_content_type_and_no_body_works(self, api_client: APIClient) -> None:
        response = api_client.get("/v2/subscribers", content_type="application/json")
        assert response.status_code == 200


class TestRetrieve:
    def test_it_finds_by_uuid(self, api_client: APIClient) -> None:
        created = create(api_client, email="ann@example.com")
        response = api_client.get(f"/v2/subscribers/{created['uuid']}")
        assert response.status_code == 200
        assert response.json()["subscriber"] == created

    @pytest.mark.parametrize("spelling", ["ann+news@example.com", "ANN+News@Example.com"])
    def test_it_finds_by_url_encoded_email_in_any_case(
        self, api_client: APIClient, spelling: str
    ) -> None:
        created = create(api_client, email="ann+news@example.com")
        response = api_client.get(f"/v2/subscribers/{quote(spelling, safe='')}")
        assert response.status_code == 200
        assert response.json()["subscriber"]["uuid"] == created["uuid"]

    def test_it_accepts_the_key_header_in_upper_case(self, api_client: KeyedClient) -> None:
        created = create(api_client, email="ann@example.com")
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=api_client.raw_key)
        assert client.get(f"/v2/subscribers/{created['uuid']}").status_code == 200

    @pytest.mark.parametrize("identifier", ["sub_000000000000", "nobody@example.com"])
    def test_it_answers_404_for_an_unknown_subscriber(
        self, api_client: APIClient, identifier: str
    ) -> None:
        response = api_client.get(f"/v2/subscribers/{quote(identifier)}")
        assert response.status_code == 404
        assert response.json() == {"error": f"Subscriber {identifier} not found!"}

    @pytest.mark.parametrize("identifier", ["a%00b", "a%00%40b.com"])
    def test_it_answers_404_for_an_identifier_with_a_nul_byte(
        self, api_client: APIClient, identifier: str
    ) -> None:
        response = api_client.get(f"/v2/subscribers/{identifier}")
        assert response.status_code == 404
        assert "not found!" in response.json()["error"]

    def test_it_returns_404_for_other_teams_subscriber(
        self, api_client: APIClient, other_client: APIClient
    ) -> None:
        foreign = create(other_client, email="secret@example.com")
        for identifier in (foreign["uuid"], "secret@example.com"):
            response = api_client.get(f"/v2/subscribers/{quote(identifier)}")
            assert response.status_code == 404
            assert response.json() == {"error": f"Subscriber {identifier} not found!"}
