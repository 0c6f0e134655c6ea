"""The admin's busiest lists read at 1,400 px in a real browser: no sideways scrolling.

Headless Chromium (the system's, driven by Playwright) logs in through the login form and
opens each list; a screenshot of each is left in the test's temporary directory.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings as SettingsWrapper

from sparkloop.models import Team
from subscribers.services import subscriber_create
from tests.conftest import expand_events
from webhooks.services import endpoint_create

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PASSWORD = "a-long-staff-password-1"
WIDTH = 1400

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def page(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    User.objects.create_superuser(username="staff", email="", password=PASSWORD)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = chromium.new_page(viewport={"width": WIDTH, "height": 900})
        page.set_default_timeout(20_000)
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "staff")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_selector("#team-numbers")
        yield page
        chromium.close()


@pytest.mark.parametrize(
    "path",
    [
        "/admin/subscribers/subscriber/",
        "/admin/webhooks/webhookdelivery/",
        "/admin/webhooks/webhookendpoint/",
    ],
)
def test_a_list_fits_1400_px(
    page: Any, live_server: Any, settings: SettingsWrapper, tmp_path: Path, path: str
) -> None:
    team = Team.objects.create(name="a-newsletter-with-a-rather-long-name")
    endpoint_create(
        team=team,
        url="https://hooks.example-receiver.com/sparkloop/webhooks/incoming/production/v2",
        events={},
    )
    for number in range(20):
        subscriber_create(
            team=team,
            email=f"someone.with.a.long.address.{number}@newsletter-readers.example.org",
        )
    expand_events()

    page.goto(f"{live_server.url}{path}")
    page.wait_for_selector("#result_list")
    page.screenshot(path=str(tmp_path / "list.png"), full_page=True)

    # The admin scrolls a wide table inside its own box (.results), not the page.
    page_width = page.evaluate("document.documentElement.scrollWidth")
    table_width, box_width = page.evaluate(
        "[document.querySelector('#result_list').scrollWidth,"
        " document.querySelector('#changelist .results').clientWidth]"
    )
    assert page_width <= WIDTH
    assert table_width <= box_width, f"{path}: a {table_width} px table in {box_width} px"
