"""A reused authorization code is refused and revokes what it issued (RFC 6749 §4.1.2)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from sparkloop.models import Team
from sparkloop.oauth.models import AccessToken, Grant, RefreshToken
from sparkloop.oauth.tasks import oauth_tokens_clear_expired_task
from tests.oauth.helpers import authorized_code, bearer, exchange
from tests.oauth.test_tokens import token_request


@pytest.mark.django_db
class TestCodeReuse:
    def test_it_revokes_the_tokens_the_code_issued(self, team: Team) -> None:
        app, secret, code, verifier = authorized_code(team)
        status, first = exchange(app, secret, code=code, verifier=verifier)
        assert status == 200
        assert bearer(first["access_token"]).get("/v2/subscribers").status_code == 200

        status, body = exchange(app, secret, code=code, verifier=verifier)

        assert (status, body["error"]) == (400, "invalid_grant")
        assert bearer(first["access_token"]).get("/v2/subscribers").status_code == 401
        refreshed, body = token_request(
            app, secret, grant_type="refresh_token", refresh_token=first["refresh_token"]
        )
        assert (refreshed, body["error"]) == (400, "invalid_grant")

    def test_it_revokes_the_tokens_rotated_from_them_too(self, team: Team) -> None:
        app, secret, code, verifier = authorized_code(team)
        _, first = exchange(app, secret, code=code, verifier=verifier)
        _, rotated = token_request(
            app, secret, grant_type="refresh_token", refresh_token=first["refresh_token"]
        )
        assert bearer(rotated["access_token"]).get("/v2/subscribers").status_code == 200

        exchange(app, secret, code=code, verifier=verifier)

        assert bearer(rotated["access_token"]).get("/v2/subscribers").status_code == 401
        assert not RefreshToken.objects.filter(revoked__isnull=True).exists()

    def test_it_leaves_the_tokens_of_another_consent_alone(self, team: Team) -> None:
        app, secret, code, verifier = authorized_code(team)
        assert exchange(app, secret, code=code, verifier=verifier)[0] == 200
        _, other_secret, other_code, other_verifier = authorized_code(team)
        other_app = Grant.objects.get(code=other_code).application
        _, other = exchange(other_app, other_secret, code=other_code, verifier=other_verifier)

        exchange(app, secret, code=code, verifier=verifier)

        assert bearer(other["access_token"]).get("/v2/subscribers").status_code == 200

    def test_a_wrong_verifier_neither_uses_the_code_nor_revokes(self, team: Team) -> None:
        app, secret, code, verifier = authorized_code(team)

        status, _ = exchange(app, secret, code=code, verifier="x" * 50)

        assert status == 400
        assert exchange(app, secret, code=code, verifier=verifier)[0] == 200

    def test_another_client_presenting_the_code_revokes_nothing(self, team: Team) -> None:
        app, secret, code, verifier = authorized_code(team)
        _, first = exchange(app, secret, code=code, verifier=verifier)
        thief, thief_secret, _, _ = authorized_code(team)

        status, _ = exchange(thief, thief_secret, code=code, verifier=verifier)

        assert status == 400
        assert bearer(first["access_token"]).get("/v2/subscribers").status_code == 200

    def test_the_used_code_is_kept_while_its_tokens_may_live(self, team: Team) -> None:
        app, secret, code, verifier = authorized_code(team)
        _, first = exchange(app, secret, code=code, verifier=verifier)
        AccessToken.objects.update(expires=timezone.now() - timedelta(minutes=1))

        oauth_tokens_clear_expired_task()

        grant = Grant.objects.get(code=code)
        assert grant.used_at is not None
        assert grant.expires > timezone.now() + timedelta(days=59)
        exchange(app, secret, code=code, verifier=verifier)
        refreshed, _ = token_request(
            app, secret, grant_type="refresh_token", refresh_token=first["refresh_token"]
        )
        assert refreshed == 400


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_exchanges_of_one_code_leave_no_working_token(team: Team) -> None:
    app, secret, code, verifier = authorized_code(team)
    barrier = threading.Barrier(2)
    results: list[tuple[int, dict[str, Any]]] = []
    errors: list[BaseException] = []

    def exchange_once() -> None:
        try:
            barrier.wait()
            results.append(exchange(app, secret, code=code, verifier=verifier))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=exchange_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    # One exchange wins the code's row lock; the other finds the code used: a second use,
    # so the winner's tokens are revoked too, and only one pair was ever minted.
    assert sorted(status for status, _ in results) == [200, 400]
    winner = next(body for status, body in results if status == 200)
    assert next(body for status, body in results if status == 400)["error"] == "invalid_grant"
    assert RefreshToken.objects.count() == 1
    assert bearer(winner["access_token"]).get("/v2/subscribers").status_code == 401
