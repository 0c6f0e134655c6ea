"""The hosted pages in a real browser: headless Chromium (the system's, driven by Playwright)
against the live server, landing on a real advertiser's site (pytest-httpserver on
127.0.0.1). The service runs as in production (DEBUG off: CSP, Secure CSRF cookie) over
http://localhost, which browsers treat as a secure context."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pytest_httpserver import HTTPServer

from referrals.partners.models import PartnerCampaign, PartnerReferral
from referrals.partners.models.offers import OfferSubmission
from tests.partners.factories import PartnerCampaignFactory
from tests.partners.offers.conftest import OfferFactory

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="needs Chromium at /usr/bin/chromium (apt-get install chromium)"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def chromium(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own database
    # calls are plain synchronous ones all the same.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def landing(httpserver: HTTPServer) -> HTTPServer:
    """The advertiser's site: any page answers with a plain page."""
    httpserver.expect_request("/join").respond_with_data("<h1>Join</h1>", content_type="text/html")
    httpserver.expect_request("/thanks").respond_with_data(
        "<h1>Thanks</h1>", content_type="text/html"
    )
    httpserver.expect_request("/deal").respond_with_data("<h1>Deal</h1>", content_type="text/html")
    return httpserver


@pytest.fixture
def campaign(landing: HTTPServer) -> PartnerCampaign:
    return PartnerCampaignFactory.create(
        program__redirect_url=landing.url_for("/join") + "?src=partners",
        program__thankyou_page_url=landing.url_for("/thanks"),
        program__publication__name="Butter In a Lordly Dish",
        program__publication__description="Food history, weekly.",
    )


def test_the_partner_link_sets_the_cookie_and_lands_with_sl_ref(
    chromium: Any, live_server: Any, campaign: PartnerCampaign
) -> None:
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/p/{campaign.ref_code}")
    landed = urlsplit(page.url)
    assert landed.path == "/join"
    assert parse_qs(landed.query) == {"src": ["partners"], "sl_ref": [campaign.ref_code]}
    assert page.inner_text("h1") == "Join"
    cookies = {c["name"]: c for c in context.cookies(live_server.url)}
    assert cookies["sl_ref"]["value"] == campaign.ref_code
    assert cookies["sl_ref"]["httpOnly"] is True
    campaign.refresh_from_db()
    assert campaign.clicks_count == 1
    context.close()


def test_the_signup_page_works_without_javascript(
    chromium: Any, live_server: Any, campaign: PartnerCampaign
) -> None:
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/r/{campaign.ref_code}?email=ann%40example.com")
    assert page.inner_text("h1") == "Butter In a Lordly Dish"
    assert page.input_value("#email") == "ann@example.com"
    page.click("button[type=submit]")
    page.wait_for_url(f"{campaign.program.thankyou_page_url}*")  # type: ignore[union-attr]
    assert page.inner_text("h1") == "Thanks"
    referral = PartnerReferral.objects.get(campaign=campaign)
    assert (referral.email, referral.origin) == ("ann@example.com", "magic_link")
    context.close()


def test_a_bad_email_on_the_signup_page_says_so_without_javascript(
    chromium: Any, live_server: Any, campaign: PartnerCampaign
) -> None:
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/r/{campaign.ref_code}")
    page.fill("#email", "ann@")
    page.click("button[type=submit]")
    assert page.inner_text("#email-error") == "Please enter a valid email address."
    assert not PartnerReferral.objects.exists()
    context.close()


def test_the_offer_click_lands_with_its_submission(
    chromium: Any, live_server: Any, landing: HTTPServer
) -> None:
    offer = OfferFactory.create(
        conversion_type="action", redirect_url=landing.url_for("/deal") + "?lang=en"
    )
    page = chromium.new_page()
    page.goto(f"{live_server.url}/o/{offer.public_id}")
    landed = urlsplit(page.url)
    submission = OfferSubmission.objects.get(offer=offer)
    assert landed.path == "/deal"
    assert parse_qs(landed.query) == {
        "lang": ["en"],
        "submission": [submission.public_id],
        "offer": [offer.public_id],
    }
    assert page.inner_text("h1") == "Deal"
