"""`rows_fetch` / `row_load`: models from written-out statements, loaded as the ORM loads them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals.partners.models import PartnerReferral
from sparkloop.rows import model_columns, rows_fetch
from subscribers.models import Subscriber
from tests.factories import SubscriberFactory
from tests.partners.factories import PartnerCampaignFactory, PartnerReferralFactory

pytestmark = pytest.mark.django_db


def _fields(instance: object) -> dict[str, object]:
    model = type(instance)
    return {f.attname: getattr(instance, f.attname) for f in model._meta.concrete_fields}  # type: ignore[attr-defined]


def test_rows_load_field_for_field_as_the_orm_loads_them() -> None:
    campaign = PartnerCampaignFactory.create()
    made = PartnerReferralFactory.create(
        campaign=campaign,
        program=campaign.program,
        partner_profile=campaign.partner_profile,
        team=campaign.publication.team,
        name="Zoë O'Neil",
        budget_month=date(2026, 12, 1),
        signals=[{"signal": "ip_velocity", "n": 3.5}],
        pending_until=timezone.now() - timedelta(days=3),
    )
    table = PartnerReferral._meta.db_table
    sql = f"SELECT {model_columns(PartnerReferral, 'r')} FROM {table} r WHERE r.id = %s"  # noqa: S608

    with CaptureQueriesContext(connection) as queries:
        [loaded] = rows_fetch(PartnerReferral, sql, [made.pk])

    assert len(queries) == 1
    assert _fields(loaded) == _fields(PartnerReferral.objects.get(pk=made.pk))
    assert loaded.signals == [{"signal": "ip_velocity", "n": 3.5}]
    assert loaded.budget_month == date(2026, 12, 1)
    # A loaded instance, not an added one: saving it updates its row.
    assert loaded._state.adding is False
    assert loaded._state.db == connection.alias
    loaded.name = "Renamed"
    loaded.save(update_fields=["name"])
    assert PartnerReferral.objects.get(pk=made.pk).name == "Renamed"


def test_no_row_loads_nothing_and_columns_follow_the_fields_order() -> None:
    subscriber = SubscriberFactory.create(email="Ann@Example.com")
    table = Subscriber._meta.db_table
    sql = f"SELECT {model_columns(Subscriber)} FROM {table} WHERE email_normalized = %s"  # noqa: S608

    assert rows_fetch(Subscriber, sql, ["nobody@example.com"]) == []
    [loaded] = rows_fetch(Subscriber, sql, ["ann@example.com"])
    assert _fields(loaded) == _fields(Subscriber.objects.get(pk=subscriber.pk))
    quote = connection.ops.quote_name
    expected = [quote(str(f.column)) for f in Subscriber._meta.concrete_fields]
    assert model_columns(Subscriber).split(", ") == expected
    assert model_columns(Subscriber, "s").split(", ") == [f"s.{c}" for c in expected]
