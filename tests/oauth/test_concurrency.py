"""Refresh-token rotation under concurrent use, on PostgreSQL (row locks are what decide)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from sparkloop.models import Team
from sparkloop.oauth.models import AccessToken
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
    # can't be handed back); the winner's pair works and no second pair exists.
    assert sorted(status for status, _ in results) == [200, 400]
    winner = next(body for status, body in results if status == 200)
    loser = next(body for status, body in results if status == 400)
    assert loser["error"] == "invalid_grant"
    assert AccessToken.objects.filter(team=team).count() == 1
    assert bearer(winner["access_token"]).get("/v2/subscribers").status_code == 200
