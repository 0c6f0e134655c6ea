"""The PostgreSQL export (lines formatted by the server, streamed by COPY) writes the very
bytes of the Python path, whatever the values hold."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.services import subscriber_create
from subscribers.transfer.exports import csv_chunks, export_chunks, export_rows, jsonl_chunks

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path"),
]

NASTY = [
    ("=1+2", "a,b", 0),
    ("+cmd", 'say "hi"', 1),
    ("-x", "two\nlines", 5),
    ("@SUM(A1)", "cr\rhere", 100),
    ("\tTab", "back\\slash", 1250),
    ("\rCR", "tab\tin", -250),
    ("plain", "", 12345),
    ("ünïcødé ✓", "\x01\x1f\x7f ctl", 3),
    ('quote"and,comma', "\\n literal", -100),
    ("emoji 🚀", None, None),
]


@pytest.fixture
def nasty(team: Team) -> list[Subscriber]:
    made = []
    for i, (name, agent, cents) in enumerate(NASTY):
        subscriber = subscriber_create(team=team, email=f"n{i}@example.com", name="n")
        Subscriber.objects.filter(pk=subscriber.pk).update(
            name=name,
            user_agent=agent,
            utm_source="=HYPERLINK()" if i % 2 else "-",
            cpa_cents=cents,
            created_at=datetime(2024, 2, 29, 23, 59, 59, 999999 - i * 99_001, tzinfo=UTC),
        )
        made.append(subscriber)
    return made


@pytest.mark.parametrize("format", ["csv", "jsonl"])
def test_the_copy_path_writes_the_python_paths_bytes(
    team: Team, nasty: list[Subscriber], format: str
) -> None:
    queryset = Subscriber.objects.filter(team=team).order_by("-created_at", "-id")
    python = csv_chunks if format == "csv" else jsonl_chunks

    expected = "".join(python(export_rows(queryset)))
    got = "".join(export_chunks(queryset, format))

    assert got == expected
    assert got.count("\n") >= len(NASTY)


def test_an_empty_team_is_a_header_or_nothing(team: Team) -> None:
    queryset = Subscriber.objects.filter(team=team)

    assert "".join(export_chunks(queryset, "csv")) == "".join(csv_chunks(export_rows(queryset)))
    assert "".join(export_chunks(queryset, "jsonl")) == ""
