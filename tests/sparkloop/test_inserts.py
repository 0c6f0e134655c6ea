"""`rows_insert`: new rows of one model in one statement, as `bulk_create` writes them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals.partners.models import PartnerReferral
from sparkloop.inserts import rows_insert
from subscribers.models import Subscriber
from tests.factories import SubscriberFactory, TeamFactory
from tests.partners.factories import PartnerCampaignFactory, PartnerReferralFactory

pytestmark = pytest.mark.django_db


def test_rows_go_in_with_their_ids_in_one_statement_as_written() -> None:
    campaign = PartnerCampaignFactory.create()
    moment = timezone.now().replace(microsecond=123456) - timedelta(days=3)
    signals = [{"signal": "ip_velocity", "detail": 'Zoë "quoted" \\ ✓', "n": 3.5}, None]
    rows = [
        PartnerReferralFactory.build(
            campaign=campaign,
            program=campaign.program,
            partner_profile=campaign.partner_profile,
            team=campaign.publication.team,
            email=f"r{n}@example.com",
            name=None if n else "Ann O'Neil",
            budget_month=date(2026, 12, 1),
            signals=signals if n == 1 else [],
            pending_until=moment,
        )
        for n in range(3)
    ]
    with CaptureQueriesContext(connection) as queries:
        written = rows_insert(rows)
    assert len(queries) == 1
    assert written == rows
    assert all(row.pk and not row._state.adding for row in rows)
    for row in rows:
        stored = PartnerReferral.objects.get(pk=row.pk)
        assert (stored.email, stored.name, stored.public_id) == (row.email, row.name, row.public_id)
        assert stored.pending_until == moment  # to the microsecond
        assert stored.created_at == row.created_at  # auto_now_add, as bulk_create sets it
        assert stored.budget_month == date(2026, 12, 1)
        assert stored.signals == row.signals
    assert PartnerReferral.objects.get(pk=rows[1].pk).signals == signals


def test_ignore_conflicts_leaves_out_the_refused_rows_and_answers_the_others() -> None:
    team = TeamFactory.create()
    taken = SubscriberFactory.create(team=team, email="taken@example.com")
    rows = [
        SubscriberFactory.build(team=team, email=email, email_normalized=email)
        for email in ("a@example.com", "taken@example.com", "b@example.com")
    ]
    written = rows_insert(rows, ignore_conflicts=True)
    assert written == [rows[0], rows[2]]
    assert rows[1] not in written
    assert rows[1]._state.adding
    assert set(Subscriber.objects.filter(team=team).values_list("email", flat=True)) == {
        "a@example.com",
        "b@example.com",
        taken.email,
    }
    assert {s.pk for s in written} == set(
        Subscriber.objects.filter(email__in=["a@example.com", "b@example.com"]).values_list(
            "pk", flat=True
        )
    )


def test_a_refused_row_fails_the_statement_without_ignore_conflicts() -> None:
    team = TeamFactory.create()
    SubscriberFactory.create(team=team, email="taken@example.com")
    rows = [
        SubscriberFactory.build(team=team, email=email, email_normalized=email)
        for email in ("a@example.com", "taken@example.com")
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        rows_insert(rows)
    assert not Subscriber.objects.filter(email="a@example.com").exists()


def test_nothing_to_insert_makes_no_statement() -> None:
    with CaptureQueriesContext(connection) as queries:
        assert rows_insert([]) == []
    assert not queries
