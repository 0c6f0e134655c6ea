"""Admin of partner earnings: referrals (filters, no exact count), payouts' actions, CSV."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from referrals.partners.models import EarningsEntry, Payout
from sparkloop.models import Team
from tests.admin.helpers import count_queries_on, messages_of
from tests.partners.factories import PartnerReferralFactory

pytestmark = pytest.mark.django_db

PAYOUTS = "/admin/partners/payout/"


def _payout(team: Team, **fields: Any) -> Payout:
    profile = team.partner_profile
    payout = Payout.objects.create(
        partner_profile=profile,
        amount_cents=fields.pop("amount_cents", 6000),
        period_start=date(2026, 2, 1),
        period_end=fields.pop("period_end", date(2026, 2, 28)),
        **fields,
    )
    EarningsEntry.objects.create(
        partner_profile=profile, kind="paid_out", amount_cents=-payout.amount_cents, payout=payout
    )
    return payout


def _action(client: Client, action: str, payouts: list[Payout], **extra: str) -> Any:
    return client.post(
        PAYOUTS,
        {"action": action, "_selected_action": [p.pk for p in payouts], "index": 0, **extra},
    )


def test_staff_mark_payouts_paid_with_the_reference(admin_client: Client, team: Team) -> None:
    payout = _payout(team)
    response = _action(admin_client, "mark_paid", [payout], reference="tr_42")
    assert response.status_code == 302
    payout.refresh_from_db()
    assert (payout.status, payout.reference) == ("paid", "tr_42")
    assert "Marked paid 1 payout(s)." in messages_of(response)


def test_marking_paid_without_a_reference_changes_nothing(admin_client: Client, team: Team) -> None:
    payout = _payout(team)
    response = _action(admin_client, "mark_paid", [payout])
    payout.refresh_from_db()
    assert payout.status == "pending"
    assert any("Reference can't be blank" in m for m in messages_of(response))


def test_a_failed_payout_returns_to_the_balance(admin_client: Client, team: Team) -> None:
    payout = _payout(team)
    _action(admin_client, "mark_failed", [payout])
    payout.refresh_from_db()
    assert payout.status == "failed"
    assert EarningsEntry.objects.get(payout=payout, kind="reversed").amount_cents == 6000


def test_view_only_staff_may_not_mark_payouts(team: Team) -> None:
    payout = _payout(team)
    viewer = User.objects.create_user(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_payout"))
    client = Client()
    client.force_login(viewer)
    _action(client, "mark_paid", [payout], reference="tr_1")
    payout.refresh_from_db()
    assert payout.status == "pending"
    assert client.get(f"{PAYOUTS}csv/?month=2026-02").status_code == 200


def test_a_months_payouts_download_as_csv(
    admin_client: Client, team: Team, other_team: Team
) -> None:
    february = _payout(team, reference="=HYPERLINK()", status="paid")
    _payout(other_team, period_end=date(2026, 3, 31))
    response = admin_client.get(f"{PAYOUTS}csv/?month=2026-02")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="payouts-2026-02.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["payout", "partner", "payout_email", "amount_cents"]
    assert [r[0] for r in rows[1:]] == [february.public_id]
    assert rows[1][4] == "60.00"
    assert rows[1][10] == "'=HYPERLINK()"
    assert admin_client.get(f"{PAYOUTS}csv/?month=feb").status_code == 400


def test_the_referral_list_filters_without_an_exact_count(admin_client: Client) -> None:
    referral = PartnerReferralFactory.create(status="rejected", rejection_reason="unsubscribed")
    PartnerReferralFactory.create()
    url = "/admin/partners/partnerreferral/"
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(
            url,
            {
                "status__exact": "rejected",
                "rejection_reason__exact": "unsubscribed",
                "program__id__exact": str(referral.program_id),
            },
        )
    assert response.status_code == 200
    assert referral.public_id in response.content.decode()
    counts = count_queries_on([q["sql"] for q in queries], "partners_partnerreferral")
    assert all("LIMIT" in sql for sql in counts), counts
    assert admin_client.get(f"{url}{referral.pk}/change/").status_code == 200
