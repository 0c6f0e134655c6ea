"""`POST` and `PUT /v2/subscribers/batch`: per item as single writes, bounded statements."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals.models import CampaignMembership, Referral
from sparkloop.counters import counter_get
from sparkloop.models import Team, TeamCounter
from subscribers.models import Subscriber
from subscribers.services import subscriber_create
from tests.clients import KeyedClient
from tests.conftest import expand_events
from webhooks.models import Event, WebhookDelivery
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db

URL = "/v2/subscribers/batch"


def post(client: KeyedClient, items: Any) -> Any:
    response = client.post(URL, {"subscribers": items}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def put(client: KeyedClient, items: Any) -> Any:
    response = client.put(URL, {"subscribers": items}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_batch_create_answers_each_item_in_order(api_client: KeyedClient, team: Team) -> None:
    body = post(
        api_client,
        [{"email": "ann@example.com", "name": "Ann"}, {"email": "bad"}, {"email": "b@example.com"}],
    )

    assert [(r["index"], r["status"]) for r in body["results"]] == [(0, 201), (1, 400), (2, 201)]
    assert body["results"][0]["subscriber"]["email"] == "ann@example.com"
    assert body["results"][0]["subscriber"]["name"] == "Ann"
    assert body["results"][0]["subscriber"]["uuid"].startswith("sub_")
    assert body["results"][1] == {"index": 1, "status": 400, "error": "Email is invalid"}
    assert body["meta"] == {"created": 2, "failed": 1}
    assert Subscriber.objects.filter(team=team).count() == 2
    assert counter_get(team=team, name="subscribers") == 2


@pytest.mark.parametrize(
    ("item", "error"),
    [
        ({}, "You have to provide at least an email"),
        ({"email": "x@example.com", "status": "gone"}, "Invalid status!"),
        ({"email": "x@example.com", "ref_code": "a b"}, "Ref code is invalid"),
        ({"email": "x@example.com", "ref_code": "abc"}, "Ref code is invalid"),
        ({"email": "x@example.com", "ref_code": "a" * 17}, "Ref code is invalid"),
        (
            {"email": "x@example.com", "country_code": "USA"},
            "Country code must be an ISO 3166-1 alpha-2 code",
        ),
        ("not an object", "Each subscriber must be a JSON object"),
    ],
)
def test_batch_create_gives_the_single_creates_error_strings(
    api_client: KeyedClient, item: Any, error: str
) -> None:
    body = post(api_client, [item])

    assert body["results"] == [{"index": 0, "status": 400, "error": error}]
    assert body["meta"] == {"created": 0, "failed": 1}


def test_single_create_and_batch_item_share_error_strings(api_client: KeyedClient) -> None:
    for item in ({"email": "nope"}, {"email": "x@example.com", "status": "gone"}):
        single = api_client.post("/v2/subscribers", item, format="json").json()["error"]
        assert post(api_client, [item])["results"][0]["error"] == single


def test_an_existing_email_and_a_repeat_in_the_batch_are_taken(
    api_client: KeyedClient, team: Team
) -> None:
    subscriber_create(team=team, email="old@example.com")

    body = post(
        api_client,
        [{"email": "OLD@example.com"}, {"email": "new@example.com"}, {"email": "New@Example.com"}],
    )

    assert [r["status"] for r in body["results"]] == [400, 201, 400]
    assert body["results"][0]["error"] == "Email has already been taken"
    assert body["results"][2]["error"] == "Email has already been taken"


def test_own_ref_codes_are_kept_and_taken_case_insensitively(
    api_client: KeyedClient, team: Team
) -> None:
    Subscriber.objects.filter(pk=subscriber_create(team=team, email="o@example.com").pk).update(
        ref_code="OldCode"
    )

    body = post(
        api_client,
        [
            {"email": "a@example.com", "ref_code": "oldcode"},
            {"email": "b@example.com", "ref_code": "Keep_Me-1"},
            {"email": "c@example.com", "ref_code": "KEEP_ME-1"},
        ],
    )

    assert [r["status"] for r in body["results"]] == [400, 201, 400]
    assert body["results"][0]["error"] == "Ref code has already been taken"
    assert body["results"][1]["subscriber"]["ref_code"] == "Keep_Me-1"
    assert body["results"][2]["error"] == "Ref code has already been taken"


def test_an_earlier_item_can_refer_a_later_one(api_client: KeyedClient, team: Team) -> None:
    body = post(
        api_client,
        [
            {"email": "ref@example.com", "ref_code": "moved-code"},
            {"email": "kid@example.com", "referrer_code": "moved-code"},
            {"email": "grandkid@example.com", "referrer_code": "unknown"},
        ],
    )

    kid = body["results"][1]["subscriber"]
    assert kid["referred"] is True
    assert kid["referrer_code"] == "moved-code"
    assert kid["referral_status"] == "pending"
    assert body["results"][2]["subscriber"]["referred"] is False
    referrer = Subscriber.objects.get(team=team, email="ref@example.com")
    assert referrer.referrals_count == 1
    assert Subscriber.objects.get(team=team, email="kid@example.com").referrer == referrer
    assert counter_get(team=team, name="subscribers.advocates") == 1
    assert counter_get(team=team, name="subscribers.referred") == 1
    assert Referral.objects.filter(referrer=referrer).count() == 1


def _world(team: Team) -> dict[str, Any]:
    """What a team's writes left behind, without ids: to compare two ways of writing."""
    subscribers = {
        s.email: (s.referred, s.referral_status, s.referrals_count, s.verified_referrals_count)
        for s in Subscriber.objects.filter(team=team)
    }
    counters = Counter[str]()
    for counter in TeamCounter.objects.filter(team=team):
        name = counter.name
        if name.startswith("campaign."):
            name = "campaign." + name.split(".")[2]
        counters[name] += counter.value
    events = Counter(Event.objects.filter(team=team).values_list("type", flat=True))
    return {
        "subscribers": subscribers,
        "counters": {k: v for k, v in counters.items() if v},
        "memberships": sorted(
            (m.subscriber.email, m.referred, m.referrals_count, m.verified_referrals_count)
            for m in CampaignMembership.objects.filter(team=team).select_related("subscriber")
        ),
        "referrals": sorted(
            (r.referred.email, r.status)
            for r in Referral.objects.filter(team=team).select_related("referred")
        ),
        "events": dict(events),
        "deliveries": WebhookDelivery.objects.filter(team=team).count(),
    }


