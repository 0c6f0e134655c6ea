"""The team's own offers (reference §10, §11.8; create and update are our extensions) and
the partner network's offers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rest_framework.test import APIClient

from referrals.partners.models.offers import Offer, OfferBudgetMonth
from referrals.partners.offers.selectors import month_start
from sparkloop.models import Team
from tests.partners.offers.conftest import OfferFactory, error, ok

pytestmark = pytest.mark.django_db

OFFER_KEYS = [
    "uuid",
    "name",
    "headline",
    "description",
    "callout",
    "redirect_url",
    "conversion_type",
    "visibility",
    "status",
    "created_at",
    "landscape_image_url",
    "portrait_image_url",
    "geo_restrictions",
    "monthly_budget",
    "cpa",
    "conversion_event",
    "terms",
    "offer_url",
    "budget_used_this_month",
    "remaining_budget_dollars",
    "clicks",
    "conversions",
]
BODY: dict[str, Any] = {
    "name": "Deep Work Course",
    "headline": "Learn to focus",
    "redirect_url": "https://courses.example.com/deep-work",
    "conversion_type": "action",
    "conversion_event": "purchase",
    "cpa": 12.5,
    "monthly_budget": 1000,
    "allow_worldwide_referrals": False,
    "allowed_countries": "us, CA",
}


class TestCreate:
    def test_it_creates_an_offer_with_dollars_on_the_wire_and_cents_inside(
        self, api_client: APIClient, team: Team, settings: Any
    ) -> None:
        settings.SITE_URL = "https://links.example.com"
        offer = ok(api_client.post("/v2/offers", BODY, format="json"), 201)["offer"]
        assert list(offer) == OFFER_KEYS
        assert re.fullmatch(r"offer_[0-9a-f]{12}", offer["uuid"])
        assert (offer["cpa"], offer["monthly_budget"]) == (12.5, 1000.0)
        assert offer["remaining_budget_dollars"] == 1000.0
        assert offer["geo_restrictions"] == {
            "allow_worldwide_referrals": False,
            "allowed_countries": ["CA", "US"],
            "blocked_countries": [],
        }
        assert (offer["visibility"], offer["status"]) == ("public", "active")
        assert offer["offer_url"] == f"https://links.example.com/o/{offer['uuid']}"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", offer["created_at"])
        stored = Offer.objects.get(public_id=offer["uuid"])
        assert (stored.team, stored.cpa_cents, stored.monthly_budget_cents) == (team, 1250, 100_000)

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"name": None}, "Name can't be blank"),
            ({"name": ""}, "Name can't be blank"),
            ({"redirect_url": None}, "Redirect url can't be blank"),
            ({"redirect_url": "not a url"}, "Redirect url is invalid"),
            ({"conversion_type": "sale"}, "Conversion type is invalid"),
            ({"cpa": None}, "Cpa can't be blank"),
            ({"cpa": -1}, "Cpa is invalid"),
            ({"monthly_budget": "lots"}, "Monthly budget is invalid"),
            ({"visibility": "secret"}, "Visibility is invalid"),
            ({"allowed_countries": "USA"}, "Allowed countries is invalid"),
            ({"allowed_countries": []}, "Allowed countries or blocked countries can't be blank"),
        ],
    )
    def test_it_refuses_a_bad_offer_with_one_sentence(
        self, api_client: APIClient, change: dict[str, Any], message: str
    ) -> None:
        body = {key: value for key, value in (BODY | change).items() if value is not None}
        assert error(api_client.post("/v2/offers", body, format="json"), 400) == message
        assert not Offer.objects.exists()

    def test_it_ignores_unknown_keys(self, api_client: APIClient) -> None:
        ok(api_client.post("/v2/offers", BODY | {"colour": "blue"}, format="json"), 201)


class TestReadAndUpdate:
    def test_it_lists_the_teams_offers_newest_first_with_meta(
        self, api_client: APIClient, team: Team, other_team: Team
    ) -> None:
        first = OfferFactory.create(team=team)
        second = OfferFactory.create(team=team, status="paused")
        OfferFactory.create(team=other_team)
        body = ok(api_client.get("/v2/offers?per_page=1"))
        assert [o["uuid"] for o in body["offers"]] == [second.public_id]
        assert body["meta"] == {"per_page": 1, "page": 1, "total_pages": 2, "total_offers": 2}
        active = ok(api_client.get("/v2/offers?status=active"))
        assert [o["uuid"] for o in active["offers"]] == [first.public_id]
        assert active["meta"]["total_offers"] == 1

    def test_a_bad_filter_is_a_400(self, api_client: APIClient) -> None:
        assert error(api_client.get("/v2/offers?status=gone"), 400) == "Status is invalid"

    def test_it_gets_one_offer_with_this_months_budget(
        self, api_client: APIClient, action_offer: Offer
    ) -> None:
        OfferBudgetMonth.objects.create(offer=action_offer, month=month_start(), used_cents=2500)
        offer = ok(api_client.get(f"/v2/offers/{action_offer.public_id}"))["offer"]
        assert (offer["budget_used_this_month"], offer["remaining_budget_dollars"]) == (25.0, 75.0)

    def test_an_unknown_offer_is_a_404_with_a_full_stop(self, api_client: APIClient) -> None:
        response = api_client.get("/v2/offers/offer_4bc10562d97")
        assert error(response, 404) == "Offer offer_4bc10562d97 not found."

    def test_another_teams_offer_is_a_404_everywhere(
        self, other_client: APIClient, action_offer: Offer
    ) -> None:
        path = f"/v2/offers/{action_offer.public_id}"
        message = f"Offer {action_offer.public_id} not found."
        assert error(other_client.get(path), 404) == message
        assert error(other_client.put(path, {"name": "Mine"}, format="json"), 404) == message
        assert ok(other_client.get("/v2/offers"))["offers"] == []
        action_offer.refresh_from_db()
        assert action_offer.name == "Course"

    def test_it_updates_any_field(self, api_client: APIClient, action_offer: Offer) -> None:
        path = f"/v2/offers/{action_offer.public_id}"
        body = {"status": "paused", "cpa": 3, "blocked_countries": ["de"]}
        offer = ok(api_client.put(path, body, format="json"))["offer"]
        assert (offer["status"], offer["cpa"]) == ("paused", 3.0)
        assert offer["geo_restrictions"]["blocked_countries"] == ["DE"]
        action_offer.refresh_from_db()
        assert (action_offer.status, action_offer.cpa_cents) == ("paused", 300)

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({}, "You have to update at least 1 field."),
            ({"conversion_type": "sale"}, "Conversion type is invalid"),
            (
                {"allow_worldwide_referrals": False},
                "Allowed countries or blocked countries can't be blank",
            ),
        ],
    )
    def test_it_refuses_a_bad_update_and_changes_nothing(
        self, api_client: APIClient, action_offer: Offer, body: dict[str, Any], message: str
    ) -> None:
        response = api_client.put(f"/v2/offers/{action_offer.public_id}", body, format="json")
        assert error(response, 400) == message
        action_offer.refresh_from_db()
        assert action_offer.allow_worldwide_referrals is True

    def test_it_needs_a_key(self, team: Team) -> None:
        # No key and no token: the contract's 401.
        assert error(APIClient().get("/v2/offers"), 401) == "API key is missing!"


class TestNetwork:
    def test_it_lists_other_teams_active_public_offers_with_the_viewers_link(
        self, api_client: APIClient, team: Team, other_team: Team, settings: Any
    ) -> None:
        settings.SITE_URL = "https://links.example.com"
        listed = OfferFactory.create(team=other_team, cpa_cents=500)
        OfferFactory.create(team=team)  # the team's own
        OfferFactory.create(team=other_team, visibility="private")
        OfferFactory.create(team=other_team, status="paused")
        spent = OfferFactory.create(team=other_team)
        OfferBudgetMonth.objects.create(offer=spent, month=month_start(), used_cents=9_800)
        body = ok(api_client.get("/v2/partner_network/offers"))
        assert [o["uuid"] for o in body["offers"]] == [listed.public_id]
        assert body["meta"]["total_offers"] == 1
        offer = body["offers"][0]
        assert "monthly_budget" not in offer
        assert "clicks" not in offer
        assert "redirect_url" not in offer
        partner = team.partner_profile.public_id
        assert offer["offer_url"] == (
            f"https://links.example.com/o/{listed.public_id}?partner={partner}"
        )

    def test_it_filters_by_cpa_type_and_query(
        self, api_client: APIClient, other_team: Team
    ) -> None:
        cheap = OfferFactory.create(team=other_team, cpa_cents=100, name="Cheap socks")
        dear = OfferFactory.create(
            team=other_team, cpa_cents=900, conversion_type="lead", description="Fine wine"
        )

        def uuids(query: str) -> list[str]:
            return [
                o["uuid"]
                for o in ok(api_client.get(f"/v2/partner_network/offers?{query}"))["offers"]
            ]

        assert uuids("cpa=5") == [dear.public_id]
        assert uuids("conversion_type=action") == [cheap.public_id]
        assert uuids("query=WINE") == [dear.public_id]
        assert error(api_client.get("/v2/partner_network/offers?cpa=x"), 400) == "Cpa is invalid"
