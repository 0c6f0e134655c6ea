"""Offers picked through upscribes (docs/upscribe.md, offers): subscribe's `offer_…` codes,
the picks at the same moment, the stats, the admin and the offer's `signup_url`."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from referrals.partners.models import EarningsEntry, PartnerCampaign
from referrals.partners.models.offers import OfferBudgetMonth, OfferSubmission
from referrals.partners.models.upscribe import (
    Upscribe,
    UpscribeOfferImpressionDay,
)
from referrals.partners.offers.selectors import month_start
from referrals.partners.offers.services import upscribe_offers_subscribe
from referrals.partners.upscribe.services import (
    recommendations_generate,
    upscribe_create,
    upscribe_subscribe,
    upscribe_update,
)
from sparkloop.models import Team
from tests.factories import TeamFactory
from tests.partners.factories import PublicationFactory
from tests.partners.offers.conftest import generate, network_offer, ok, subscribe
from tests.partners.upscribe.helpers import free_recommendation
from webhooks.models import Event

pytestmark = pytest.mark.django_db


class TestSubscribe:
    def test_a_lead_offer_converts_on_the_email_for_the_recommending_team(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, advertiser: Team
    ) -> None:
        offer = network_offer(advertiser, cpa_cents=250)
        assert subscribe(api_client, upscribe, offer.public_id) == [
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
        outcomes = subscribe(api_client, upscribe, ",".join(codes), country_code="us")
        assert outcomes == [{"ref_code": code, "status": "skipped"} for code in codes]
        assert not OfferSubmission.objects.exists()
        assert not EarningsEntry.objects.exists()

    def test_an_upscribe_without_offers_skips_offer_codes(
        self, api_client: APIClient, upscribe: Upscribe, advertiser: Team
    ) -> None:
        upscribe_update(upscribe=upscribe, show_offers=False)
        offer = network_offer(advertiser)
        assert subscribe(api_client, upscribe, offer.public_id) == [
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
        subscribe(api_client, upscribe, offer.public_id)
        again = subscribe(api_client, upscribe, offer.public_id, subscriber_email="LEE@example.com")
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
        statuses = [o["status"] for o in subscribe(api_client, upscribe, codes)]
        assert statuses == ["confirmed", "skipped", "pending", "skipped"]
        assert PartnerCampaign.objects.get(pk=campaign.pk).pending_count == 1


class TestStats:
    def test_stats_count_offer_impressions_picks_and_earnings(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, advertiser: Team
    ) -> None:
        offer = network_offer(advertiser, name="Guide", cpa_cents=250)
        generate(api_client, upscribe)
        generate(api_client, upscribe)
        subscribe(api_client, upscribe, offer.public_id)
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
        [rec] = generate(api_client, upscribe)
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
        [rec] = generate(api_client, upscribe)
        path = rec["signup_url"].split("://", 1)[1].split("/", 1)[1]
        assert client.get(f"/{path}?email=lee%40example.com").status_code == 302
        submission = OfferSubmission.objects.get(offer=offer)
        assert (submission.email, submission.partner_profile) == (
            "lee@example.com",
            team.partner_profile,
        )
        assert submission.converted_at is not None
