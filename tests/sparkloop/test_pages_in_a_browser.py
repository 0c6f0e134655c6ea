"""The pages people see work in a real browser under the Content-Security-Policy.

Headless Chromium (the system's, driven by Playwright) against the live server: Swagger UI
and Redoc render the API from our own static files, staff log in to the admin, and a person
consents to an app, each without one CSP violation or a request to another origin. The
service runs as in production here (DEBUG off: Secure cookies, CSP), over http://localhost,
which browsers treat as a secure context.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import User

from sparkloop.models import Team
from tests.oauth.helpers import PASSWORD, REDIRECT_URI, authorize_url, make_app, make_member

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Redoc's "API docs by Redocly" footer shows a logo from its CDN; the CSP blocks that (the
# point of it) and the page does without the picture.
REDOC_ATTRIBUTION_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]


class Browser:
    """A page that records CSP violations, script errors and what it loaded from elsewhere."""

    def __init__(self, page: Any, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.problems: list[str] = []
        self.foreign: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        # Failed loads are judged by their responses (a browser asks for /favicon.ico).
        if message.text.startswith("Failed to load resource"):
            return
        if REDOC_ATTRIBUTION_LOGO in message.text:
            return
        if "Content Security Policy" in message.text or message.type == "error":
            self.problems.append(message.text)

    def _response(self, response: Any) -> None:
        # A response, not a request: a request the CSP blocks never gets one.
        url = response.url
        if not url.startswith((self.origin, "data:", "blob:", REDIRECT_URI)):
            self.foreign.append(url)
        if response.status >= 400 and not url.endswith("/favicon.ico"):
            self.problems.append(f"{response.status} {url}")


@pytest.fixture
def browser(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own database
    # calls are plain synchronous ones all the same.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = chromium.new_page()
        page.set_default_timeout(20_000)
        yield Browser(page, live_server.url)
        chromium.close()


def test_swagger_ui_renders_every_operation(browser: Browser, live_server: Any) -> None:
    browser.page.goto(f"{live_server.url}/v2/docs")

    browser.page.wait_for_selector(".opblock", state="attached")

    assert browser.page.locator(".opblock").count() > 20
    assert browser.problems == []
    assert browser.foreign == []


def test_redoc_renders_from_our_own_files(browser: Browser, live_server: Any) -> None:
    browser.page.goto(f"{live_server.url}/v2/redoc")

    browser.page.wait_for_selector("text=Create a subscriber", state="attached")

    assert browser.problems == []
    assert browser.foreign == []


def test_staff_log_in_to_the_admin(browser: Browser, live_server: Any) -> None:
    User.objects.create_superuser(username="staff", password=PASSWORD)
    page = browser.page
    page.goto(f"{live_server.url}/admin/login/")

    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("text=Site administration")
    page.goto(f"{live_server.url}/admin/sparkloop/team/")
    page.wait_for_selector("#changelist")

    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["sessionid"]["secure"] is True
    assert cookies["sessionid"]["httpOnly"] is True
    assert browser.problems == []
    assert browser.foreign == []


def test_a_person_logs_in_and_consents_to_an_app(browser: Browser, live_server: Any) -> None:
    team = Team.objects.create(name="alice-news")
    app, _ = make_app()
    make_member(team)
    page = browser.page
    redirected: list[str] = []

    def partner(route: Any) -> None:
        redirected.append(route.request.url)
        route.fulfill(status=200, body="ok")

    page.route(f"{REDIRECT_URI}**", partner)
    page.goto(live_server.url + authorize_url(app, scope="read:subscribers", challenge="c" * 43))

    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=See your subscribers and their referrals")
    page.click("button[name=allow]")
    page.wait_for_url(f"{REDIRECT_URI}**")

    query = parse_qs(urlparse(redirected[-1]).query)
    assert query["state"] == ["s1"]
    assert query["code"]
    assert browser.problems == []
    assert browser.foreign == []
