"""The authorization-code flow with PKCE, through the login and consent pages, over HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client

from sparkloop.models import Team
from sparkloop.oauth.models import AccessToken, Application, Connection, Grant
from subscribers.services import subscriber_create
from tests.conftest import expand_events
from tests.oauth.helpers import (
    PASSWORD,
    REDIRECT_URI,
    authorize_url,
    bearer,
    code_from,
    consent,
    exchange,
    form_fields,
    logged_in,
    make_app,
    make_member,
    pkce_pair,
)
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint

SCOPES = "read:subscribers write:subscribers"


@pytest.mark.django_db
class TestAuthorizationCodeFlow:
    def test_it_takes_a_person_from_login_through_consent_to_an_api_call(self, team: Team) -> None:
        subscriber_create(team=team, email="reader@example.com")
        app, secret = make_app(name="Partner Platform")
        make_member(team)
        verifier, challenge = pkce_pair()
        browser = Client()

        # Not logged in: the authorize URL leads to the login page, which leads back.
        login_page = browser.get(
            authorize_url(app, scope=SCOPES, challenge=challenge, state="xyz"), follow=True
        )
        assert login_page.redirect_chain[-1][0].startswith("/oauth/login/?next=")
        fields, _ = form_fields(login_page.content.decode())
        page = browser.post(
            login_page.redirect_chain[-1][0],
            {"username": "alice", "password": PASSWORD, "next": fields["next"]},
            follow=True,
        )

        # The consent page names the app, the team and each scope in plain words.
        assert page.status_code == 200
        html = page.content.decode()
        assert "Partner Platform" in html
        assert "alice-news" in html
        assert "See your subscribers and their referrals" in html
        assert "Add, change, unsubscribe and delete your subscribers" in html

        fields, _ = form_fields(html)
        redirect = browser.post("/oauth/authorize/", {**fields, "allow": "on"})
        location = urlparse(redirect["Location"])
        assert parse_qs(location.query)["state"] == ["xyz"]
        status, body = exchange(app, secret, code=code_from(redirect), verifier=verifier)

        assert status == 200, body
        assert body["token_type"] == "Bearer"
        assert sorted(body["scope"].split()) == sorted(SCOPES.split())
        assert body["refresh_token"]
        listed = bearer(body["access_token"]).get("/v2/subscribers")
        assert listed.status_code == 200
        assert [s["email"] for s in listed.json()["subscribers"]] == ["reader@example.com"]
        created = bearer(body["access_token"]).post(
            "/v2/subscribers", {"email": "new@example.com"}, format="json"
        )
        assert created.status_code == 201

    def test_it_stores_tokens_only_as_hashes(self, team: Team) -> None:
        app, secret = make_app()
        browser = logged_in(make_member(team))
        verifier, response = consent(browser, app, scope=SCOPES)
        _, body = exchange(app, secret, code=code_from(response), verifier=verifier)

        token = AccessToken.objects.get()
        assert token.token != body["access_token"]
        assert token.team == team

    def test_it_records_the_connection_and_an_app_connected_event(self, team: Team) -> None:
        app, _ = make_app(name="Partner Platform")
        browser = logged_in(make_member(team))

        consent(browser, app, scope=SCOPES)

        connection = Connection.objects.get()
        assert (connection.team, connection.application) == (team, app)
        assert sorted(connection.scope.split()) == sorted(SCOPES.split())
        event = Event.objects.get(team=team, type="app.connected")
        assert event.payload["app_name"] == "Partner Platform"
        assert event.payload["client_id"] == app.client_id
        assert event.payload["connection_id"] == connection.public_id
        assert sorted(event.payload["scopes"]) == sorted(SCOPES.split())
        assert event.payload["connected_at"].endswith("Z")

    def test_it_delivers_app_connected_to_the_teams_webhooks(
        self, team: Team, other_team: Team, django_capture_on_commit_callbacks: Any
    ) -> None:
        endpoint = WebhookEndpoint.objects.create(team=team, url="https://hooks.example/in")
        WebhookEndpoint.objects.create(team=other_team, url="https://hooks.example/other")
        app, _ = make_app()
        browser = logged_in(make_member(team))

        with django_capture_on_commit_callbacks() as callbacks:
            consent(browser, app, scope=SCOPES)

        expand_events()
        delivery = WebhookDelivery.objects.get()
        assert delivery.endpoint == endpoint
        assert delivery.event.type == "app.connected"
        assert callbacks  # its send task is enqueued when the consent commits

    def test_it_lets_a_member_of_several_teams_pick_the_one_the_app_acts_for(
        self, team: Team, other_team: Team
    ) -> None:
        subscriber_create(team=other_team, email="charlie@example.com")
        app, secret = make_app()
        browser = logged_in(make_member(team, other_team))

        page = browser.get(authorize_url(app, scope=SCOPES, challenge=pkce_pair()[1]))
        _, selects = form_fields(page.content.decode())
        assert sorted(selects["team"]) == sorted([team.public_id, other_team.public_id])

        verifier, response = consent(browser, app, scope=SCOPES, team=other_team)
        _, body = exchange(app, secret, code=code_from(response), verifier=verifier)

        listed = bearer(body["access_token"]).get("/v2/subscribers").json()
        assert [s["email"] for s in listed["subscribers"]] == ["charlie@example.com"]
        assert AccessToken.objects.get().team == other_team

    def test_it_refuses_a_team_the_person_is_not_a_member_of(
        self, team: Team, other_team: Team
    ) -> None:
        app, _ = make_app()
        browser = logged_in(make_member(team))

        _, response = consent(browser, app, scope=SCOPES, team=other_team)

        assert response.status_code == 400
        assert "no longer valid" in response.content.decode()
        assert Grant.objects.count() == 0
        assert not Connection.objects.exists()

    def test_it_tells_a_person_without_a_team_that_they_cannot_connect_apps(self, db: None) -> None:
        app, _ = make_app()
        browser = logged_in(make_member())

        page = browser.get(authorize_url(app, scope=SCOPES, challenge=pkce_pair()[1]))

        assert page.status_code == 403
        assert "does not act for any team" in page.content.decode()

    def test_it_redirects_with_access_denied_when_the_person_cancels(self, team: Team) -> None:
        app, _ = make_app()
        browser = logged_in(make_member(team))

        _, response = consent(browser, app, scope=SCOPES, allow=False)

        assert response.status_code == 302
        assert response["Location"].startswith(REDIRECT_URI)
        assert parse_qs(urlparse(response["Location"]).query)["error"] == ["access_denied"]
        assert not Connection.objects.exists()
        assert not Event.objects.filter(type="app.connected").exists()

    def test_it_requires_pkce(self, team: Team) -> None:
        app, _ = make_app()
        browser = logged_in(make_member(team))

        response = browser.get(authorize_url(app, scope=SCOPES, challenge=None))

        assert response.status_code == 302
        query = parse_qs(urlparse(response["Location"]).query)
        assert query["error"] == ["invalid_request"]

    def test_it_refuses_a_code_exchanged_without_the_right_verifier(self, team: Team) -> None:
        app, secret = make_app()
        browser = logged_in(make_member(team))
        _, response = consent(browser, app, scope=SCOPES)

        status, body = exchange(app, secret, code=code_from(response), verifier="x" * 50)

        assert status == 400
        assert body["error"] == "invalid_grant"

    def test_it_refuses_a_code_used_twice(self, team: Team) -> None:
        app, secret = make_app()
        browser = logged_in(make_member(team))
        verifier, response = consent(browser, app, scope=SCOPES)
        code = code_from(response)
        assert exchange(app, secret, code=code, verifier=verifier)[0] == 200

        status, body = exchange(app, secret, code=code, verifier=verifier)

        assert status == 400
        assert body["error"] == "invalid_grant"

    def test_it_refuses_unknown_scopes(self, team: Team) -> None:
        app, _ = make_app()
        browser = logged_in(make_member(team))

        response = browser.get(authorize_url(app, scope="admin:everything", challenge="x" * 43))

        assert response.status_code == 302
        assert parse_qs(urlparse(response["Location"]).query)["error"] == ["invalid_scope"]

    def test_it_lets_any_team_authorize_another_teams_registered_app(
        self, team: Team, other_team: Team
    ) -> None:
        app, secret = make_app(team=other_team)
        browser = logged_in(make_member(team))
        verifier, response = consent(browser, app, scope=SCOPES)

        status, _ = exchange(app, secret, code=code_from(response), verifier=verifier)

        assert status == 200
        assert AccessToken.objects.get().team == team


@pytest.mark.django_db
def test_consent_page_escapes_the_app_name(team: Team) -> None:
    app, _ = make_app(name="<script>alert(1)</script>")
    browser = logged_in(make_member(team))

    page = browser.get(authorize_url(app, scope=SCOPES, challenge=pkce_pair()[1]))

    assert "<script>alert(1)</script>" not in page.content.decode()


@pytest.mark.django_db
def test_a_public_client_exchanges_its_code_with_pkce_alone(team: Team) -> None:
    app, _ = make_app()
    Application.objects.filter(pk=app.pk).update(client_type=Application.CLIENT_PUBLIC)
    browser = logged_in(make_member(team))
    verifier, response = consent(browser, app, scope=SCOPES)

    token = Client().post(
        "/oauth/token/",
        {
            "grant_type": "authorization_code",
            "code": code_from(response),
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": app.client_id,
        },
    )

    assert token.status_code == 200, token.content
    assert bearer(token.json()["access_token"]).get("/v2/subscribers").status_code == 200
