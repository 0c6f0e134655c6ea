"""`POST /v2/imports` and its task: rows as single creates, counts, failed rows, resume."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.services import subscriber_create
from subscribers.transfer.imports import subscriber_import_run, subscriber_import_sweep
from subscribers.transfer.models import SubscriberImport
from subscribers.transfer.tasks import subscriber_import_run_task
from tests.clients import KeyedClient
from tests.oauth.helpers import bearer, fast_hashers, issue_token
from webhooks.models import Event

__all__ = ["fast_hashers"]

pytestmark = pytest.mark.django_db

CSV = (
    "Email,name,ref_code,referrer_code,status,favourite_colour\n"
    "ann@example.com,Ann,ann-code,,confirmed,blue\n"
    "bob@example.com,Bob,,ann-code,,red\n"
    "not-an-email,X,,,,\n"
    "ANN@example.com,Ann again,,,,\n"
    "cid@example.com,,,,gone,\n"
    '"=cmd@example.com",,,,,\n'
)


def upload(client: Any, content: bytes | str, name: str = "list.csv", **fields: Any) -> Any:
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        "/v2/imports", {"file": SimpleUploadedFile(name, data), **fields}, format="multipart"
    )


def run(client: Any, content: bytes | str, **fields: Any) -> SubscriberImport:
    """Upload, then run the task the upload queued (as a worker would)."""
    response = upload(client, content, **fields)
    assert response.status_code == 202, response.content
    subscriber_import = SubscriberImport.objects.get(public_id=response.json()["import"]["uuid"])
    subscriber_import_run_task(subscriber_import.pk)
    subscriber_import.refresh_from_db()
    return subscriber_import


def test_an_upload_is_queued_and_its_task_published_on_commit(
    api_client: KeyedClient, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(api_client, CSV)

    body = response.json()["import"]
    assert response.status_code == 202
    assert body["uuid"].startswith("import_")
    assert len(body["uuid"]) == len("import_") + 12
    assert body["status"] == "queued"
    assert body["file_name"] == "list.csv"
    assert [body[k] for k in ("processed_rows", "created", "updated", "skipped", "failed")] == [
        0,
        0,
        0,
        0,
        0,
    ]
    assert len(callbacks) == 1


def test_the_task_imports_every_row_as_a_single_create(api_client: KeyedClient, team: Team) -> None:
    subscriber_import = run(api_client, CSV)

    assert subscriber_import.status == "completed"
    assert subscriber_import.finished_at is not None
    assert (subscriber_import.total_rows, subscriber_import.processed_rows) == (6, 6)
    assert (subscriber_import.created, subscriber_import.skipped) == (3, 1)
    assert subscriber_import.failed == 2
    ann = Subscriber.objects.get(team=team, email="ann@example.com")
    bob = Subscriber.objects.get(team=team, email="bob@example.com")
    assert (ann.name, ann.ref_code, ann.status) == ("Ann", "ann-code", "confirmed")
    assert bob.referrer == ann
    assert ann.referrals_count == 1
    assert not Path(subscriber_import.file_path).exists()


def test_failed_rows_are_a_csv_with_line_numbers_and_the_apis_sentences(
    api_client: KeyedClient,
) -> None:
    subscriber_import = run(api_client, CSV)

    response: Any = api_client.get(f"/v2/imports/{subscriber_import.public_id}/errors")
    text = b"".join(response.streaming_content).decode()

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert list(csv.reader(io.StringIO(text))) == [
        ["row", "email", "error"],
        ["4", "not-an-email", "Email is invalid"],
        ["6", "cid@example.com", "Invalid status!"],
    ]


def test_on_conflict_update_updates_the_existing_subscriber(
    api_client: KeyedClient, team: Team
) -> None:
    subscriber_create(team=team, email="ann@example.com", name="Old")

    subscriber_import = run(
        api_client, "email,name,status\nann@example.com,New,confirmed\n", on_conflict="update"
    )

    ann = Subscriber.objects.get(team=team, email="ann@example.com")
    assert (ann.name, ann.status) == ("New", "confirmed")
    assert (subscriber_import.updated, subscriber_import.created) == (1, 0)


def test_webhooks_are_sent_only_when_asked(api_client: KeyedClient, team: Team) -> None:
    run(api_client, "email\na@example.com\n")
    assert not Event.objects.filter(team=team, type="sync_subscriber").exists()

    run(api_client, "email\nb@example.com\n", send_webhooks="true")
    assert Event.objects.filter(team=team, type="sync_subscriber").count() == 1


def test_a_gzipped_file_is_accepted(api_client: KeyedClient, team: Team) -> None:
    subscriber_import = run(api_client, gzip.compress(CSV.encode()), name="list.csv.gz")

    assert subscriber_import.created == 3


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("name\nAnn\n", "File must be a CSV with an email column"),
        (b"\xff\xfe\x00\x01binary", "File must be a CSV with an email column"),
        ("", "File must be a CSV with an email column"),
    ],
)
def test_a_file_that_is_not_a_csv_with_emails_is_refused(
    api_client: KeyedClient, content: Any, error: str
) -> None:
    response = upload(api_client, content)

    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert not SubscriberImport.objects.exists()


def test_no_file_is_refused(api_client: KeyedClient) -> None:
    response = api_client.post("/v2/imports", {"on_conflict": "skip"}, format="multipart")

    assert response.status_code == 400
    assert response.json()["error"] == "File can't be blank"


def test_a_file_too_large_is_refused(api_client: KeyedClient, settings: Any) -> None:
    settings.IMPORT_MAX_BYTES = 10

    response = upload(api_client, CSV)

    assert response.status_code == 400
    assert response.json() == {"error": "File is too large"}


def test_a_bad_on_conflict_is_refused(api_client: KeyedClient) -> None:
    response = upload(api_client, CSV, on_conflict="merge")

    assert response.status_code == 400
    assert response.json()["error"] == "On conflict must be one of skip, update"


def test_imports_are_listed_newest_first_and_got_by_uuid(api_client: KeyedClient) -> None:
    first = run(api_client, "email\na@example.com\n")
    second = run(api_client, "email\nb@example.com\n")

    listed = api_client.get("/v2/imports").json()
    one = api_client.get(f"/v2/imports/{first.public_id}").json()["import"]

    assert [i["uuid"] for i in listed["imports"]] == [second.public_id, first.public_id]
    assert listed["meta"]["total_imports"] == 2
    assert one["status"] == "completed"
    assert one["created"] == 1
    assert one["finished_at"].endswith("Z")


def test_another_teams_import_is_not_found(
    api_client: KeyedClient, other_client: KeyedClient
) -> None:
    theirs = run(other_client, CSV)

    for path in (f"/v2/imports/{theirs.public_id}", f"/v2/imports/{theirs.public_id}/errors"):
        response = api_client.get(path)
        assert response.status_code == 404
        assert response.json() == {"error": f"Import {theirs.public_id} not found!"}
    assert api_client.get("/v2/imports").json()["imports"] == []


def test_imports_need_the_write_scope(team: Team) -> None:
    refused = upload(bearer(issue_token(team=team, scope="read:subscribers")), CSV)
    allowed = upload(bearer(issue_token(team=team, scope="write:subscribers")), CSV)

    assert refused.status_code == 403
    assert refused.json() == {"error": "Missing scope: write:subscribers"}
    assert allowed.status_code == 202


def test_a_killed_worker_resumes_from_its_checkpoint_and_writes_no_row_twice(
    api_client: KeyedClient, team: Team, settings: Any
) -> None:
    settings.IMPORT_CHUNK_ROWS = 2
    lines = "".join(f"r{i}@example.com,R{i}\n" for i in range(7))
    response = upload(api_client, "email,name\n" + lines + "bad,\n")
    subscriber_import = SubscriberImport.objects.get(public_id=response.json()["import"]["uuid"])

    # The first worker commits two chunks, then dies: its claim stays, unrefreshed.
    assert subscriber_import_run(import_id=subscriber_import.pk, max_chunks=2) == "again"
    SubscriberImport.objects.filter(pk=subscriber_import.pk).update(
        run_token="dead-worker", heartbeat_at="2000-01-01T00:00:00Z"
    )
    subscriber_import.refresh_from_db()
    assert (subscriber_import.status, subscriber_import.checkpoint_rows) == ("running", 4)
    assert subscriber_import.pk in subscriber_import_sweep()

    subscriber_import_run_task(subscriber_import.pk)  # what the sweep enqueues
    subscriber_import_run_task(subscriber_import.pk)  # a duplicate message: no effect

    subscriber_import.refresh_from_db()
    assert subscriber_import.status == "completed"
    assert (subscriber_import.processed_rows, subscriber_import.created) == (8, 7)
    assert subscriber_import.failed == 1
    assert Subscriber.objects.filter(team=team).count() == 7
    assert subscriber_import.failures.count() == 1


def test_a_live_run_is_not_taken_over(api_client: KeyedClient, settings: Any) -> None:
    settings.IMPORT_CHUNK_ROWS = 1
    response = upload(api_client, "email\na@example.com\nb@example.com\n")
    subscriber_import = SubscriberImport.objects.get(public_id=response.json()["import"]["uuid"])
    assert subscriber_import_run(import_id=subscriber_import.pk, max_chunks=1) == "again"
    SubscriberImport.objects.filter(pk=subscriber_import.pk).update(run_token="alive")

    assert subscriber_import_run(import_id=subscriber_import.pk) is None
    assert subscriber_import.pk not in subscriber_import_sweep()


def test_the_command_imports_a_file_and_prints_a_summary(team: Team, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(CSV)
    stdout = io.StringIO()

    call_command("import_subscribers", "--team", team.name, str(path), stdout=stdout)

    assert (
        stdout.getvalue()
        .strip()
        .endswith("completed: 6 rows, 3 created, 0 updated, 1 skipped, 2 failed")
    )
    assert Subscriber.objects.filter(team=team).count() == 3


def test_the_command_refuses_a_file_without_emails(team: Team, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("name\nAnn\n")

    with pytest.raises(CommandError, match="File must be a CSV with an email column"):
        call_command("import_subscribers", "--team", team.name, str(path))
