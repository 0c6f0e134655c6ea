"""Offers recommended through upscribes (docs/upscribe.md, offers): the opt-in, generate's
offer objects and their ranking among the publications, subscribe's `offer_…` codes, the
stats, and another team's 404."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from referrals.partners.models import EarningsEntry, PartnerCampaign
from referrals.partners.models.offers import Offer, OfferBudgetMonth, OfferSubmission
from referrals.partners.models.upscribe import (
    Upscribe,
    UpscribeImpressionDay,
    UpscribeOfferImpressionDay,
)
from referrals.partners.offers.selectors import month_start
from referrals.partners.offers.services import upscribe_offers_subscribe
from referrals.partners.upscribe.services import (
    recommendation_setting_update,
    recommendations_generate,
    upscribe_create,
    upscribe_subscribe,
    upscribe_update,
)
from sparkloop.models import Team
from tests.factories import TeamFactory
from tests.partners.factories import PublicationFactory
from tests.partners.offers.conftest import OfferFactory, ok
from tests.partners.upscribe.helpers import free_recommendation
from webhooks.models import Event

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


@pytest.fixture
def upscribe(team: Team) -> Upscribe:
    publication = PublicationFactory.create(team=team, name="Alice's News")
    return upscribe_create(team=team, publication=publication, show_offers=True)


@pytest.fixture
def advertiser() -> Team:
    return TeamFactory.create()


def network_offer(advertiser: Team, **fields: Any) -> Offer:
    return OfferFactory.create(team=advertiser, **({"conversion_type": "lead"} | fields))


def _generate(client: APIClient, upscribe: Upscribe, **body: Any) -> list[dict[str, Any]]:
    path = f"/v2/upscribes/{upscribe.public_id}/recommendations"
    recs: list[dict[str, Any]] = ok(client.post(path, body, format="json"))["recommendations"]
    return recs


def _subscribe(client: APIClient, upscribe: Upscribe, codes: str | list[str], **body: Any) -> Any:
    path = f"/v2/upscribes/{upscribe.public_id}/subscribe"
    data = {"subscriber_email": "lee@example.com", "recommendations": codes} | body
    return ok(client.post(path, data, format="json"))["referrals"]


class TestOptIn:
    def test_an_upscribe_shows_no_offers_by_default(
        self, api_client: APIClient, team: Team, advertiser: Team
    ) -> None:
        plain = upscribe_create(team=team, publication=PublicationFactory.create(team=team))
        network_offer(advertiser)
        assert ok(api_client.get(f"/v2/upscribes/{plain.public_id}"))["upscribe"][
            "show_offers"
        ] is (False)
        assert _generate(api_client, plain, limit=5) == []

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
        [rec] = _generate(api_client, upscribe)
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
        [rec] = _generate(api_client, upscribe)
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
        recs = _generate(api_client, upscribe, limit=20)
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
        recs = _generate(api_client, upscribe, country_code=country)
        assert len(recs) == (1 if shown else 0)

    def test_offers_rank_by_cpa_times_their_conversion_rate(
        self, api_client: APIClient, upscribe: Upscribe, advertiser: Team
    ) -> None:
        # 400 x 0.25 = 100 < 300 x 0.5 (too few visits: the unknown rate) = 150 < 200 x 1.0
        low = network_offer(advertiser, cpa_cents=400, clicks_count=40, conversions_count=10)
        mid = network_offer(advertiser, cpa_cents=300, clicks_count=19, conversions_count=0)
        top = network_offer(advertiser, cpa_cents=200, clicks_count=20, conversions_count=20)
        recs = _generate(api_client, upscribe, limit=3)
        assert [r["uuid"] for r in recs] == [top.public_id, mid.public_id, low.public_id]
        assert [r["uuid"] for r in _generate(api_client, upscribe, limit=1)] == [top.public_id]

    def test_offers_rank_among_publications_pinned_ones_first(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, advertiser: Team
    ) -> None:
        free = free_recommendation(team)
        pinned = free_recommendation(team)
        recommendation_setting_update(upscribe=upscribe, campaign=pinned, pinned=True)
        offer = network_offer(advertiser)
        recs = _generate(api_client, upscribe, limit=3)
        # a free publication expects 0: after the offer; the pinned one before everything
        assert [r["uuid"] for r in recs] == [pinned.public_id, offer.public_id, free.public_id]
        recs = _generate(api_client, upscribe, limit=2)
        assert [r["uuid"] for r in recs] == [pinned.public_id, offer.public_id]

    def test_impressions_of_offers_are_counted_and_cut_publications_are_not(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, advertiser: Team
    ) -> None:
        free = free_recommendation(team)
        offer = network_offer(advertiser)
        _generate(api_client, upscribe, limit=1)
        _generate(api_client, upscribe, limit=2)
        offer_day = UpscribeOfferImpressionDay.objects.get(upscribe=upscribe, offer=offer)
        assert offer_day.impressions == 2
        assert UpscribeImpressionDay.objects.get(upscribe=upscribe, campaign=free).impressions == 1

    def test_generate_with_offers_reads_in_a_fixed_number_of_statements(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, advertiser: Team
    ) -> None:
        def statements(limit: int) -> int:
            with CaptureQueriesContext(connection) as queries:
                assert len(_generate(api_client, upscribe, limit=limit)) == limit
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
        # the upscribe, the ranking, the partner profile, the offers, the two impression
        # upserts, the conversion counts (no paid publication: no programs' rates)
        assert few == 7

    def test_the_recommendations_list_stays_publications_only(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, advertiser: Team
    ) -> None:
        campaign = free_recommendation(team)
        network_offer(advertiser)
        body = ok(api_client.get(f"/v2/upscribes/{upscribe.public_id}/recommendations"))
        assert [r["uuid"] for r in body["recommendations"]] == [campaign.public_id]
        assert body["meta"]["total_recommendations"] == 1


class TestSubscribe:
    def test_a_lead_offer_converts_on_the_email_for_the_recommending_team(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, advertiser: Team
    ) -> None:
        offer = network_offer(advertiser, cpa_cents=250)
        assert _subscribe(api_client, upscribe, offer.public_id) == [
            {"ref_code": offer.public_id, "status": "confirmed"}
        ]
        submission = OfferSubmission.objects.get(offer=offer)
        assert submission.email == "lee@example.com"
        assert submission.partner_profile == team.partner_profile
        assert submission.upscribe == upscribe
        assert (submission.payable, submission.cpa_cents) == (True, 250)
        assert submission.converted_at is not None
        assert OfferBudgetMonth.objects.get(offer=offer).used_cents == 250
        entry = EarningsEntry.objects.get(offer_submission=submission)
        assert (entry.partner_profile, entry.kind, entry.amount_cents) == (
            team.partner_profile,
            "earned",
            250,
        )
        leads = Event.objects.filter(type=Event.Type.NEW_OFFER_LEAD)
        assert {e.team_id for e in leads} == {team.pk, advertiser.pk}
        lead = leads.first()
        assert lead is not None
        assert lead.payload["lead"] | {"created_at": 0} == {
            "id": submission.public_id,
            "email": "lee@example.com",
            "source": "upscribe",
            "partner_id": team.partner_profile.public_id,
            "referral_status": "confirmed",
            "created_at": 0,
        }

    def test_click_action_unknown_and_ineligible_offer_codes_are_skipped(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, advertiser: Team
    ) -> None:
        codes = [
            network_offer(advertiser, conversion_type="click").public_id,
            network_offer(advertiser, conversion_type="action").public_id,
            "offer_000000000000",
            network_offer(team).public_id,
            network_offer(advertiser, status="paused").public_id,
            network_offer(advertiser, visibility="private").public_id,
            network_offer(advertiser, blocked_countries=["US"]).public_id,
        ]
        outcomes = _subscribe(api_client, upscribe, ",".join(codes), country_code="us")
        assert outcomes == [{"ref_code": code, "status": "skipped"} for code in codes]
        assert not OfferSubmission.objects.exists()
        assert not EarningsEntry.objects.exists()

    def test_an_upscribe_without_offers_skips_offer_codes(
        self, api_client: APIClient, upscribe: Upscribe, advertiser: Team
    ) -> None:
        upscribe_update(upscribe=upscribe, show_offers=False)
        offer = network_offer(advertiser)
        assert _subscribe(api_client, upscribe, offer.public_id) == [
            {"ref_code": offer.public_id, "status": "skipped"}
        ]
        assert not OfferSubmission.objects.exists()

    def test_an_invalid_email_is_refused_before_anything_is_made(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, advertiser: Team
    ) -> None:
        offer = network_offer(advertiser)
        campaign = free_recommendation(team)
        path = f"/v2/upscribes/{upscribe.public_id}/subscribe"
        body = {"subscriber_email": "lee@", "recommendations": [offer.public_id, campaign.ref_code]}
        response = api_client.post(path, body, format="json")
        assert response.status_code == 400
        assert response.json() == {"error": "Email is invalid"}
        assert not OfferSubmission.objects.exists()
        assert PartnerCampaign.objects.get(pk=campaign.pk).pending_count == 0

    def test_a_person_converts_on_an_offer_once(
        self, api_client: APIClient, upscribe: Upscribe, advertiser: Team
    ) -> None:
        offer = network_offer(advertiser)
        _subscribe(api_client, upscribe, offer.public_id)
        again = _subscribe(
            api_client, upscribe, offer.public_id, subscriber_email="LEE@example.com"
        )
        assert again == [{"ref_code": offer.public_id, "status": "rejected"}]
        assert OfferSubmission.objects.filter(offer=offer).count() == 1
        assert EarningsEntry.objects.count() == 1

    def test_outcomes_keep_the_order_of_the_codes_with_publications(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, advertiser: Team
    ) -> None:
        first = network_offer(advertiser)
        campaign = free_recommendation(team)
        click = network_offer(advertiser, conversion_type="click")
        codes = [first.public_id, "nope", campaign.ref_code, click.public_id]
        statuses = [o["status"] for o in _subscribe(api_client, upscribe, codes)]
        assert statuses == ["confirmed", "skipped", "pending", "skipped"]
        assert PartnerCampaign.objects.get(pk=campaign.pk).pending_count == 1


class TestStats:
    def test_stats_count_offer_impressions_picks_and_earnings(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, advertiser: Team
    ) -> None:
        offer = network_offer(advertiser, name="Guide", cpa_cents=250)
        _generate(api_client, upscribe)
        _generate(api_client, upscribe)
        _subscribe(api_client, upscribe, offer.public_id)
        stats = ok(api_client.get(f"/v2/upscribes/{upscribe.public_id}/stats"))["stats"]
        row = {
            "uuid": offer.public_id,
            "ref_code": offer.public_id,
            "publication_name": "Guide",
            "recommendation_type": "offer",
            "impressions": 2,
            "picks": 1,
            "pick_rate": 0.5,
            "referrals": {"pending": 0, "confirmed": 1, "rejected": 0},
            "earnings": 250,
        }
        assert stats["recommendations"] == [row]
        assert (stats["impressions"], stats["picks"], stats["earnings"]) == (2, 1, 250)

    def test_another_teams_stats_never_show_the_offers(
        self, other_client: APIClient, other_team: Team, upscribe: Upscribe, advertiser: Team
    ) -> None:
        offer = network_offer(advertiser)
        OfferSubmission.objects.create(offer=offer, upscribe=upscribe)
        UpscribeOfferImpressionDay.objects.create(
            upscribe=upscribe, offer=offer, day=month_start(), impressions=3
        )
        own = upscribe_create(
            team=other_team, publication=PublicationFactory.create(team=other_team)
        )
        stats = ok(other_client.get(f"/v2/upscribes/{own.public_id}/stats"))["stats"]
        assert stats["recommendations"] == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_picks_of_one_offer_by_one_person_at_once_convert_once(team: Team) -> None:
    publication = PublicationFactory.create(team=team)
    upscribe = upscribe_create(team=team, publication=publication, show_offers=True)
    offer = network_offer(TeamFactory.create(), cpa_cents=250)
    barrier = threading.Barrier(4)
    statuses: list[str] = []

    def pick() -> None:
        loaded = Upscribe.objects.get(pk=upscribe.pk)
        barrier.wait()
        try:
            [outcome] = upscribe_subscribe(
                upscribe=loaded, email="lee@example.com", ref_codes=[offer.public_id]
            )
            statuses.append(outcome.status)
        finally:
            connection.close()

    threads = [threading.Thread(target=pick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == ["confirmed", "rejected", "rejected", "rejected"]
    assert OfferSubmission.objects.filter(offer=offer).count() == 1
    assert EarningsEntry.objects.get().amount_cents == 250
    assert OfferBudgetMonth.objects.get(offer=offer).used_cents == 250


class TestAdmin:
    def test_staff_turn_offers_on_and_see_their_rows(
        self, admin_client: Client, team: Team, advertiser: Team
    ) -> None:
        plain = upscribe_create(team=team, publication=PublicationFactory.create(team=team))
        response = admin_client.post(
            f"/admin/partners/upscribe/{plain.pk}/change/",
            {
                "active": "on",
                "show_offers": "on",
                "after_submission_behaviour": "hide_widget",
                "redirect_url": "",
                "visibility_rules": "[]",
                "after_submission_rules": "[]",
                "recommendation_settings-TOTAL_FORMS": 0,
                "recommendation_settings-INITIAL_FORMS": 0,
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        plain.refresh_from_db()
        assert plain.show_offers is True
        offer = network_offer(advertiser, name="Guide")
        recommendations_generate(upscribe=plain, limit=3)
        html = admin_client.get(f"/admin/partners/upscribe/{plain.pk}/change/").content.decode()
        assert "Offer: Guide" in html
        assert offer.public_id in html
        assert admin_client.get("/admin/partners/upscribe/?show_offers__exact=1").status_code == 200

    def test_the_submissions_admin_names_the_upscribe(
        self, admin_client: Client, upscribe: Upscribe, advertiser: Team
    ) -> None:
        offer = network_offer(advertiser)
        upscribe_offers_subscribe(
            upscribe=upscribe, email="lee@example.com", codes=[offer.public_id], country_code=None
        )
        html = admin_client.get("/admin/partners/offersubmission/").content.decode()
        assert upscribe.public_id in html


class TestSignupUrl:
    def test_a_click_on_the_signup_url_credits_the_recommending_team(
        self,
        api_client: APIClient,
        client: Client,
        team: Team,
        upscribe: Upscribe,
        advertiser: Team,
    ) -> None:
        offer = network_offer(advertiser, conversion_type="click", cpa_cents=150)
        [rec] = _generate(api_client, upscribe)
        path = rec["signup_url"].split("://", 1)[1].split("/", 1)[1]
        assert client.get(f"/{path}").status_code == 302
        submission = OfferSubmission.objects.get(offer=offer)
        assert submission.partner_profile == team.partner_profile
        assert EarningsEntry.objects.get().partner_profile == team.partner_profile

    def test_an_email_appended_with_a_second_question_mark_still_converts_the_lead(
        self,
        api_client: APIClient,
        client: Client,
        team: Team,
        upscribe: Upscribe,
        advertiser: Team,
    ) -> None:
        offer = network_offer(advertiser)
        [rec] = _generate(api_client, upscribe)
        path = rec["signup_url"].split("://", 1)[1].split("/", 1)[1]
        assert client.get(f"/{path}?email=lee%40example.com").status_code == 302
        submission = OfferSubmission.objects.get(offer=offer)
        assert (submission.email, submission.partner_profile) == (
            "lee@example.com",
            team.partner_profile,
        )
        assert submission.converted_at is not None