ITEMS: list[dict[str, Any]] = [
    {"email": "a@example.com", "ref_code": "code-a"},
    {"email": "b@example.com", "referrer_code": "code-a", "status": "confirmed"},
    {"email": "c@example.com", "referrer_code": "code-a"},
    {"email": "d@example.com", "status": "confirmed"},
    {"email": "e@example.com", "status": "unsubscribed", "name": "E"},
    {"email": "f@example.com", "referrer_code": "code-b"},
]


def test_a_batch_leaves_what_the_same_single_creates_leave(
    api_client: KeyedClient, other_client: KeyedClient, team: Team, other_team: Team
) -> None:
    for t in (team, other_team):
        endpoint_create(team=t, url="https://hooks.example.com/x", events={})
        subscriber_create(team=t, email="z@example.com")
        Subscriber.objects.filter(team=t, email="z@example.com").update(ref_code="code-b")
    for item in ITEMS:  # single creates, for the other team (a single create has no ref_code)
        single = {k: v for k, v in item.items() if k != "ref_code"}
        response = other_client.post("/v2/subscribers", single, format="json")
        assert response.status_code == 201
        if "ref_code" in item:
            Subscriber.objects.filter(team=other_team, email=item["email"]).update(
                ref_code=item["ref_code"]
            )

    post(api_client, ITEMS)

    assert _world(team) == _world(other_team)
    assert _world(team)["events"]["sync_subscriber"] == 7


def test_a_batch_of_a_thousand_creates_takes_a_bounded_number_of_statements(
    api_client: KeyedClient, team: Team
) -> None:
    endpoint_create(team=team, url="https://hooks.example.com/x", events={})
    items = [{"email": f"reader{i}@example.com", "name": f"R {i}"} for i in range(1000)]

    with CaptureQueriesContext(connection) as queries:
        body = post(api_client, items)

    assert body["meta"] == {"created": 1000, "failed": 0}
    # SQLite caps a statement's variables: Django splits each bulk INSERT there into
    # statements of a few dozen rows (still a few per hundred rows, never a few per row).
    limit = 30 if connection.vendor == "postgresql" else 100
    assert len(queries) <= limit, [q["sql"][:80] for q in queries]
    assert Event.objects.filter(team=team, type="sync_subscriber").count() == 1000
    expand_events()
    assert WebhookDelivery.objects.filter(team=team).count() == 1000


