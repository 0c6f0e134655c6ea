"""/v2/partner_programs: a team's own programs, their partners and join requests."""

from __future__ import annotations

from typing import Any

import pytest

from referrals.partners.earnings.services import partner_referral_create
from referrals.partners.models import PartnerCampaign, PartnerProgram
from tests.clients import KeyedClient
from tests.partners.catalog.conftest import (
    PROGRAM,
    join,
    make_program,
    make_publication,
)

pytestmark = pytest.mark.django_db


def test_create_answers_201_with_dollars_on_the_wire_and_cents_inside(
    api_client: KeyedClient,
) -> None:
    publication = make_publication(api_client, publication_url="https://pour.example.com/")
    response = api_client.post(
        "/v2/partner_programs",
        {
            "publication_uuid": publication["uuid"],
            "cpa": 2.5,
            "max_payout": 500.0,
            "total_budget": 1000,
            "redirect_url": "https://pour.example.com/",
            "thankyou_page_url": "https://pour.example.com/thanks",
            "allow_worldwide_referrals": False,
            "allowed_countries": ["gb", "CA"],
            "referral_pending_duration": 10,
            "requires_approval": True,
            "slug": "pour-over",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()["partner_program"]
    assert body["uuid"].startswith("partner_program_")
    assert (body["cpa"], body["max_payout"], body["total_budget"]) == (2.5, 500.0, 1000.0)
    assert body["geo_restrictions"] == {
        "allow_worldwide_referrals": False,
        "allowed_countries": ["CA", "GB"],
        "blocked_countries": [],
        "allowed_regions": [],
    }
    assert body["publication"]["uuid"] == publication["uuid"]
    assert body["publication"]["url"] == "https://pour.example.com/"
    assert body["status"] == "active"
    assert body["referral_pending_duration"] == 10
    assert body["requires_approval"] is True
    assert body["screening_strictness"] == "not_enough_data"
    assert body["expected_referral_confirmation_rate"] is None
    assert body["expected_earning_per_referral"] == "$2.5"
    assert body["budget_used_this_month"] == 0.0
    assert body["remaining_budget_dollars"] == 1000.0
    assert body["terms"] is None
    program = PartnerProgram.objects.get()
    assert (program.cpa_cents, program.max_payout_cents, program.total_budget_cents) == (
        250,
        50_000,
        100_000,
    )
    shown = api_client.get(f"/v2/publications/{publication['uuid']}").json()["publication"]
    assert shown["enabled_partner_program"] is True


def test_the_pending_duration_defaults_to_14_days(api_client: KeyedClient) -> None:
    assert make_program(api_client)["referral_pending_duration"] == 14


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"cpa": None}, "Cpa can't be blank"),
        ({"cpa": "lots"}, "Cpa is invalid"),
        ({"max_payout": -1}, "Max payout is invalid"),
        ({"redirect_url": "nope"}, "Redirect url is invalid"),
        (
            {"allow_worldwide_referrals": False},
            "Allowed countries or blocked countries can't be blank",
        ),
        ({"allowed_countries": ["USA"]}, "Allowed countries is invalid"),
        ({"can_be_recommended_via": ["carrier pigeon"]}, "Can be recommended via is invalid"),
        ({"publication_uuid": "pub_000000000000"}, "Publication pub_000000000000 not found!"),
    ],
)
def test_create_refuses_bad_fields(
    api_client: KeyedClient, change: dict[str, Any], error: str
) -> None:
    publication = make_publication(api_client)
    body = {**PROGRAM, "publication_uuid": publication["uuid"], **change}
    response = api_client.post("/v2/partner_programs", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert not PartnerProgram.objects.exists()


def test_a_publication_has_one_program(api_client: KeyedClient) -> None:
    program = make_program(api_client)
    body = {**PROGRAM, "publication_uuid": program["publication"]["uuid"]}
    response = api_client.post("/v2/partner_programs", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": "Publication already has a partner program"}


def test_another_teams_publication_is_not_found(
    api_client: KeyedClient, other_client: KeyedClient
) -> None:
    theirs = make_publication(other_client)
    body = {**PROGRAM, "publication_uuid": theirs["uuid"]}
    response = api_client.post("/v2/partner_programs", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": f"Publication {theirs['uuid']} not found!"}


def test_a_slug_is_unique(api_client: KeyedClient, other_client: KeyedClient) -> None:
    make_program(other_client, slug="coffee")
    publication = make_publication(api_client)
    body = {**PROGRAM, "publication_uuid": publication["uuid"], "slug": "coffee"}
    response = api_client.post("/v2/partner_programs", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": "Slug has already been taken"}


def test_list_get_and_the_not_found_sentence(api_client: KeyedClient) -> None:
    first, second = make_program(api_client), make_program(api_client)
    body = api_client.get("/v2/partner_programs").json()
    assert [p["uuid"] for p in body["partner_programs"]] == [second["uuid"], first["uuid"]]
    assert body["meta"]["total_partner_programs"] == 2
    got = api_client.get(f"/v2/partner_programs/{first['uuid']}")
    assert got.json()["partner_program"] == first
    missing = api_client.get("/v2/partner_programs/partner_program_4bc10562d97")
    assert missing.status_code == 404
    assert missing.json() == {"error": "Partner program partner_program_4bc10562d97 not found!"}


def test_update_changes_terms_status_and_geo(api_client: KeyedClient) -> None:
    program = make_program(api_client)
    response = api_client.put(
        f"/v2/partner_programs/{program['uuid']}",
        {
            "cpa": 3,
            "status": "paused",
            "blocked_countries": ["RU"],
            "allow_worldwide_referrals": False,
            "terms": "Be nice",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()["partner_program"]
    assert (body["cpa"], body["status"], body["terms"]) == (3.0, "paused", "Be nice")
    assert body["geo_restrictions"]["blocked_countries"] == ["RU"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "You have to update at least 1 field."),
        ({"status": "deleted"}, "Status is invalid"),
        (
            {"allow_worldwide_referrals": False},
            "Allowed countries or blocked countries can't be blank",
        ),
        ({"redirect_url": ""}, "Redirect url can't be blank"),
    ],
)
def test_update_refuses_bad_fields(
    api_client: KeyedClient, body: dict[str, Any], error: str
) -> None:
    program = make_program(api_client)
    response = api_client.put(f"/v2/partner_programs/{program['uuid']}", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_partners_lists_every_campaign_of_the_program(
    api_client: KeyedClient, other_client: KeyedClient
) -> None:
    program = make_program(api_client, requires_approval=True)
    joined = join(other_client, program["uuid"]).json()["partner_campaign"]
    body = api_client.get(f"/v2/partner_programs/{program['uuid']}/partners").json()
    assert [c["uuid"] for c in body["partner_campaigns"]] == [joined["uuid"]]
    assert body["partner_campaigns"][0]["status"] == "pending"
    assert body["meta"]["total_partner_campaigns"] == 1
    active = api_client.get(f"/v2/partner_programs/{program['uuid']}/partners?status=active")
    assert active.json()["partner_campaigns"] == []
    bad = api_client.get(f"/v2/partner_programs/{program['uuid']}/partners?status=lost")
    assert bad.status_code == 400
    assert bad.json()["error"] == "Status is invalid"


@pytest.mark.parametrize(("decision", "status"), [("approve", "active"), ("reject", "rejected")])
def test_the_owner_decides_a_join_request_once(
    api_client: KeyedClient, other_client: KeyedClient, decision: str, status: str
) -> None:
    program = make_program(api_client, requires_approval=True)
    joined = join(other_client, program["uuid"]).json()["partner_campaign"]
    path = f"/v2/partner_programs/{program['uuid']}/partners/{joined['uuid']}/{decision}"
    response = api_client.put(path)
    assert response.status_code == 200
    assert response.json()["partner_campaign"]["status"] == status
    assert PartnerCampaign.objects.get().decided_at is not None
    again = api_client.put(path)
    assert again.status_code == 400
    assert again.json() == {"error": f"Partner campaign {joined['uuid']} is not pending approval"}
    seen = other_client.get(f"/v2/partner_profile/partner_campaigns/{joined['uuid']}")
    assert seen.json()["partner_campaign"]["status"] == status


def test_a_decision_on_an_unknown_campaign_is_a_404(api_client: KeyedClient) -> None:
    program = make_program(api_client)
    path = f"/v2/partner_programs/{program['uuid']}/partners/partner_campaign_000000000000/approve"
    response = api_client.put(path)
    assert response.status_code == 404
    assert response.json() == {"error": "Partner campaign partner_campaign_000000000000 not found!"}


def test_budget_use_counts_pending_referrals_reserved(
    api_client: KeyedClient, other_client: KeyedClient
) -> None:
    program = make_program(api_client, cpa=2.5, max_payout=5, total_budget=100)
    joined = join(other_client, program["uuid"]).json()["partner_campaign"]
    campaign = PartnerCampaign.objects.get(public_id=joined["uuid"])
    referral = partner_referral_create(campaign=campaign, email="reader@example.com")
    assert referral.status == "pending"
    body = api_client.get(f"/v2/partner_programs/{program['uuid']}").json()["partner_program"]
    assert (body["budget_used_this_month"], body["remaining_budget_dollars"]) == (2.5, 97.5)
    seen = other_client.get(f"/v2/partner_profile/partner_campaigns/{joined['uuid']}").json()
    # The partner's cap (5 dollars) less its reservation is smaller than the program's rest.
    assert seen["partner_campaign"]["remaining_budget"] == 250
    assert seen["partner_campaign"]["remaining_budget_dollars"] == 2.5
    assert seen["partner_campaign"]["referrals"]["pending"] == 1
