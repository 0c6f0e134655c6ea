"""OAuth client authentication locks out after too many failures, per address and client."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sparkloop.models import Team
from sparkloop.oauth.models import Application
from tests.oauth.helpers import authorized_code, exchange, make_app

pytestmark = pytest.mark.django_db

LIMIT = 3
LOCKED = {
    "error": "temporarily_unavailable",
    "error_description": "Too many failed attempts: try again in 15 minute(s).",
}


@pytest.fixture(autouse=True)
def _low_limit(settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = LIMIT


def client_credentials(app: Application, secret: str, address: str = "198.51.100.1") -> Any:
    return Client(REMOTE_ADDR=address).post(
        "/oauth/token/",
        {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": secret},
    )


class TestTokenEndpoint:
    def test_wrong_secrets_lock_the_client_out_even_with_the_right_one(self, team: Team) -> None:
        app, secret = make_app(team=team, grant="client_credentials")
        for _ in range(LIMIT - 1):
            assert client_credentials(app, "wrong").status_code == 401
        assert client_credentials(app, "wrong").status_code == 429  # the one reaching the limit

        response = client_credentials(app, secret)

        assert response.status_code == 429
        assert response.json() == LOCKED
        assert response["Retry-After"] == "900"

    def test_a_locked_out_client_is_refused_from_every_address(self, team: Team) -> None:
        app, secret = make_app(team=team, grant="client_credentials")
        for n in range(LIMIT):
            client_credentials(app, "wrong", address=f"198.51.100.{n + 10}")

        assert client_credentials(app, secret, address="203.0.113.5").status_code == 429

    def test_an_address_guessing_secrets_of_many_clients_is_locked_out(self, team: Team) -> None:
        for n in range(LIMIT):
            victim, _ = make_app(team=team, name=f"victim {n}", grant="client_credentials")
            client_credentials(victim, "wrong")
        app, secret = make_app(team=team, name="innocent", grant="client_credentials")

        assert client_credentials(app, secret).status_code == 429
        assert client_credentials(app, secret, address="203.0.113.5").status_code == 200

    def test_a_locked_out_request_checks_no_secret(self, team: Team) -> None:
        app, secret = make_app(team=team, grant="client_credentials")
        for _ in range(LIMIT):
            client_credentials(app, "wrong")

        with CaptureQueriesContext(connection) as queries:
            client_credentials(app, secret)

        assert not any("oauth_application" in query["sql"] for query in queries)

    def test_a_refused_code_is_not_a_credential_failure(self, team: Team) -> None:
        app, secret, code, verifier = authorized_code(team)
        for _ in range(LIMIT + 1):
            assert exchange(app, secret, code="not-a-code", verifier=verifier)[0] == 400

        assert exchange(app, secret, code=code, verifier=verifier)[0] == 200


class TestRevocationAndIntrospection:
    @pytest.mark.parametrize("path", ["/oauth/revoke_token/", "/oauth/introspect/"])
    def test_wrong_secrets_lock_the_client_out(self, team: Team, path: str) -> None:
        app, secret = make_app(team=team, grant="client_credentials")
        data = {"token": "t", "client_id": app.client_id}
        for _ in range(LIMIT - 1):
            assert Client().post(path, {**data, "client_secret": "wrong"}).status_code in (401, 403)
        assert Client().post(path, {**data, "client_secret": "wrong"}).status_code == 429

        response = Client().post(path, {**data, "client_secret": secret})

        assert response.status_code == 429
        assert response.json() == LOCKED
