"""The subscriber list's import and export in the admin, and who may use them."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.services import subscriber_create
from subscribers.transfer.models import SubscriberImport
from subscribers.transfer.tasks import subscriber_import_run_task

pytestmark = pytest.mark.django_db

LIST = "/admin/subscribers/subscriber/"


def emails(response: Any) -> list[str]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return [row["email"] for row in csv.DictReader(io.StringIO(text))]


def staff_with(django_user_model: Any, *codenames: str) -> Client:
    user = django_user_model.objects.create_user(username="limited", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def two_teams(team: Team, other_team: Team) -> None:
    subscriber_create(team=team, email="a@example.com")
    subscriber_create(team=team, email="b@example.com")
    subscriber_create(team=other_team, email="z@example.com")


def test_the_list_has_export_and_import_buttons(admin_client: Client, two_teams: None) -> None:
    page = admin_client.get(LIST).content.decode()

    assert f'href="{LIST}export/' in page
    assert f'href="{LIST}import/"' in page


def test_the_export_button_exports_what_the_list_shows(
    admin_client: Client, two_teams: None, team: Team
) -> None:
    everyone = emails(admin_client.get(f"{LIST}export/"))
    one_team = emails(admin_client.get(f"{LIST}export/", {"team": team.pk}))

    assert sorted(everyone) == ["a@example.com", "b@example.com", "z@example.com"]
    assert one_team == ["b@example.com", "a@example.com"]


def test_the_export_action_exports_the_selected(admin_client: Client, two_teams: None) -> None:
    chosen = Subscriber.objects.filter(email__in=["a@example.com", "z@example.com"])

    response = admin_client.post(
        LIST, {"action": "export_csv", "_selected_action": [s.pk for s in chosen]}
    )

    assert sorted(emails(response)) == ["a@example.com", "z@example.com"]


def test_staff_who_may_change_subscribers_may_export_but_not_import(
    django_user_model: Any, two_teams: None
) -> None:
    client = staff_with(django_user_model, "view_subscriber", "change_subscriber")

    assert len(emails(client.get(f"{LIST}export/"))) == 3
    assert "export_csv" in client.get(LIST).content.decode()
    assert client.get(f"{LIST}import/").status_code == 403
    assert f'href="{LIST}import/"' not in client.get(LIST).content.decode()


def test_view_only_staff_may_not_export(django_user_model: Any, two_teams: None) -> None:
    client = staff_with(django_user_model, "view_subscriber")

    assert client.get(f"{LIST}export/").status_code == 403
    page = client.get(LIST).content.decode()
    assert "export_csv" not in page
    assert f'href="{LIST}export/' not in page


def test_an_upload_leads_to_a_progress_page_that_refreshes_until_done(
    admin_client: Client, team: Team
) -> None:
    upload = SimpleUploadedFile("list.csv", b"email\nnew@example.com\nbad\n")

    response = admin_client.post(
        f"{LIST}import/", {"team": team.pk, "file": upload, "on_conflict": "skip"}
    )
    subscriber_import = SubscriberImport.objects.get()
    progress = f"{LIST}import/{subscriber_import.public_id}/"
    assert response.status_code == 302
    assert response["Location"] == progress
    assert 'http-equiv="refresh"' in admin_client.get(progress).content.decode()

    subscriber_import_run_task(subscriber_import.pk)
    page = admin_client.get(progress).content.decode()

    assert 'http-equiv="refresh"' not in page
    assert 'data-status="completed"' in page
    assert '<td id="import-created">1</td>' in page
    assert '<td id="import-failed">1</td>' in page


def test_a_file_without_emails_is_refused_on_the_form(admin_client: Client, team: Team) -> None:
    upload = SimpleUploadedFile("list.csv", b"name\nAnn\n")

    response = admin_client.post(
        f"{LIST}import/", {"team": team.pk, "file": upload, "on_conflict": "skip"}
    )

    assert response.status_code == 200
    assert "File must be a CSV with an email column" in response.content.decode()
    assert not SubscriberImport.objects.exists()


def test_imports_are_listed_read_only(admin_client: Client, team: Team) -> None:
    admin_client.post(
        f"{LIST}import/",
        {"team": team.pk, "file": SimpleUploadedFile("l.csv", b"email\n"), "on_conflict": "skip"},
    )

    page = admin_client.get("/admin/transfer/subscriberimport/").content.decode()

    assert "l.csv" in page
    assert "progress" in page
