"""/v2/partner_profile and its partner campaigns (partners.md, Partner profile)."""

from __future__ import annotations

import pytest

from referrals.partners.models import PartnerProfile
from sparkloop.models import Team
from tests.clients import KeyedClient
from tests.partners.catalog.conftest import join, make_program

pytestmark = pytest.mark.django_db


def test_every_team_has_a_profile_named_after_it(api_client: KeyedClient, team: Team) -> None:
    response = api_client.get("/v2/partner_profile")
    assert response.status_code == 200
    body = response.json()["partner_profile"]
    assert body["uuid"] == team.partner_profile.public_id
    assert body["uuid"].startswith("partner_")
    assert len(body["uuid"]) == 20
    assert body["name"] == "alice-news"
    assert body["website_url"] is None
    assert body["earnings"] == {"pending": 0, "confirmed": 0, "paid": 0}


def test_update_changes_the_given_fields(api_client: KeyedClient) -> None:
    response = api_client.put(
        "/v2/partner_profile",
        {
            "name": "Alice Media",
            "website_url": "https://alice.example.com",
            "payout_email": "a@x.io",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()["partner_profile"]
    assert (body["name"], body["website_url"], body["payout_email"]) == (
        "Alice Media",
        "https://alice.example.com",
        "a@x.io",
    )
    assert PartnerProfile.objects.get(name="Alice Media")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "You have to update at least 1 field."),
        ({"name": ""}, "Name can't be blank"),
        ({"payout_email": "nope"}, "Payout email is invalid"),
        ({"website_url": "nope"}, "Website url is invalid"),
    ],
)
def test_update_refuses_bad_fields(
    api_client: KeyedClient, body: dict[str, str], error: str
) -> None:
    response = api_client.put("/v2/partner_profile", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_partner_campaigns_are_the_profiles_own_newest_first(
    api_client: KeyedClient, other_client: KeyedClient
) -> None:
    first, second = make_program(other_client), make_program(other_client, requires_approval=True)
    a = join(api_client, first["uuid"]).json()["partner_campaign"]
    b = join(api_client, second["uuid"]).json()["partner_campaign"]
    response = api_client.get("/v2/partner_profile/partner_campaigns?per_page=200")
    assert response.status_code == 200
    body = response.json()
    assert [c["uuid"] for c in body["partner_campaigns"]] == [b["uuid"], a["uuid"]]
    assert body["meta"] == {
        "per_page": 200,
        "page": 1,
        "total_pages": 1,
        "total_partner_campaigns": 2,
    }
    pending = api_client.get("/v2/partner_profile/partner_campaigns?status=pending").json()
    assert [c["uuid"] for c in pending["partner_campaigns"]] == [b["uuid"]]
    assert (
        other_client.get("/v2/partner_profile/partner_campaigns").json()["partner_campaigns"] == []
    )


def test_a_partner_campaign_has_the_reference_fields(
    api_client: KeyedClient, other_client: KeyedClient, settings: object
) -> None:
    program = make_program(other_client, cpa=2, max_payout=40, total_budget=30)
    made = join(api_client, program["uuid"]).json()["partner_campaign"]
    response = api_client.get(f"/v2/partner_profile/partner_campaigns/{made['uuid']}")
    assert response.status_code == 200
    body = response.json()["partner_campaign"]
    assert body == made
    assert body["partner_program_uuid"] == program["uuid"]
    assert body["publication_uuid"] == program["publication"]["uuid"]
    assert body["campaign_type"] == "partner_program"
    assert body["status"] == "active"
    assert len(body["ref_code"]) == 10
    assert body["referral_link"].endswith(f"/p/{body['ref_code']}")
    assert (body["cpa"], body["max_payout"]) == (2.0, 40.0)
    assert body["remaining_budget"] == 3000  # the program's budget is the smaller
    assert body["remaining_budget_dollars"] == 30.0
    assert body["referral_pending_period"] == 14
    assert body["referrals"] == {"pending": 0, "rejected": 0, "confirmed": 0}
    assert body["accepted_terms_at"].endswith("Z")
    assert body["partner_program_geo_restrictions"]["allow_worldwide_referrals"] is True


def test_an_unknown_partner_campaign_is_a_404(api_client: KeyedClient) -> None:
    response = api_client.get("/v2/partner_profile/partner_campaigns/partner_campaign_a6224cd65cf3")
    assert response.status_code == 404
    assert response.json() == {"error": "Partner campaign partner_campaign_a6224cd65cf3 not found!"}
