"""/v2/partner_network: other teams' listed publications and programs; join, recommend."""

from __future__ import annotations

from typing import Any

import pytest

from referrals.partners.catalog.services import program_create, program_update
from referrals.partners.models import PartnerCampaign, PartnerProgram, Publication
from sparkloop.models import Team
from tests.clients import KeyedClient
from tests.partners.catalog.conftest import join, make_program

pytestmark = pytest.mark.django_db


def listed(team: Team, name: str, **program: Any) -> PartnerProgram:
    """A publication of `team` with an active, listed program (through the services)."""
    publication = Publication.objects.create(
        team=team,
        name=name,
        description=program.pop("description", ""),
        language=program.pop("language", "English"),
        categories=program.pop("categories", ["tech"]),
        status="active",
    )
    return program_create(
        team=team,
        publication_uuid=publication.public_id,
        cpa_cents=program.pop("cpa_cents", 200),
        max_payout_cents=program.pop("max_payout_cents", 10_000),
        total_budget_cents=50_000,
        redirect_url="https://example.com/",
        **program,
    )


def names(response: Any, key: str = "publications") -> list[str]:
    assert response.status_code == 200, response.json()
    items = response.json()[key]
    return [p["name"] if "name" in p else p["publication"]["name"] for p in items]


class TestPublications:
    def test_it_lists_other_teams_listed_publications_only(
        self, api_client: KeyedClient, team: Team, other_team: Team
    ) -> None:
        listed(other_team, "Coffee Weekly")
        unlisted = listed(other_team, "Hidden Gem")
        program_update(program=unlisted, show_in_directory=False)
        paused = listed(other_team, "On Break")
        program_update(program=paused, status="paused")
        Publication.objects.create(team=other_team, name="No Program", categories=["tech"])
        listed(team, "My Own")
        response = api_client.get("/v2/partner_network/publications")
        assert names(response) == ["Coffee Weekly"]
        body = response.json()
        assert body["meta"]["total_publications"] == 1
        item = body["publications"][0]
        assert "list_id" not in item
        assert item["partner_program_uuid"].startswith("partner_program_")

    def test_query_matches_every_word_in_name_description_language_or_categories(
        self, api_client: KeyedClient, other_team: Team
    ) -> None:
        listed(other_team, "Coffee Weekly", description="Beans and brews")
        listed(other_team, "Tea Time", language="Deutsch", categories=["food & drink"])
        listed(other_team, "Money Matters", categories=["finance"])
        get = api_client.get
        assert names(get("/v2/partner_network/publications?query=COFFEE")) == ["Coffee Weekly"]
        assert names(get("/v2/partner_network/publications?query=brews")) == ["Coffee Weekly"]
        assert names(get("/v2/partner_network/publications?query=deutsch")) == ["Tea Time"]
        assert names(get("/v2/partner_network/publications?query=finance")) == ["Money Matters"]
        assert names(get("/v2/partner_network/publications?query=food%20drink")) == ["Tea Time"]
        assert names(get("/v2/partner_network/publications?query=coffee%20tea")) == []

    def test_sort_and_order(self, api_client: KeyedClient, other_team: Team) -> None:
        for name in ("Bravo", "Alpha", "Charlie"):
            listed(other_team, name)
        get = api_client.get
        assert names(get("/v2/partner_network/publications")) == ["Charlie", "Alpha", "Bravo"]
        assert names(get("/v2/partner_network/publications?sort=name&order=asc")) == [
            "Alpha",
            "Bravo",
            "Charlie",
        ]
        assert names(get("/v2/partner_network/publications?sort=name")) == [
            "Charlie",
            "Bravo",
            "Alpha",
        ]
        assert names(get("/v2/partner_network/publications?sort=created_at&order=asc")) == [
            "Bravo",
            "Alpha",
            "Charlie",
        ]

    @pytest.mark.parametrize(
        ("query", "error"), [("sort=cpa", "Sort is invalid"), ("order=up", "Order is invalid")]
    )
    def test_it_refuses_bad_parameters(
        self, api_client: KeyedClient, query: str, error: str
    ) -> None:
        response = api_client.get(f"/v2/partner_network/publications?{query}")
        assert response.status_code == 400
        assert response.json()["error"] == error

    def test_get_answers_a_listed_publication_or_the_network_sentence(
        self, api_client: KeyedClient, team: Team, other_team: Team
    ) -> None:
        theirs = listed(other_team, "Coffee Weekly").publication
        response = api_client.get(f"/v2/partner_network/publications/{theirs.public_id}")
        assert response.status_code == 200
        assert response.json()["publication"]["name"] == "Coffee Weekly"
        mine = listed(team, "Mine").publication
        for uuid in (mine.public_id, "pub_e49df756d93da"):
            missing = api_client.get(f"/v2/partner_network/publications/{uuid}")
            assert missing.status_code == 404
            assert missing.json() == {"error": f"Publication {uuid} not found."}

    def test_recommend_makes_one_free_recommendation(
        self, api_client: KeyedClient, team: Team, other_team: Team, settings: Any
    ) -> None:
        settings.SITE_URL = "https://refs.example.com"
        theirs = listed(other_team, "Coffee Weekly", description="Beans").publication
        path = f"/v2/partner_network/publications/{theirs.public_id}/recommend"
        response = api_client.post(path)
        assert response.status_code == 201
        body = response.json()["partner_campaign"]
        assert body["type"] == "free"
        assert body["cpa"] == 0
        assert body["partner_program_uuid"] is None
        assert body["publication_name"] == "Coffee Weekly"
        assert body["signup_url"] == f"https://refs.example.com/r/{body['ref_code']}"
        campaign = PartnerCampaign.objects.get()
        assert campaign.partner_profile == team.partner_profile
        assert (campaign.campaign_type, campaign.program) == ("free", None)
        again = api_client.post(path)
        assert again.status_code == 400
        assert again.json() == {"error": "This partner campaign already exists"}
        assert PartnerCampaign.objects.count() == 1


