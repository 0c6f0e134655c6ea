"""Introspection (RFC 7662) answers a token's own client only."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from rest_framework.test import APIClient

from sparkloop.models import Team
from sparkloop.oauth.models import Application
from tests.oauth.helpers import make_app
from tests.oauth.test_tokens import _basic, authorized_tokens

if TYPE_CHECKING:  # the test client's response, as djangorestframework-stubs names it
    from rest_framework.response import _MonkeyPatchedResponse

pytestmark = pytest.mark.django_db


def introspect(
    app: Application, secret: str, token: str, *, basic: bool = True
) -> _MonkeyPatchedResponse:
    client = APIClient()
    if basic:
        client.credentials(HTTP_AUTHORIZATION=_basic(app.client_id, secret))
        return client.post("/oauth/introspect/", {"token": token})
    return client.post(
        "/oauth/introspect/", {"token": token, "client_id": app.client_id, "client_secret": secret}
    )


def test_the_tokens_own_client_sees_it_active(team: Team) -> None:
    app, secret, tokens = authorized_tokens(team)

    for basic in (True, False):
        body = introspect(app, secret, tokens["access_token"], basic=basic).json()

        assert body["active"] is True
        assert body["client_id"] == app.client_id


def test_another_teams_app_gets_the_inactive_answer(team: Team, other_team: Team) -> None:
    _, _, tokens = authorized_tokens(team)
    spy, spy_secret = make_app(team=other_team, name="Spy", grant="client_credentials")

    for basic in (True, False):
        response = introspect(spy, spy_secret, tokens["access_token"], basic=basic)

        assert response.status_code == 200
        assert response.json() == {"active": False}


def test_another_app_of_the_same_team_gets_the_inactive_answer_too(team: Team) -> None:
    _, _, tokens = authorized_tokens(team)
    sibling, sibling_secret = make_app(team=team, name="Sibling")

    assert introspect(sibling, sibling_secret, tokens["access_token"]).json() == {"active": False}


def test_a_wrong_secret_is_refused(team: Team) -> None:
    app, _, tokens = authorized_tokens(team)

    response = introspect(app, "wrong", tokens["access_token"])

    assert response.status_code in (401, 403)


def test_a_token_in_the_url_is_refused(team: Team) -> None:
    app, secret, tokens = authorized_tokens(team)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=_basic(app.client_id, secret))

    response = client.get("/oauth/introspect/", {"token": tokens["access_token"]})

    assert response.status_code == 405
