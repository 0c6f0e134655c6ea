"""The set-based import path (PostgreSQL: COPY into a staging table, then SQL) leaves what
the batch write path leaves, row for row, and a killed or overtaken run writes nothing
twice."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from referrals.models import CampaignMembership
from sparkloop.counters import counter_get
from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.selectors import COUNTER_SUBSCRIBERS
from subscribers.services import subscriber_create
from subscribers.transfer.imports import (
    _chunk_write,
    subscriber_import_create,
    subscriber_import_run,
    subscriber_import_sweep,
)
from subscribers.transfer.models import SubscriberImport
from tests.factories import TeamFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path"),
]

GENERATED = re.compile(r"[0-9a-f]{8}")
TRICKY = (
    "email,name,ref_code,referrer_code,status,country_code,created_at,utm_source\n"
    "ann@example.com,Ann,Ann-Code,,confirmed,gb,,news\n"
    "bob@example.com,Bob,,Ann-Code,,,,\n"
    "ANN@example.com,Ann twice,,,,,,\n"
    "cid@example.com,Cid,ann-code,,,,,\n"
    "dan@example.com,Dan,,eve-code,,,,\n"
    "eve@example.com,Eve,eve-code,,,,,\n"
    "not-an-email,X,,,,,,\n"
    " pad@example.com ,  Pad  ,,,,,,\n"
    "gil@example.com,Gil,,,gone,,,\n"
    "hal@example.com,Hal,,,,GBR,,\n"
    "ivy@example.com," + "I" * 256 + ",,,,,,\n"
    "jon@example.com,Jon,,,,,2020-01-02T03:04:05Z,\n"
    "old@example.com,Old again,,,,,,\n"
    "kim@example.com,Kim,OLD-CODE,,,,,\n"
    "lee@example.com,Lee,bad code!,,,,,\n"
    "mia@example.com,=Mia,,,unsubscribed,,,\n"
    "ned@example.com,Ned,,old-code,,,,\n"
    "üñï@example.com,U,,,,,,\n"
)


def _import(
    team: Team, content: str, settings: Any, set_based: bool, on_conflict: str = "skip"
) -> SubscriberImport:
    settings.IMPORT_SET_BASED = set_based
    made = subscriber_import_create(
        team=team,
        file=ContentFile(content.encode()),
        file_name="x.csv",
        size=len(content),
        on_conflict=on_conflict,
        publish=False,
    )
    assert subscriber_import_run(import_id=made.pk) == "completed"
    made.refresh_from_db()
    return made


def _state(team: Team, made: SubscriberImport) -> dict[str, Any]:
    subscribers = {
        s.email: (
            s.name,
            s.status,
            "generated" if GENERATED.fullmatch(s.ref_code) else s.ref_code,
            s.referrer.email if s.referrer else None,
            s.referred,
            s.referral_status,
            s.referrals_count,
            s.country_code,
            s.utm_source,
            s.origin,
            s.confirmed_at is not None,
            s.unsubscribed_at is not None,
        )
        for s in Subscriber.objects.filter(team=team).select_related("referrer")
    }
    return {
        "subscribers": subscribers,
        "counts": (
            made.total_rows,
            made.processed_rows,
            made.created,
            made.skipped,
            made.updated,
            made.failed,
        ),
        "failures": list(made.failures.order_by("row").values_list("row", "email", "error")),
        "memberships": CampaignMembership.objects.filter(team_id=team.pk).count(),
        "counter": counter_get(team=team, name=COUNTER_SUBSCRIBERS),
    }


@pytest.mark.parametrize("on_conflict", ["skip", "update"])
def test_the_set_based_path_leaves_what_the_batch_path_leaves(
    settings: Any, on_conflict: str
) -> None:
    settings.IMPORT_CHUNK_ROWS = 7
    states = []
    for set_based in (True, False):
        team = TeamFactory.create()
        old = subscriber_create(team=team, email="old@example.com", name="Old")
        Subscriber.objects.filter(pk=old.pk).update(ref_code="old-code")
        made = _import(team, TRICKY, settings, set_based, on_conflict)
        states.append(_state(team, made))

    assert states[0] == states[1]
    assert states[0]["counts"][2] >= 8  # created
    assert states[0]["subscribers"]["bob@example.com"][3] == "ann@example.com"
    assert states[0]["subscribers"]["dan@example.com"][3] is None  # eve came later


def test_a_run_that_lost_its_claim_keeps_nothing_of_its_chunk(team: Team, settings: Any) -> None:
    made = subscriber_import_create(
        team=team,
        file=ContentFile(b"email\na@example.com\n"),
        file_name="x.csv",
        size=20,
        publish=False,
    )

    assert _chunk_write(made, "not-the-claim", [(2, {"email": "a@example.com"})]) is False

    assert not Subscriber.objects.filter(team=team).exists()
    assert counter_get(team=team, name=COUNTER_SUBSCRIBERS) == 0


def test_a_killed_worker_resumes_a_mixed_file_and_writes_no_row_twice(
    team: Team, settings: Any
) -> None:
    settings.IMPORT_CHUNK_ROWS = 3
    lines = [
        f"r{i}@example.com,code{i:03},{f'code{i - 1:03}' if i % 3 == 2 else ''}" for i in range(10)
    ]
    content = "email,ref_code,referrer_code\n" + "\n".join(lines) + "\nbad,,\n"
    made = subscriber_import_create(
        team=team,
        file=ContentFile(content.encode()),
        file_name="x.csv",
        size=len(content),
        publish=False,
    )
    assert subscriber_import_run(import_id=made.pk, max_chunks=2) == "again"
    SubscriberImport.objects.filter(pk=made.pk).update(
        run_token="dead-worker", heartbeat_at="2000-01-01T00:00:00Z"
    )
    assert made.pk in subscriber_import_sweep()

    assert subscriber_import_run(import_id=made.pk) == "completed"
    assert subscriber_import_run(import_id=made.pk) is None

    made.refresh_from_db()
    assert (made.processed_rows, made.created, made.failed) == (11, 10, 1)
    assert Subscriber.objects.filter(team=team).count() == 10
    assert Subscriber.objects.filter(team=team, referred=True).count() == 3
    assert counter_get(team=team, name=COUNTER_SUBSCRIBERS) == 10
