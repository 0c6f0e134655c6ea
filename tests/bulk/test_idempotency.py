"""Idempotency keys: a retry replays, a misuse is refused, the database is the arbiter."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from sparkloop.idempotency.middleware import IdempotencyMiddleware
from sparkloop.idempotency.models import IdempotencyKey
from sparkloop.idempotency.services import idempotency_claim
from sparkloop.idempotency.tasks import idempotency_keys_expire_task
from sparkloop.models import Team
from subscribers.models import Subscriber, SubscriberEvent
from subscribers.services import subscriber_create
from tests.clients import KeyedClient
from tests.oauth.helpers import bearer, fast_hashers, issue_token, make_app

__all__ = ["fast_hashers"]

pytestmark = pytest.mark.django_db


def send(client: Any, body: Any, key: str = "k-1", path: str = "/v2/subscribers") -> Any:
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_repeat_replays_the_first_answer_and_changes_nothing(
    api_client: KeyedClient, team: Team
) -> None:
    first = send(api_client, {"email": "ann@example.com"})
    again = send(api_client, {"email": "ann@example.com"})

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Subscriber.objects.filter(team=team).count() == 1


def test_a_4xx_is_stored_and_replayed(api_client: KeyedClient, team: Team) -> None:
    first = send(api_client, {"email": "nope"})
    subscriber_create(team=team, email="other@example.com")
    again = send(api_client, {"email": "nope"})

    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()
    assert again.json()["error"] == "Email is invalid"
    assert again["Idempotent-Replayed"] == "true"


def test_a_batch_put_replays_too(api_client: KeyedClient, team: Team) -> None:
    subscriber_create(team=team, email="ann@example.com")
    body = {"subscribers": [{"identifier": "ann@example.com", "name": "Ann"}]}

    first = api_client.put("/v2/subscribers/batch", body, format="json", HTTP_IDEMPOTENCY_KEY="p")
    Subscriber.objects.filter(team=team).update(name="Changed since")
    again = api_client.put("/v2/subscribers/batch", body, format="json", HTTP_IDEMPOTENCY_KEY="p")

    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Subscriber.objects.get(team=team).name == "Changed since"


def test_another_body_or_path_with_the_key_is_refused(api_client: KeyedClient) -> None:
    send(api_client, {"email": "ann@example.com"})

    other_body = send(api_client, {"email": "bob@example.com"})
    other_path = send(
        api_client, {"subscribers": [{"email": "ann@example.com"}]}, path="/v2/subscribers/batch"
    )

    for response in (other_body, other_path):
        assert response.status_code == 422
        assert response.json() == {"error": "Idempotency key reused with different parameters"}
    assert not Subscriber.objects.filter(email="bob@example.com").exists()


def test_a_repeat_while_the_first_runs_is_refused(api_client: KeyedClient, team: Team) -> None:
    first = send(api_client, {"email": "ann@example.com"}, key="slow")
    row = IdempotencyKey.objects.get(key="slow")
    IdempotencyKey.objects.filter(pk=row.pk).update(status_code=None)  # as while it runs

    response = send(api_client, {"email": "ann@example.com"}, key="slow")

    assert first.status_code == 201
    assert response.status_code == 409
    assert response.json() == {"error": "A request with this idempotency key is in progress"}


def test_a_claim_abandoned_by_a_dead_process_is_taken_over(
    api_client: KeyedClient, team: Team, settings: Any
) -> None:
    send(api_client, {"email": "nope"}, key="dead")
    old = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS + 1)
    IdempotencyKey.objects.filter(key="dead").update(status_code=None, locked_at=old)

    response = send(api_client, {"email": "nope"}, key="dead")

    assert response.status_code == 400
    assert "Idempotent-Replayed" not in response


def test_a_key_over_255_characters_is_refused(api_client: KeyedClient, team: Team) -> None:
    response = send(api_client, {"email": "ann@example.com"}, key="k" * 256)

    assert response.status_code == 400
    assert response.json() == {"error": "Idempotency key is too long (maximum is 255)"}
    assert not Subscriber.objects.filter(team=team).exists()
    assert send(api_client, {"email": "ann@example.com"}, key="k" * 255).status_code == 201


def test_a_key_with_control_characters_is_refused(api_client: KeyedClient) -> None:
    response = send(api_client, {"email": "ann@example.com"}, key="a\tb")

    assert response.status_code == 400
    assert response.json() == {"error": "Idempotency key must be 1 to 255 printable characters"}


def test_keys_are_the_callers_own(
    api_client: KeyedClient, other_client: KeyedClient, team: Team, other_team: Team
) -> None:
    send(api_client, {"email": "ann@example.com"}, key="shared")

    theirs = send(other_client, {"email": "ann@example.com"}, key="shared")
    again = send(other_client, {"email": "ann@example.com"}, key="shared")

    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert again.json()["subscriber"]["uuid"] == theirs.json()["subscriber"]["uuid"]
    assert Subscriber.objects.filter(team=other_team).count() == 1


def test_an_oauth_apps_keys_outlive_its_token(team: Team) -> None:
    app, _ = make_app(name="Partner")
    first = send(
        bearer(issue_token(team=team, scope="write:subscribers", app=app)),
        {"email": "ann@example.com"},
    )
    again = send(
        bearer(issue_token(team=team, scope="write:subscribers", app=app)),
        {"email": "ann@example.com"},
    )

    assert first.status_code == 201
    assert again["Idempotent-Replayed"] == "true"


def test_requests_without_a_key_or_credentials_are_left_alone(
    api_client: KeyedClient, anon_client: Any
) -> None:
    assert (
        api_client.post("/v2/subscribers", {"email": "a@example.com"}, format="json").status_code
        == 201
    )
    response = send(anon_client, {"email": "b@example.com"})

    assert response.status_code == 401
    assert not IdempotencyKey.objects.exists()


def test_gets_are_not_idempotency_keyed(api_client: KeyedClient) -> None:
    response = api_client.get("/v2/subscribers", HTTP_IDEMPOTENCY_KEY="k" * 300)

    assert response.status_code == 200


def test_a_5xx_is_not_stored_so_a_retry_runs(api_client: KeyedClient) -> None:
    answers = iter([HttpResponse(status=503), HttpResponse(b"{}", status=201)])

    def view(request: HttpRequest) -> HttpResponse:
        return next(answers)

    middleware = IdempotencyMiddleware(view)
    factory = RequestFactory()

    def request() -> HttpRequest:
        return factory.post(
            "/v2/subscribers",
            {},
            content_type="application/json",
            HTTP_X_API_KEY=api_client.raw_key,
            HTTP_IDEMPOTENCY_KEY="retry-me",
        )

    assert middleware(request()).status_code == 503
    assert not IdempotencyKey.objects.exists()
    assert middleware(request()).status_code == 201
    assert IdempotencyKey.objects.get().status_code == 201


def test_expired_keys_are_deleted_by_the_beat_job_and_may_be_used_again(
    api_client: KeyedClient, team: Team
) -> None:
    send(api_client, {"email": "nope"}, key="old")
    send(api_client, {"email": "nope"}, key="new")
    IdempotencyKey.objects.filter(key="old").update(expires_at=timezone.now())

    assert idempotency_keys_expire_task() == 1
    assert idempotency_keys_expire_task() == 0
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_an_expired_key_not_yet_swept_runs_again(api_client: KeyedClient, team: Team) -> None:
    subscriber = subscriber_create(team=team, email="ann@example.com")
    path = f"/v2/subscribers/{subscriber.public_id}/events"
    send(api_client, {"value": 1}, key="e", path=path)
    IdempotencyKey.objects.filter(key="e").update(expires_at=timezone.now())

    response = send(api_client, {"value": 1}, key="e", path=path)

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert SubscriberEvent.objects.count() == 2


def test_claim_returns_the_stored_row_to_replay(team: Team) -> None:
    fields: dict[str, Any] = {
        "team_id": team.pk,
        "caller": "key:1",
        "key": "x",
        "method": "POST",
        "path": "/v2/subscribers",
        "fingerprint": "f",
    }
    row, claimed = idempotency_claim(**fields)
    IdempotencyKey.objects.filter(pk=row.pk).update(status_code=201, body=b"{}")

    again, claimed_again = idempotency_claim(**fields)

    assert claimed is True
    assert claimed_again is False
    assert again.pk == row.pk
