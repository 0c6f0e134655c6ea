"""Offers and submissions in the admin: the numbers staff see, and actions through services."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from referrals.partners.models.offers import Offer
from referrals.partners.offers.services import offer_submission_create
from sparkloop.models import Team
from tests.partners.offers.conftest import OfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db: None, django_user_model: Any) -> Client:
    user = django_user_model.objects.create_superuser(
        username="staff", email="staff@example.com", password=None
    )
    client = Client()
    client.force_login(user)
    return client


def test_the_offer_list_shows_clicks_conversions_and_the_rate(staff: Client, team: Team) -> None:
    offer = OfferFactory.create(team=team, name="Clicky", conversion_type="click")
    for _ in range(4):
        offer_submission_create(offer=offer)
    html = staff.get("/admin/partners/offer/").content.decode()
    assert "Clicky" in html
    assert "100.0%" in html
    assert staff.get(f"/admin/partners/offer/{offer.pk}/change/").status_code == 200
    assert staff.get("/admin/partners/offersubmission/").status_code == 200


def test_staff_pause_an_offer_through_the_service(staff: Client, team: Team) -> None:
    offer = OfferFactory.create(team=team)
    response = staff.post(
        "/admin/partners/offer/",
        {"action": "pause_offers", "_selected_action": [offer.pk]},
        follow=True,
    )
    assert "Set to paused 1 offer(s)." in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PAUSED


def test_staff_track_an_action_conversion_once(staff: Client, team: Team) -> None:
    offer = OfferFactory.create(team=team, conversion_type="action")
    submission = offer_submission_create(offer=offer)
    body = {"action": "track_conversions", "_selected_action": [submission.pk]}
    first = staff.post("/admin/partners/offersubmission/", body, follow=True)
    assert "Converted 1 submission(s)." in first.content.decode()
    second = staff.post("/admin/partners/offersubmission/", body, follow=True)
    assert "Offer submission must be unique" in second.content.decode()
    offer.refresh_from_db()
    assert offer.conversions_count == 1
