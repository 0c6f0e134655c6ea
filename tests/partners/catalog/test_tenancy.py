"""Tenancy: every catalogue route of team A's own objects is a 404 for team B's key, and
the network shows B only A's public facts."""

from __future__ import annotations

import pytest

from referrals.partners.catalog.services import partner_campaign_join, program_create
from referrals.partners.models import PartnerCampaign, PartnerProgram, Publication
from sparkloop.models import Team
from tests.clients import KeyedClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices(team: Team, other_team: Team) -> dict[str, str]:
    """Alice's publication and program, and a campaign of Alice's in Charlie's program."""
    publication = Publication.objects.create(team=team, name="Alice's", categories=["tech"])
    program = program_create(
        team=team,
        publication_uuid=publication.public_id,
        cpa_cents=100,
        max_payout_cents=1_000,
        total_budget_cents=10_000,
        redirect_url="https://alice.example.com/",
        requires_approval=True,
    )
    charlies = Publication.objects.create(team=other_team, name="Charlie's", categories=["tech"])
    charlies_program = program_create(
        team=other_team,
        publication_uuid=charlies.public_id,
        cpa_cents=100,
        max_payout_cents=1_000,
        total_budget_cents=10_000,
        redirect_url="https://charlie.example.com/",
    )
    campaign = partner_campaign_join(
        profile=team.partner_profile, program=charlies_program, reason_for_recommending="x"
    )
    request = partner_campaign_join(
        profile=other_team.partner_profile, program=program, reason_for_recommending="y"
    )
    return {
        "publication": publication.public_id,
        "program": program.public_id,
        "campaign": campaign.public_id,
        "request": request.public_id,
    }


ROUTES = [
    ("get", "/v2/publications/{publication}", "Publication {publication} not found!"),
    ("put", "/v2/publications/{publication}", "Publication {publication} not found!"),
    ("delete", "/v2/publications/{publication}", "Publication {publication} not found!"),
    ("get", "/v2/partner_programs/{program}", "Partner program {program} not found!"),
    ("put", "/v2/partner_programs/{program}", "Partner program {program} not found!"),
    ("get", "/v2/partner_programs/{program}/partners", "Partner program {program} not found!"),
    (
        "put",
        "/v2/partner_programs/{program}/partners/{request}/approve",
        "Partner program {program} not found!",
    ),
    (
        "put",
        "/v2/partner_programs/{program}/partners/{request}/reject",
        "Partner program {program} not found!",
    ),
    (
        "get",
        "/v2/partner_profile/partner_campaigns/{campaign}",
        "Partner campaign {campaign} not found!",
    ),
]


@pytest.mark.parametrize(("method", "path", "error"), ROUTES)
def test_another_teams_key_gets_404_on_every_own_route(
    other_client: KeyedClient, alices: dict[str, str], method: str, path: str, error: str
) -> None:
    response = getattr(other_client, method)(
        path.format(**alices), {"name": "Stolen", "cpa": 9}, format="json"
    )
    assert response.status_code == 404
    assert response.json() == {"error": error.format(**alices)}
    assert Publication.objects.filter(name="Stolen").count() == 0
    assert PartnerProgram.objects.filter(cpa_cents=900).count() == 0
    assert PartnerCampaign.objects.get(public_id=alices["request"]).status == "pending"


def test_lists_show_only_the_own_team(
    other_client: KeyedClient, alices: dict[str, str], other_team: Team
) -> None:
    publications = other_client.get("/v2/publications").json()["publications"]
    assert alices["publication"] not in [p["uuid"] for p in publications]
    programs = other_client.get("/v2/partner_programs").json()["partner_programs"]
    assert alices["program"] not in [p["uuid"] for p in programs]


def test_a_partner_sees_its_own_campaigns_and_not_the_programs_others(
    api_client: KeyedClient, other_client: KeyedClient, alices: dict[str, str]
) -> None:
    # Charlie's campaign in Alice's program is the program owner's to see (partners list),
    # never in Alice's own partner campaigns, and Alice's is never in Charlie's.
    response = api_client.get(f"/v2/partner_profile/partner_campaigns/{alices['request']}")
    assert response.status_code == 404
    response = other_client.get(f"/v2/partner_profile/partner_campaigns/{alices['campaign']}")
    assert response.status_code == 404
