"""Building blocks of the OAuth tests: apps, people, PKCE, and the consent flow over HTTP."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from sparkloop.models import Team, TeamMembership
from sparkloop.oauth.models import AccessToken, Application
from sparkloop.oauth.services import application_create

if TYPE_CHECKING:  # the test client's response, as django-stubs names it
    from django.test.client import _MonkeyPatchedWSGIResponse

REDIRECT_URI = "https://partner.example/callback"
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fast_hashers(settings: Any) -> None:
    """Client secrets and passwords are hashed like passwords: a fast hasher keeps tests quick.

    Import it into a test module to use it there (it is autouse).
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_app(
    *,
    team: Team | None = None,
    name: str = "Partner Platform",
    grant: str = "authorization_code",
) -> tuple[Application, str]:
    """An app and its raw client secret: staff-registered (no team) unless `team` is given."""
    if grant == "authorization_code":
        return application_create(
            team=team,
            name=name,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=REDIRECT_URI,
        )
    return application_create(
        team=team,
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )


def make_member(*teams: Team, username: str = "alice") -> User:
    user = User.objects.create_user(username=username, password=PASSWORD)
    for team in teams:
        TeamMembership.objects.create(user=user, team=team)
    return user


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.decode().rstrip("=")


def authorize_url(app: Application, *, scope: str, challenge: str | None, state: str = "s1") -> str:
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": state,
    }
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return "/oauth/authorize/?" + urlencode(params)


class _FormFields(HTMLParser):
    """The named inputs and selects of the consent page's form, as a browser would submit."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.selects: dict[str, list[str]] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") in ("hidden", "text"):
            self.fields[a["name"] or ""] = a.get("value") or ""
        elif tag == "select":
            self._select = a.get("name")
            self.selects[self._select or ""] = []
        elif tag == "option" and self._select:
            self.selects[self._select].append(a.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def form_fields(html: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    parser = _FormFields()
    parser.feed(html)
    return parser.fields, parser.selects


def consent(
    browser: Client,
    app: Application,
    *,
    scope: str,
    team: Team | None = None,
    allow: bool = True,
) -> tuple[str, Any]:
    """Open the consent page (already logged in), submit it; returns (verifier, response)."""
    verifier, challenge = pkce_pair()
    page = browser.get(authorize_url(app, scope=scope, challenge=challenge))
    assert page.status_code == 200, page.content
    fields, _ = form_fields(page.content.decode())
    if team is not None:
        fields["team"] = team.public_id
    if allow:
        fields["allow"] = "on"
    return verifier, browser.post("/oauth/authorize/", fields)


def code_from(response: _MonkeyPatchedWSGIResponse) -> str:
    assert response.status_code == 302, response.content
    location = urlparse(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return parse_qs(location.query)["code"][0]


def exchange(
    app: Application, secret: str, *, code: str, verifier: str
) -> tuple[int, dict[str, Any]]:
    response = APIClient().post(
        "/oauth/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": app.client_id,
            "client_secret": secret,
        },
    )
    return response.status_code, response.json()


def logged_in(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def issue_token(
    *, team: Team, scope: str, app: Application | None = None, expires_in: int = 3600
) -> str:
    """A token stored directly, for tests of what a token may do (not how it is obtained)."""
    if app is None:
        app, _ = make_app(name=f"app-{secrets.token_hex(3)}")
    raw = secrets.token_urlsafe(30)
    AccessToken.objects.create(
        team=team,
        application=app,
        scope=scope,
        token=raw,
        expires=timezone.now() + timedelta(seconds=expires_in),
    )
    return raw


def authorized_code(
    team: Team, *, scope: str = "read:subscribers"
) -> tuple[Application, str, str, str]:
    """An app (staff-registered) authorized by a member of `team`: (app, secret, code, verifier)."""
    app, secret = make_app()
    browser = logged_in(make_member(team, username=f"member-{secrets.token_hex(3)}"))
    verifier, response = consent(browser, app, scope=scope)
    return app, secret, code_from(response), verifier
