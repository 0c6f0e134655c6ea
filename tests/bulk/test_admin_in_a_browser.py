"""The admin's import page in a real browser: upload, then a progress page that refreshes
itself (no script: the CSP allows none inline) until the import is done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from sparkloop.models import Team
from subscribers.transfer.models import SubscriberImport
from subscribers.transfer.tasks import subscriber_import_run_task
from tests.oauth.helpers import PASSWORD
from tests.sparkloop.test_pages_in_a_browser import CHROMIUM, Browser, browser

__all__ = ["browser"]

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]


def test_staff_upload_a_csv_and_watch_it_finish(
    browser: Browser, live_server: Any, tmp_path: Path
) -> None:
    User.objects.create_superuser(username="staff", password=PASSWORD)
    team = Team.objects.create(name="alice-news")
    csv_file = tmp_path / "readers.csv"
    csv_file.write_text("email,name\nann@example.com,Ann\nbob@example.com,Bob\nbad,\n")
    page = browser.page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/subscribers/subscriber/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    page.click("text=Import CSV")
    page.select_option("#id_team", str(team.pk))
    page.set_input_files("#id_file", str(csv_file))
    page.click("#import-form input[type=submit]")
    page.wait_for_selector("#import-progress[data-status=queued]")

    subscriber_import_run_task(SubscriberImport.objects.get().pk)  # the worker's part

    # No reload from here: the page must refresh itself.
    page.wait_for_selector("#import-progress[data-status=completed]", timeout=15_000)
    assert page.inner_text("#import-created") == "2"
    assert page.inner_text("#import-failed") == "1"
    assert page.get_attribute("#import-bar", "value") == "3"
    assert browser.problems == []
    assert browser.foreign == []
