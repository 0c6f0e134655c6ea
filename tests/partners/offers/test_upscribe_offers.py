"""Offers recommended through upscribes (docs/upscribe.md, offers): the opt-in, generate's
offer objects and their ranking among the publications, subscribe's `offer_…` codes, the
stats, and another team's 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from referrals.partners.models.offers import OfferBudgetMonth
from referrals.partners.models.upscribe import (
    Upscribe,
    UpscribeImpressionDay,
    UpscribeOfferImpressionDay,
)
from referrals.partners.offers.selectors import month_start, upscribe_offer_candidates
from referrals.partners.upscribe.services import (
    recommendation_setting_update,
    upscribe_create,
)
from sparkloop.models import Team
from tests.partners.factories import PublicationFactory
from tests.partners.offers.conftest import generate, network_offer, ok
from tests.partners.upscribe.helpers import free_recommendation

pytestmark = pytest.mark.django_db

OFFER_FIELDS = {
    "uuid",
    "type",
    "recommendation_type",
    "status",
    "ref_code",
    "offer_uuid",
    "publication_uuid",
    "publication_name",
    "publication_logo",
    "name",
    "headline",
    "description",
    "callout",
    "landscape_image_url",
    "portrait_image_url",
    "conversion_type",
    "pinned",
    "position",
    "cpa",
    "max_payout",
    "last_30_days_confirmation_rate",
    "signup_url",
    "partner_program_uuid",
    "available_budget_dollars",
    "referral_pending_duration",
    "can_be_recommended_via",
    "referrals",
    "earnings",
    "net_earnings",
}


class TestOptIn:
    def test_an_upscribe_shows_no_offers_by_default(
        self, api_client: APIClient, team: Team, advertiser: Team
    ) -> None:
        plain = upscribe_create(team=team, publication=PublicationFactory.create(team=team))
        network_offer(advertiser)
        assert ok(api_client.get(f"/v2/upscribes/{plain.public_id}"))["upscribe"][
            "show_offers"
        ] is (False)
        assert generate(api_client, plain, limit=5) == []

    def test_put_turns_offers_on_and_off(self, api_client: APIClient, upscribe: Upscribe) -> None:
        path = f"/v2/upscribes/{upscribe.public_id}"
        body = ok(api_client.put(path, {"show_offers": False}, format="json"))
        assert body["upscribe"]["show_offers"] is False
        body = ok(api_client.put(path, {"show_offers": True}, format="json"))
        assert body["upscribe"]["show_offers"] is True
        upscribe.refresh_from_db()
        assert upscribe.show_offers is True

    def test_post_creates_an_upscribe_with_offers(self, api_client: APIClient, team: Team) -> None:
        publication = PublicationFactory.create(team=team)
        body = {"publication_uuid": publication.public_id, "show_offers": True}
        created = ok(api_client.post("/v2/upscribes", body, format="json"), 201)
        assert created["upscribe"]["show_offers"] is True

    def test_another_teams_upscribe_is_a_404(
        self, other_client: APIClient, upscribe: Upscribe
    ) -> None:
        for method, path, body in (
            ("put", f"/v2/upscribes/{upscribe.public_id}", {"show_offers": False}),
            ("post", f"/v2/upscribes/{upscribe.public_id}/recommendations", {}),
            (
                "post",
                f"/v2/upscribes/{upscribe.public_id}/subscribe",
                {"subscriber_email": "a@example.com", "recommendations": "offer_123456789abc"},
            ),
        ):
            response = getattr(other_client, method)(path, body, format="json")
            assert response.status_code == 404
            assert response.json() == {"error": f"Upscribe {upscribe.public_id} not found."}
        upscribe.refresh_from_db()
        assert upscribe.show_offers is True


class TestGenerate:
    @override_settings(SITE_URL="https://recs.example.com", PARTNER_PLATFORM_FEE_PERCENT=10)
    def test_an_offer_is_a_recommendation_object_of_type_offer(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, advertiser: Team
    ) -> None:
        offer = network_offer(
            advertiser,
            name="Free guide",
            headline="Learn fast",
            description="A guide",
            callout="Free!",
            landscape_image_url="https://cdn.example.com/l.png",
            cpa_cents=300,
            monthly_budget_cents=10_000,
        )
        OfferBudgetMonth.objects.create(offer=offer, month=month_start(), used_cents=1_000)
        [rec] = generate(api_client, upscribe)
        assert set(rec) == OFFER_FIELDS
        partner = team.partner_profile.public_id
        assert rec | {"referrals": None} == rec | {
            "uuid": offer.public_id,
            "ref_code": offer.public_id,
            "offer_uuid": offer.public_id,
            "type": "offer",
            "recommendation_type": "offer",
            "status": "active",
            "publication_uuid": None,
            "publication_name": "Free guide",
            "publication_logo": "https://cdn.example.com/l.png",
            "name": "Free guide",
            "headline": "Learn fast",
            "description": "A guide",
            "callout": "Free!",
            "conversion_type": "lead",
            "cpa": 300,
            "available_budget_dollars": None,  # the advertiser's money: not shown
            "signup_url": f"https://recs.example.com/o/{offer.public_id}?partner={partner}",
            "earnings": 0,
            "net_earnings": 0,
            "referrals": None,
        }
        assert rec["referrals"] == {"pending": 0, "rejected": 0, "confirmed": 0}

    def test_publications_say_they_are_publications(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        campaign = free_recommendation(team)
        [rec] = generate(api_client, upscribe)
        assert rec["uuid"] == campaign.public_id
        assert (rec["type"], rec["recommendation_type"]) == ("free", "publication")

    def test_it_never_shows_own_paused_private_or_spent_offers(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, advertiser: Team
    ) -> None:
        network_offer(team, name="own")
        network_offer(advertiser, name="paused", status="paused")
        network_offer(advertiser, name="private", visibility="private")
        spent = network_offer(advertiser, name="spent", monthly_budget_cents=1_000, cpa_cents=250)
        OfferBudgetMonth.objects.create(offer=spent, month=month_start(), used_cents=800)
        shown = network_offer(advertiser, name="shown")
        recs = generate(api_client, upscribe, limit=20)
        assert [r["uuid"] for r in recs] == [shown.public_id]

    @pytest.mark.parametrize(
        ("geo", "country", "shown"),
        [
            ({}, None, True),
            ({}, "us", True),
            ({"blocked_countries": ["US"]}, "US", False),
            ({"blocked_countries": ["US"]}, "CA", True),
            ({"blocked_countries": ["US"]}, None, False),
            ({"allow_worldwide_referrals": False, "allowed_countries": ["CA"]}, "ca", True),
            ({"allow_worldwide_referrals": False, "allowed_countries": ["CA"]}, "US", False),
            ({"allow_worldwide_referrals": False, "allowed_countries": ["CA"]}, None, False),
            ({"allow_worldwide_referrals": False, "blocked_countries": ["DE"]}, "FR", True),
        ],
    )
    def test_it_follows_the_offers_geo_rules(
        self,
        api_client: APIClient,
        upscribe: Upscribe,
        advertiser: Team,
        geo: dict[str, Any],
        country: str | None,
        shown: bool,
    ) -> None:
        network_offer(advertiser, **geo)
        recs = generate(api_client, upscribe, country_code=country)
        assert len(recs) == (1 if shown else 0)

    def test_offers_rank_by_cpa_times_their_conversion_rate(
        self, api_client: APIClient, upscribe: Upscribe, advertiser: Team
    ) -> None:
        # 400 x 0.25 = 100 < 300 x 0.5 (too few visits: the unknown rate) = 150 < 200 x 1.0
        low = network_offer(advertiser, cpa_cents=400, clicks_count=40, conversions_count=10)
        mid = network_offer(advertiser, cpa_cents=300, clicks_count=19, conversions_count=0)
        top = network_offer(advertiser, cpa_cents=200, clicks_count=20, conversions_count=20)
        recs = generate(api_client, upscribe, limit=3)
        assert [r["uuid"] for r in recs] == [top.public_id, mid.public_id, low.public_id]
        assert [r["uuid"] for r in generate(api_client, upscribe, limit=1)] == [top.public_id]

    def test_offers_rank_among_publications_pinned_ones_first(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, advertiser: Team
    ) -> None:
        free = free_recommendation(team)
        pinned = free_recommendation(team)
        recommendation_setting_update(upscribe=upscribe, campaign=pinned, pinned=True)
        offer = network_offer(advertiser)
        recs = generate(api_client, upscribe, limit=3)
        # a free publication expects 0: after the offer; the pinned one before everything
        assert [r["uuid"] for r in recs] == [pinned.public_id, offer.public_id, free.public_id]
        recs = generate(api_client, upscribe, limit=2)
        assert [r["uuid"] for r in recs] == [pinned.public_id, offer.public_id]

    def test_impressions_of_offers_are_counted_and_cut_publications_are_not(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, advertiser: Team
    ) -> None:
        free = free_recommendation(team)
        offer = network_offer(advertiser)
        generate(api_client, upscribe, limit=1)
        generate(api_client, upscribe, limit=2)
        offer_day = UpscribeOfferImpressionDay.objects.get(upscribe=upscribe, offer=offer)
        assert offer_day.impressions == 2
        assert UpscribeImpressionDay.objects.get(upscribe=upscribe, campaign=free).impressions == 1

    def test_generate_with_offers_reads_in_a_fixed_number_of_statements(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, advertiser: Team
    ) -> None:
        def statements(limit: int) -> int:
            with CaptureQueriesContext(connection) as queries:
                assert len(generate(api_client, upscribe, limit=limit)) == limit
            return len(queries)

        for _ in range(3):
            free_recommendation(team)
            network_offer(advertiser)
        statements(5)  # the key's first use writes what later requests only read
        few = statements(5)  # 3 offers, 2 publications
        for _ in range(15):
            free_recommendation(team)
            network_offer(advertiser)
        assert statements(20) == few  # 18 offers, 2 publications
        # the upscribe, the ranking, the offers (with the team's partner profile), the two
        # impression upserts, the conversion counts (no paid publication: no programs' rates)
        assert few == 6

    def test_the_recommendations_list_stays_publications_only(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, advertiser: Team
    ) -> None:
        campaign = free_recommendation(team)
        network_offer(advertiser)
        body = ok(api_client.get(f"/v2/upscribes/{upscribe.public_id}/recommendations"))
        assert [r["uuid"] for r in body["recommendations"]] == [campaign.public_id]
        assert body["meta"]["total_recommendations"] == 1


@pytest.mark.postgres
def test_the_offers_ranking_is_an_index_scan_that_stops_at_the_limit(
    team: Team, advertiser: Team
) -> None:
    """The candidates' ORDER BY is the expression of `offer_expected_idx` (models'
    offer_expected_earnings): PostgreSQL can read the best offers in index order and stop
    after `limit` of them, however many offers the network has."""
    for n in range(30):
        network_offer(advertiser, cpa_cents=100 + n)
    qs = upscribe_offer_candidates(team_id=team.pk, country_code="US", limit=3)
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "offer_expected_idx" in plan
    assert "Sort" not in plan.split("offer_expected_idx")[0]