def test_a_referred_item_costs_a_bounded_number_of_statements_more(
    api_client: KeyedClient, team: Team
) -> None:
    subscriber_create(team=team, email="ref@example.com")
    code = Subscriber.objects.get(team=team).ref_code

    def statements(count: int) -> int:
        items = [{"email": f"{count}-{i}@example.com", "referrer_code": code} for i in range(count)]
        with CaptureQueriesContext(connection) as queries:
            post(api_client, items)
        return len(queries)

    one, eleven = statements(1), statements(11)
    assert (eleven - one) / 10 <= 25


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"subscribers": "x"}, "Subscribers must be a list"),
        ({"subscribers": {"email": "a@example.com"}}, "Subscribers must be a list"),
        ({"subscribers": []}, "Subscribers can't be blank"),
        ({}, "Subscribers can't be blank"),
        (
            {"subscribers": [{"email": "a@example.com"}] * 1001},
            "Too many subscribers (maximum is 1000)",
        ),
    ],
)
@pytest.mark.parametrize("method", ["post", "put"])
def test_the_whole_request_is_refused(
    api_client: KeyedClient, team: Team, body: Any, error: str, method: str
) -> None:
    response = getattr(api_client, method)(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == error
    assert not Subscriber.objects.filter(team=team).exists()


def test_batch_update_answers_each_item(
    api_client: KeyedClient, team: Team, other_team: Team
) -> None:
    ann = subscriber_create(team=team, email="ann@example.com")
    theirs = subscriber_create(team=other_team, email="theirs@example.com")

    body = put(
        api_client,
        [
            {"identifier": ann.public_id, "status": "confirmed", "name": "Ann"},
            {"identifier": theirs.public_id, "name": "Stolen"},
            {"identifier": "theirs@example.com", "name": "Stolen"},
            {"identifier": "ann@example.com", "status": "pending"},
            {"identifier": " ", "name": "x"},
            {"identifier": "ann@example.com"},
        ],
    )

    assert body["results"][0]["status"] == 200
    assert body["results"][0]["subscriber"]["status"] == "confirmed"
    assert body["results"][0]["subscriber"]["name"] == "Ann"
    assert body["results"][1:] == [
        {"index": 1, "status": 404, "error": f"Subscriber {theirs.public_id} not found!"},
        {"index": 2, "status": 404, "error": "Subscriber theirs@example.com not found!"},
        {"index": 3, "status": 400, "error": "Invalid status!"},
        {"index": 4, "status": 400, "error": "Subscriber uuid or email blank!"},
        {"index": 5, "status": 400, "error": "You have to update at least 1 field."},
    ]
    assert body["meta"] == {"updated": 1, "failed": 5}
    theirs.refresh_from_db()
    assert theirs.name is None


def test_batch_update_of_a_taken_email_fails_alone(api_client: KeyedClient, team: Team) -> None:
    subscriber_create(team=team, email="a@example.com")
    subscriber_create(team=team, email="b@example.com")

    body = put(
        api_client,
        [
            {"identifier": "a@example.com", "email": "B@example.com"},
            {"identifier": "b@example.com", "name": "Bee"},
        ],
    )

    assert body["results"][0] == {
        "index": 0,
        "status": 400,
        "error": "Email has already been taken",
    }
    assert body["results"][1]["subscriber"]["name"] == "Bee"


def test_batch_creates_stay_in_the_callers_team(
    other_client: KeyedClient, team: Team, other_team: Team
) -> None:
    subscriber_create(team=team, email="mine@example.com")
    code = Subscriber.objects.get(team=team).ref_code

    body = post(other_client, [{"email": "mine@example.com", "referrer_code": code}])

    assert body["results"][0]["status"] == 201
    assert body["results"][0]["subscriber"]["referred"] is False
    assert Subscriber.objects.filter(team=other_team).count() == 1


def test_batch_is_served_under_api_v2_too(api_client: KeyedClient) -> None:
    response = api_client.post(
        "/api/v2/subscribers/batch/", {"subscribers": [{"email": "a@example.com"}]}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["meta"] == {"created": 1, "failed": 0}
