"""OAuth under concurrent use, on PostgreSQL (row locks are what decide)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from sparkloop.models import Team
from sparkloop.oauth.models import AccessToken, Application, RefreshToken
from sparkloop.services import api_key_create
from tests.oauth.helpers import bearer
from tests.oauth.test_tokens import authorized_tokens, token_request


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_with_one_token_mint_one_pair_and_no_500(team: Team) -> None:
    app, secret, first = authorized_tokens(team)
    barrier = threading.Barrier(2)
    results: list[tuple[int, dict[str, Any]]] = []
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            barrier.wait()
            results.append(
                token_request(
                    app, secret, grant_type="refresh_token", refresh_token=first["refresh_token"]
                )
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    # The loser of the row lock is refused (tokens are kept only as hashes, so the winner's
    # can't be handed back) and no second pair exists.
    assert sorted(status for status, _ in results) == [200, 400]
    winner = next(body for status, body in results if status == 200)
    loser = next(body for status, body in results if status == 400)
    assert loser["error"] == "invalid_grant"
    assert AccessToken.objects.filter(team=team).count() <= 1
    # Racing, the loser waits for the lock and the winner's pair works. On a loaded machine
    # the second may only start once the first has committed: then it presents a rotated
    # token, which is reuse, and the whole family is revoked (README, OAuth 2.0).
    if bearer(winner["access_token"]).get("/v2/subscribers").status_code != 200:
        assert not RefreshToken.objects.filter(team=team, revoked__isnull=True).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_never_pass_the_teams_cap(team: Team, settings: Any) -> None:
    settings.OAUTH_APPLICATIONS_PER_TEAM = 3
    _, raw = api_key_create(team=team)
    barrier = threading.Barrier(8)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def register() -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_X_API_KEY=raw)
            barrier.wait()
            body = {"name": "x", "grant_type": "client_credentials"}
            statuses.append(client.post("/v2/oauth/applications", body, format="json").status_code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=register) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(statuses) == [201] * 3 + [400] * 5
    assert Application.objects.filter(team=team).count() == 3
