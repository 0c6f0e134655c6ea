"""The hosted pages through Django's test client: redirects, cookies, counters, errors,
CSRF and the per-address rate limit. (The browser tests are in test_browser.py.)"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from referrals.partners.models import PartnerCampaign, PartnerReferral
from referrals.partners.models.offers import Offer, OfferSubmission
from referrals.partners.offers.pages import with_params
from tests.partners.factories import PartnerCampaignFactory
from tests.partners.offers.conftest import OfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign() -> PartnerCampaign:
    return PartnerCampaignFactory.create(
        program__redirect_url="https://news.example.com/join?src=partners#top",
        program__thankyou_page_url="https://news.example.com/thanks",
        program__publication__name="Butter In a Lordly Dish",
        program__publication__description="Food history, weekly.",
        program__publication__logo_url="https://cdn.example.com/butter.png",
    )


def test_with_params_keeps_the_query_and_fragment_and_replaces_its_own() -> None:
    url = with_params("https://a.example/x?lang=en&sl_ref=old&e=#f", sl_ref="abc")
    assert url == "https://a.example/x?lang=en&e=&sl_ref=abc#f"


class TestPartnerLink:
    def test_it_counts_the_click_sets_the_cookie_and_redirects_with_sl_ref(
        self, client: Client, campaign: PartnerCampaign
    ) -> None:
        response = client.get(f"/p/{campaign.ref_code}")
        assert response.status_code == 302
        assert response["Location"] == (
            f"https://news.example.com/join?src=partners&sl_ref={campaign.ref_code}#top"
        )
        cookie = response.cookies["sl_ref"]
        assert cookie.value == campaign.ref_code
        assert cookie["max-age"] == 30 * 24 * 3600
        assert cookie["httponly"]
        assert cookie["samesite"] == "Lax"
        client.get(f"/p/{campaign.ref_code}/")
        campaign.refresh_from_db()
        assert campaign.clicks_count == 2

    @pytest.mark.parametrize("status", ["paused", "archived", "pending", "rejected"])
    def test_an_inactive_campaign_is_a_404_page(
        self, client: Client, campaign: PartnerCampaign, status: str
    ) -> None:
        PartnerCampaign.objects.filter(pk=campaign.pk).update(status=status)
        response = client.get(f"/p/{campaign.ref_code}")
        assert response.status_code == 404
        assert b"doesn't lead anywhere" in response.content
        assert response["Content-Type"].startswith("text/html")
        campaign.refresh_from_db()
        assert campaign.clicks_count == 0

    def test_an_unknown_code_or_a_paused_program_is_a_404_page(
        self, client: Client, campaign: PartnerCampaign
    ) -> None:
        assert client.get("/p/0000000000").status_code == 404
        assert campaign.program is not None
        campaign.program.status = "paused"
        campaign.program.save()
        assert client.get(f"/p/{campaign.ref_code}").status_code == 404

    def test_a_program_closed_to_partner_links_is_a_404_page(
        self, client: Client, campaign: PartnerCampaign
    ) -> None:
        assert campaign.program is not None
        campaign.program.can_be_recommended_via = ["upscribe"]
        campaign.program.save()
        assert client.get(f"/p/{campaign.ref_code}").status_code == 404

    def test_a_click_costs_two_sql_statements(
        self, client: Client, campaign: PartnerCampaign
    ) -> None:
        # The campaign with its publication and program in one SELECT, then one UPDATE.
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/p/{campaign.ref_code}").status_code == 302
        assert len(queries) == 2
        assert queries[1]["sql"].startswith("UPDATE")

    def test_a_post_is_not_allowed(self, client: Client, campaign: PartnerCampaign) -> None:
        assert client.post(f"/p/{campaign.ref_code}").status_code == 405

    def test_an_address_over_the_limit_gets_a_429_page(
        self, client: Client, campaign: PartnerCampaign, settings: Any
    ) -> None:
        settings.RATE_LIMIT_PAGES = "2/60"
        assert client.get(f"/p/{campaign.ref_code}").status_code == 302
        assert client.get(f"/r/{campaign.ref_code}").status_code == 200
        refused = client.get(f"/p/{campaign.ref_code}")
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) >= 1
        other = client.get(f"/p/{campaign.ref_code}", REMOTE_ADDR="198.51.100.7")
        assert other.status_code == 302
        campaign.refresh_from_db()
        assert campaign.clicks_count == 2


class TestSignupPage:
    def test_it_shows_the_publication_and_prefills_the_email(
        self, client: Client, campaign: PartnerCampaign
    ) -> None:
        response = client.get(f"/r/{campaign.ref_code}?email=ann%40example.com")
        assert response.status_code == 200
        html = response.content.decode()
        assert "Butter In a Lordly Dish" in html
        assert "Food history, weekly." in html
        assert 'src="https://cdn.example.com/butter.png"' in html
        assert 'value="ann@example.com"' in html
        assert "csrfmiddlewaretoken" in html
        assert "unsubscribe at any time" in html
        assert "https:" in response["Content-Security-Policy"]

    def test_a_bad_email_shows_a_clear_error_and_makes_nothing(
        self, client: Client, campaign: PartnerCampaign
    ) -> None:
        response = client.post(f"/r/{campaign.ref_code}", {"email": "ann@"})
        assert response.status_code == 400
        assert "Please enter a valid email address." in response.content.decode()
        assert 'value="ann@"' in response.content.decode()
        assert not PartnerReferral.objects.exists()

    def test_a_post_without_the_csrf_token_is_refused(self, campaign: PartnerCampaign) -> None:
        client = Client(enforce_csrf_checks=True)
        response = client.post(f"/r/{campaign.ref_code}", {"email": "ann@example.com"})
        assert response.status_code == 403
        assert not PartnerReferral.objects.exists()

    def test_an_unknown_code_is_a_404_page(self, client: Client) -> None:
        assert client.get("/r/0000000000").status_code == 404

    def test_a_signup_makes_the_partner_referral_and_goes_to_the_thank_you_url(
        self, client: Client, campaign: PartnerCampaign
    ) -> None:
        response = client.post(f"/r/{campaign.ref_code}", {"email": "ann@example.com"})
        assert response.status_code == 302
        assert response["Location"] == "https://news.example.com/thanks"
        referral = PartnerReferral.objects.get(campaign=campaign)
        assert (referral.email, referral.origin) == ("ann@example.com", "magic_link")

    def test_signing_up_again_is_thanked_and_recorded_as_already_subscribed(
        self, client: Client, campaign: PartnerCampaign
    ) -> None:
        for _ in range(2):
            response = client.post(f"/r/{campaign.ref_code}", {"email": "ann@example.com"})
            assert response.status_code == 302
        second = PartnerReferral.objects.filter(campaign=campaign).order_by("-id").first()
        assert second is not None
        assert (second.status, second.rejection_reason) == ("rejected", "already_subscribed")

    def test_the_form_keeps_the_pages_utm_parameters(
        self, client: Client, campaign: PartnerCampaign
    ) -> None:
        path = f"/r/{campaign.ref_code}?utm_source=newsletter&utm_campaign=may"
        page = client.get(path).content.decode()
        assert 'action="' + path.replace("&", "&amp;") + '"' in page
        client.post(path, {"email": "ann@example.com"})
        referral = PartnerReferral.objects.get(campaign=campaign)
        assert (referral.utm_source, referral.utm_campaign) == ("newsletter", "may")


class TestOfferClick:
    def test_an_action_offer_click_makes_a_submission_and_redirects_with_it(
        self, client: Client
    ) -> None:
        offer = OfferFactory.create(conversion_type="action")
        response = client.get(f"/o/{offer.public_id}")
        assert response.status_code == 302
        location = urlsplit(response["Location"])
        query = parse_qs(location.query)
        submission = OfferSubmission.objects.get(offer=offer)
        assert query == {
            "lang": ["en"],
            "submission": [submission.public_id],
            "offer": [offer.public_id],
        }
        assert submission.converted_at is None

    def test_the_partner_is_recorded_from_the_link(self, client: Client) -> None:
        offer = OfferFactory.create(conversion_type="click")
        partner = PartnerCampaignFactory.create().partner_profile
        client.get(f"/o/{offer.public_id}?partner={partner.public_id}")
        submission = OfferSubmission.objects.get(offer=offer)
        assert submission.partner_profile == partner
        assert submission.converted_at is not None

    def test_a_lead_offer_asks_for_the_email_then_converts(self, client: Client) -> None:
        offer = OfferFactory.create(conversion_type="lead", headline="Free guide")
        page = client.get(f"/o/{offer.public_id}")
        assert page.status_code == 200
        assert "Free guide" in page.content.decode()
        assert not OfferSubmission.objects.exists()
        bad = client.post(f"/o/{offer.public_id}", {"email": "nope"})
        assert bad.status_code == 400
        assert "Please enter a valid email address." in bad.content.decode()
        response = client.post(f"/o/{offer.public_id}", {"email": "lee@example.com"})
        assert response.status_code == 302
        submission = OfferSubmission.objects.get(offer=offer)
        assert (submission.email, submission.converted_at is not None) == ("lee@example.com", True)

    def test_a_lead_offer_takes_the_email_from_the_link(self, client: Client) -> None:
        offer = OfferFactory.create(conversion_type="lead")
        response = client.get(f"/o/{offer.public_id}?email=lee%40example.com")
        assert response.status_code == 302
        assert OfferSubmission.objects.get(offer=offer).email == "lee@example.com"

    def test_a_paused_or_unknown_offer_is_a_404_page(self, client: Client) -> None:
        offer = OfferFactory.create(status=Offer.Status.PAUSED)
        assert client.get(f"/o/{offer.public_id}").status_code == 404
        assert client.get("/o/offer_000000000000").status_code == 404
        assert not OfferSubmission.objects.exists()
