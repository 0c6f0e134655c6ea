"""Admin of the partner catalogue: the join-request queue decided through the services,
programs with this month's budget use, permissions on every action, no full COUNT."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from referrals.partners.earnings.services import partner_referral_create
from referrals.partners.models import PartnerCampaign, PartnerProgram
from sparkloop.models import Team
from tests.admin.helpers import count_queries_on, messages_of
from tests.partners.factories import PartnerCampaignFactory, PartnerProgramFactory

pytestmark = pytest.mark.django_db

CAMPAIGNS = "/admin/partners/partnercampaign/"
PROGRAMS = "/admin/partners/partnerprogram/"


def _action(client: Client, url: str, action: str, rows: list[Any]) -> Any:
    return client.post(url, {"action": action, "_selected_action": [r.pk for r in rows]})


def _requests(team: Team, n: int) -> list[PartnerCampaign]:
    program = PartnerProgramFactory.create(requires_approval=True)
    return [PartnerCampaignFactory.create(program=program, status="pending") for _ in range(n)]


def test_the_queue_lists_pending_join_requests(admin_client: Client, team: Team) -> None:
    pending = _requests(team, 2)
    PartnerCampaignFactory.create(status="active")
    response = admin_client.get(CAMPAIGNS + "?queue=pending")
    assert response.status_code == 200
    shown = {c.public_id for c in response.context["cl"].result_list}
    assert shown == {c.public_id for c in pending}


@pytest.mark.parametrize(("action", "status"), [("approve", "active"), ("reject", "rejected")])
def test_staff_decide_join_requests_through_the_service(
    admin_client: Client, team: Team, action: str, status: str
) -> None:
    pending = _requests(team, 1)[0]
    decided = PartnerCampaignFactory.create(status="active")
    response = _action(admin_client, CAMPAIGNS, action, [pending, decided])
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == status
    assert pending.decided_at is not None
    decided.refresh_from_db()
    assert decided.status == "active"
    shown = messages_of(response)
    assert any("1 join request(s)." in m for m in shown)
    assert any(f"Partner campaign {decided.public_id} is not pending approval" in m for m in shown)


def test_view_only_staff_cannot_decide(client: Client, team: Team) -> None:
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_partnercampaign"))
    client.force_login(viewer)
    pending = _requests(team, 1)[0]
    response = _action(client, CAMPAIGNS, "approve", [pending])
    assert response.status_code == 200  # "No action selected": the action is not offered
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_programs_show_this_months_budget_use_without_a_query_per_row(
    admin_client: Client,
) -> None:
    programs = [PartnerProgramFactory.create(cpa_cents=300) for _ in range(3)]
    campaign = PartnerCampaignFactory.create(program=programs[0])
    partner_referral_create(campaign=campaign, email="reader@example.com")
    with CaptureQueriesContext(connection) as few:
        response = admin_client.get(PROGRAMS)
    used = {
        p.public_id: p.budget_facts.budget.total_cents for p in response.context["cl"].result_list
    }
    assert used == {programs[0].public_id: 300, programs[1].public_id: 0, programs[2].public_id: 0}
    assert b"Used this month" in response.content
    more = [PartnerProgramFactory.create() for _ in range(5)]
    assert more
    with CaptureQueriesContext(connection) as many:
        admin_client.get(PROGRAMS)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert not [
        q
        for q in count_queries_on(
            [q["sql"] for q in many.captured_queries], "partners_partnerprogram"
        )
        if "LIMIT" not in q
    ]


def test_staff_pause_a_program_through_the_service(admin_client: Client) -> None:
    program = PartnerProgramFactory.create()
    response = _action(admin_client, PROGRAMS, "pause", [program])
    assert response.status_code == 302
    program.refresh_from_db()
    assert program.status == PartnerProgram.Status.PAUSED
    assert (
        admin_client.get(
            f"/admin/partners/publication/{program.publication.pk}/change/"
        ).status_code
        == 200
    )
