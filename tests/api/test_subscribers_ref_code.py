"""A single create's own `ref_code` (spec bulk.md, Batch endpoints: an extension).

4-16 of `A-Z a-z 0-9 _ -`, else 400 `Ref code is invalid`; one the team has in any case is
400 `Ref code has already been taken` (never swapped for a random one), also when two
creates race for it; without one a code is generated as before.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from referrals.v1.serializers import V1SubscriberCreateInputSerializer
from sparkloop.counters import counter_get
from sparkloop.exceptions import Conflict, ServiceError
from sparkloop.models import Team
from sparkloop.services import api_key_create
from subscribers.models import Subscriber
from subscribers.services import subscriber_create
from tests.clients import KeyedClient
from webhooks.models import Event

INVALID = {"error": "Ref code is invalid"}
TAKEN = {"error": "Ref code has already been taken"}
GENERATED = re.compile(r"^[0-9a-f]{8}$")


def post(client: APIClient, **body: Any) -> Any:
    return client.post("/v2/subscribers", body, format="json")


@pytest.mark.django_db
class TestOwnRefCode:
    def test_it_keeps_the_code_given_and_a_later_create_is_referred_by_it(
        self, api_client: KeyedClient, team: Team
    ) -> None:
        response = post(api_client, email="ann@example.com", ref_code="Ann_2024-x")

        assert response.status_code == 201, response.content
        assert response.json()["subscriber"]["ref_code"] == "Ann_2024-x"
        assert Subscriber.objects.get(team=team, email="ann@example.com").ref_code == "Ann_2024-x"

        friend = post(api_client, email="bob@example.com", referrer_code="Ann_2024-x").json()
        assert friend["subscriber"]["referred"] is True
        assert friend["subscriber"]["referrer_code"] == "Ann_2024-x"
        assert friend["subscriber"]["referral_status"] == "pending"

    @pytest.mark.parametrize("code", ["abcd", "A" * 16, "____", "----", "0123"])
    def test_it_takes_each_shape_the_spec_allows(self, api_client: KeyedClient, code: str) -> None:
        response = post(api_client, email="ann@example.com", ref_code=code)

        assert response.status_code == 201, response.content
        assert response.json()["subscriber"]["ref_code"] == code

    @pytest.mark.parametrize("body", [{}, {"ref_code": None}, {"ref_code": ""}])
    def test_it_generates_a_code_without_one(self, api_client: KeyedClient, body: Any) -> None:
        response = post(api_client, email="ann@example.com", **body)

        assert response.status_code == 201, response.content
        assert GENERATED.match(response.json()["subscriber"]["ref_code"])

    @pytest.mark.parametrize(
        "code",
        [
            "abc",  # too short
            "a" * 17,  # too long
            "a b c",
            "abc!",
            "abcé",
            "ab.cd",
            "ab\ncd",
            12345,
            1234.5,
            True,
            ["abcd"],
            {"code": "abcd"},
        ],
    )
    def test_it_refuses_an_invalid_code(
        self, api_client: KeyedClient, team: Team, code: Any
    ) -> None:
        response = post(api_client, email="ann@example.com", ref_code=code)

        assert response.status_code == 400
        assert response.json()["error"] == INVALID["error"]
        assert not Subscriber.objects.filter(team=team).exists()

    @pytest.mark.parametrize("again", ["Ann-code", "ann-code", "ANN-CODE"])
    def test_it_refuses_a_code_the_team_has_in_any_case(
        self, api_client: KeyedClient, team: Team, again: str
    ) -> None:
        post(api_client, email="ann@example.com", ref_code="Ann-code")
        events = Event.objects.count()

        response = post(api_client, email="bob@example.com", ref_code=again)

        assert (response.status_code, response.json()) == (400, TAKEN)
        # No row, no event, no counter move, and no random code instead.
        assert list(Subscriber.objects.filter(team=team).values_list("email", flat=True)) == [
            "ann@example.com"
        ]
        assert Event.objects.count() == events
        assert counter_get(team=team, name="subscribers") == 1

    def test_it_refuses_a_generated_code_taken_in_another_case(
        self, api_client: KeyedClient
    ) -> None:
        generated = post(api_client, email="ann@example.com").json()["subscriber"]["ref_code"]

        response = post(api_client, email="bob@example.com", ref_code=generated.upper())

        assert (response.status_code, response.json()) == (400, TAKEN)

    def test_a_taken_email_is_answered_before_a_taken_code(self, api_client: KeyedClient) -> None:
        post(api_client, email="ann@example.com", ref_code="ann-code")

        response = post(api_client, email="ANN@example.com", ref_code="ann-code")

        assert (response.status_code, response.json()) == (
            400,
            {"error": "Email has already been taken"},
        )

    def test_another_team_may_use_the_same_code(
        self, api_client: KeyedClient, other_client: KeyedClient, other_team: Team
    ) -> None:
        post(api_client, email="ann@example.com", ref_code="shared")

        response = post(other_client, email="charlie@example.com", ref_code="SHARED")

        assert response.status_code == 201, response.content
        assert Subscriber.objects.get(team=other_team).ref_code == "SHARED"
        # And their code refers nobody of ours: a referrer is looked up in the team only.
        mine = post(api_client, email="bob@example.com", referrer_code="SHARED").json()
        assert mine["subscriber"]["referred"] is False

    def test_a_create_with_a_code_runs_as_many_statements_as_one_without(
        self, api_client: KeyedClient
    ) -> None:
        post(api_client, email="warm@example.com")  # first-create work (counter rows) done
        counts = []
        for body in ({"email": "a@example.com"}, {"email": "b@example.com", "ref_code": "b-c0de"}):
            with CaptureQueriesContext(connection) as captured:
                assert post(api_client, **body).status_code == 201
            counts.append(len(captured))

        assert counts[0] == counts[1]

    @pytest.mark.parametrize("code", ["abc", "a" * 17, "ab cd"])
    def test_the_service_refuses_an_invalid_code_from_any_caller(
        self, team: Team, code: str
    ) -> None:
        with pytest.raises(ServiceError) as raised:
            subscriber_create(team=team, email="ann@example.com", ref_code=code)

        assert raised.value.message == INVALID["error"]
        assert not Subscriber.objects.filter(team=team).exists()

    def test_the_service_raises_conflict_for_a_taken_code(self, team: Team) -> None:
        subscriber_create(team=team, email="ann@example.com", ref_code="ann-code")

        with pytest.raises(Conflict) as raised:
            subscriber_create(team=team, email="bob@example.com", ref_code="ANN-code")

        assert raised.value.message == TAKEN["error"]

    def test_api_v1_ignores_a_ref_code(self) -> None:
        body = {"email": "ann@example.com", "ref_code": "mine"}
        serializer = V1SubscriberCreateInputSerializer(data=body)

        assert serializer.is_valid(), serializer.errors
        assert "ref_code" not in serializer.validated_data


def _race(team: Team, codes: list[str]) -> tuple[Counter[int], list[Any]]:
    """One create per code (distinct emails), in threads released together."""
    key = api_key_create(team=team)[1]
    barrier = threading.Barrier(len(codes))
    statuses: Counter[int] = Counter()
    errors: list[Any] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=key)
        try:
            barrier.wait()
            response = post(client, email=f"racer{i}@example.com", ref_code=codes[i])
        finally:
            connection.close()
        with lock:
            statuses[response.status_code] += 1
            if response.status_code != 201:
                errors.append(response.json())

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(codes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "codes",
    [["same-code", "same-code"], ["Same-Code", "same-CODE"], ["race"] * 4 + ["RACE"] * 4],
    ids=["same-case", "other-case", "eight"],
)
def test_simultaneous_creates_of_one_code_make_one_subscriber(team: Team, codes: list[str]) -> None:
    statuses, errors = _race(team, codes)

    assert statuses == Counter({201: 1, 400: len(codes) - 1})
    assert errors == [TAKEN] * (len(codes) - 1)
    assert Subscriber.objects.filter(team=team).count() == 1
    assert Subscriber.objects.get(team=team).ref_code in codes
    assert counter_get(team=team, name="subscribers") == 1
