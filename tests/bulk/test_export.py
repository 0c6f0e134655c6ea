"""`GET /v2/subscribers/export` and `manage.py export_subscribers`: streamed, defused."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.services import subscriber_create
from subscribers.transfer.exports import HEADER
from tests.clients import KeyedClient
from tests.oauth.helpers import bearer, fast_hashers, issue_token

__all__ = ["fast_hashers"]

pytestmark = pytest.mark.django_db

URL = "/v2/subscribers/export"


def body(response: Any) -> str:
    assert response.status_code == 200, response.content
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def three(team: Team) -> list[Subscriber]:
    ann = subscriber_create(team=team, email="ann@example.com", name="Ann", status="confirmed")
    bob = subscriber_create(team=team, email="bob@example.com", referrer_code=ann.ref_code)
    cid = subscriber_create(team=team, email="cid@example.com", status="unsubscribed")
    return [ann, bob, cid]


def test_csv_has_the_subscriber_objects_columns_newest_first(
    api_client: KeyedClient, three: list[Subscriber]
) -> None:
    response = api_client.get(URL)
    text = body(response)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="subscribers-')
    assert text.splitlines()[0] == ",".join(HEADER)
    found = rows(text)
    assert [r["email"] for r in found] == ["cid@example.com", "bob@example.com", "ann@example.com"]
    assert found[1]["referrer_code"] == three[0].ref_code
    assert found[1]["referred"] == "true"
    assert found[2]["name"] == "Ann"


def test_jsonl_lines_are_the_apis_subscriber_objects(
    api_client: KeyedClient, three: list[Subscriber]
) -> None:
    Subscriber.objects.filter(pk=three[0].pk).update(cpa_cents=1250, country_code="GB")
    listed = api_client.get("/v2/subscribers").json()["subscribers"]

    lines = body(api_client.get(URL, {"format": "jsonl"})).splitlines()

    assert [json.loads(line) for line in lines] == listed
    assert list(json.loads(lines[0])) == HEADER


def test_the_list_filters_apply(api_client: KeyedClient, three: list[Subscriber]) -> None:
    Subscriber.objects.filter(pk=three[0].pk).update(created_at=timezone.now() - timedelta(days=10))
    cut = (timezone.now() - timedelta(days=1)).isoformat()

    def emails(**params: str) -> list[str]:
        return [r["email"] for r in rows(body(api_client.get(URL, params)))]

    assert emails(status="confirmed") == ["ann@example.com"]
    assert emails(type="referrals") == ["bob@example.com"]
    assert emails(type="advocates") == ["ann@example.com"]
    assert emails(created_after=cut) == ["cid@example.com", "bob@example.com"]
    assert emails(created_before=cut) == ["ann@example.com"]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"format": "xlsx"}, "Format must be one of csv, jsonl"),
        ({"type": "vip"}, "Type must be one of all, referrals, advocates"),
        ({"status": "gone"}, "Invalid status!"),
        ({"created_after": "yesterday"}, "Created after must be a date and time (ISO 8601)"),
        ({"created_before": "2026-13-01"}, "Created before must be a date and time (ISO 8601)"),
    ],
)
def test_bad_parameters_are_refused(
    api_client: KeyedClient, params: dict[str, str], error: str
) -> None:
    response = api_client.get(URL, params)

    assert response.status_code == 400
    assert response.json()["error"] == error


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_defuses_formulas(api_client: KeyedClient, team: Team, start: str) -> None:
    payload = f'{start}HYPERLINK("https://evil.example","x")'
    subscriber_create(team=team, email="f@example.com", name=payload, utm_source=payload)

    found = rows(body(api_client.get(URL)))[0]
    jsonl = json.loads(body(api_client.get(URL, {"format": "jsonl"})))

    assert found["name"] == "'" + payload
    assert found["utm_source"] == "'" + payload
    assert jsonl["name"] == payload  # JSON is data, not a spreadsheet


def test_another_teams_subscribers_are_not_exported(
    other_client: KeyedClient, three: list[Subscriber], other_team: Team
) -> None:
    subscriber_create(team=other_team, email="theirs@example.com")

    found = rows(body(other_client.get(URL)))

    assert [r["email"] for r in found] == ["theirs@example.com"]


def test_exports_need_the_read_scope(team: Team, three: list[Subscriber]) -> None:
    allowed = bearer(issue_token(team=team, scope="read:subscribers")).get(URL)
    refused = bearer(issue_token(team=team, scope="write:subscribers")).get(URL)

    assert len(rows(body(allowed))) == 3
    assert refused.status_code == 403
    assert refused.json() == {"error": "Missing scope: read:subscribers"}


def test_the_command_writes_a_file(team: Team, three: list[Subscriber], tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"

    call_command("export_subscribers", "--team", team.name, "--format", "jsonl", "-o", str(out))

    lines = out.read_text().splitlines()
    assert [json.loads(line)["email"] for line in lines] == [
        "cid@example.com",
        "bob@example.com",
        "ann@example.com",
    ]


def test_the_command_writes_csv_to_stdout(team: Team, three: list[Subscriber]) -> None:
    stdout = io.StringIO()

    call_command("export_subscribers", "--team", team.name, stdout=stdout)

    assert len(rows(stdout.getvalue())) == 3