class TestPrograms:
    def test_it_filters_by_cpa_max_payout_and_channel(
        self, api_client: KeyedClient, other_team: Team
    ) -> None:
        listed(other_team, "Cheap", cpa_cents=100, max_payout_cents=1_000)
        listed(other_team, "Rich", cpa_cents=500, max_payout_cents=100_000)
        listed(other_team, "Links", cpa_cents=300, can_be_recommended_via=["partner_link"])
        get = api_client.get
        path = "/v2/partner_network/partner_programs"
        assert names(get(f"{path}?cpa=2.5"), "partner_programs") == ["Links", "Rich"]
        assert names(get(f"{path}?max_payout=500"), "partner_programs") == ["Rich"]
        assert names(get(f"{path}?can_be_recommended_via=partner_link"), "partner_programs") == [
            "Links",
            "Rich",
            "Cheap",
        ]
        assert names(get(f"{path}?can_be_recommended_via=upscribe"), "partner_programs") == [
            "Rich",
            "Cheap",
        ]
        assert names(get(f"{path}?sort=cpa&order=asc"), "partner_programs") == [
            "Cheap",
            "Links",
            "Rich",
        ]
        assert names(get(f"{path}?sort=max_payout"), "partner_programs")[0] == "Rich"

    def test_accepted_countries_keeps_programs_that_accept_them_all(
        self, api_client: KeyedClient, other_team: Team
    ) -> None:
        listed(other_team, "World")
        listed(other_team, "No Russia", blocked_countries=["RU"])
        listed(
            other_team,
            "UK and Canada",
            allow_worldwide_referrals=False,
            allowed_countries=["GB", "CA"],
        )
        path = "/v2/partner_network/partner_programs?accepted_countries="
        get = api_client.get
        assert names(get(path + "gb,ca"), "partner_programs") == [
            "UK and Canada",
            "No Russia",
            "World",
        ]
        assert names(get(path + "GB,RU"), "partner_programs") == ["World"]
        assert names(get(path + "US"), "partner_programs") == ["No Russia", "World"]

    @pytest.mark.parametrize(
        ("query", "error"),
        [
            ("cpa=lots", "Cpa is invalid"),
            ("max_payout=x", "Max payout is invalid"),
            ("accepted_countries=USA", "Accepted countries is invalid"),
            ("can_be_recommended_via=fax", "Can be recommended via is invalid"),
            ("sort=name", "Sort is invalid"),
        ],
    )
    def test_it_refuses_bad_parameters(
        self, api_client: KeyedClient, query: str, error: str
    ) -> None:
        response = api_client.get(f"/v2/partner_network/partner_programs?{query}")
        assert response.status_code == 400
        assert response.json()["error"] == error

    def test_a_network_program_shows_public_terms_only(
        self, api_client: KeyedClient, other_team: Team
    ) -> None:
        program = listed(other_team, "Coffee Weekly", slug="coffee")
        response = api_client.get(f"/v2/partner_network/partner_programs/{program.public_id}")
        assert response.status_code == 200
        body = response.json()["partner_program"]
        assert body["cpa"] == 2.0
        assert body["publication"]["name"] == "Coffee Weekly"
        for private in ("total_budget", "budget_used_this_month", "remaining_budget_dollars"):
            assert private not in body

    def test_an_unlisted_or_own_program_is_not_found_in_the_network(
        self, api_client: KeyedClient, team: Team, other_team: Team
    ) -> None:
        hidden = listed(other_team, "Hidden")
        program_update(program=hidden, show_in_directory=False)
        mine = listed(team, "Mine")
        for uuid in (hidden.public_id, mine.public_id):
            response = api_client.get(f"/v2/partner_network/partner_programs/{uuid}")
            assert response.status_code == 404
            assert response.json() == {"error": f"Partner program {uuid} not found."}
        assert join(api_client, hidden.public_id).status_code == 404

    def test_join_makes_an_active_or_pending_partner_campaign(
        self, api_client: KeyedClient, team: Team, other_team: Team
    ) -> None:
        open_program = listed(other_team, "Open")
        vetted = listed(other_team, "Vetted", requires_approval=True)
        response = join(api_client, open_program.public_id)
        assert response.status_code == 201
        body = response.json()["partner_campaign"]
        assert (body["status"], body["campaign_type"]) == ("active", "partner_program")
        assert join(api_client, vetted.public_id).json()["partner_campaign"]["status"] == "pending"
        campaign = PartnerCampaign.objects.get(program=open_program)
        assert campaign.reason_for_recommending == "Our readers love coffee."
        assert campaign.team == team
        assert campaign.accepted_terms_at is not None

    def test_join_refusals(self, api_client: KeyedClient, team: Team, other_team: Team) -> None:
        theirs, mine = listed(other_team, "Theirs"), listed(team, "Mine")
        path = f"/v2/partner_network/partner_programs/{theirs.public_id}/join"
        for body in ({}, {"reason_for_recommending": ""}):
            blank = api_client.post(path, body, format="json")
            assert blank.status_code == 400
            assert blank.json()["error"] == "Reason for recommending can't be blank"
        own = join(api_client, mine.public_id)
        assert own.status_code == 400
        assert own.json() == {"error": "You can't join your own partner program"}
        PartnerCampaign.objects.create(
            team=team,
            partner_profile=team.partner_profile,
            publication=theirs.publication,
            program=theirs,
            campaign_type="partner_program",
        )
        again = join(api_client, theirs.public_id)
        assert again.status_code == 400
        assert again.json() == {"error": "You have already joined this partner program"}
        assert PartnerCampaign.objects.count() == 1


def test_the_walk_through_of_the_readme(api_client: KeyedClient, other_client: KeyedClient) -> None:
    """A creates a publication and a program that asks for approval; B finds it by a word
    of its description and joins; A sees the request and approves; B's campaign is active."""
    program = make_program(api_client, requires_approval=True)
    found = other_client.get("/v2/partner_network/publications?query=pour").json()
    assert [p["partner_program_uuid"] for p in found["publications"]] == [program["uuid"]]
    campaign = join(other_client, program["uuid"]).json()["partner_campaign"]
    queue = api_client.get(f"/v2/partner_programs/{program['uuid']}/partners?status=pending")
    assert [c["uuid"] for c in queue.json()["partner_campaigns"]] == [campaign["uuid"]]
    path = f"/v2/partner_programs/{program['uuid']}/partners/{campaign['uuid']}/approve"
    assert api_client.put(path).status_code == 200
    mine = other_client.get("/v2/partner_profile/partner_campaigns").json()
    assert [c["status"] for c in mine["partner_campaigns"]] == ["active"]
