"""The offers' world: an advertiser (the `team` of tests/conftest.py) and its offers."""

from __future__ import annotations

from typing import Any

import factory
import pytest
from rest_framework.test import APIClient

from referrals.partners.models.offers import Offer
from referrals.partners.models.upscribe import Upscribe
from referrals.partners.upscribe.services import upscribe_create
from sparkloop.models import Team
from tests.factories import TeamFactory
from tests.partners.factories import PublicationFactory


class OfferFactory(factory.django.DjangoModelFactory[Offer]):
    class Meta:
        model = Offer

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Offer {n}")
    redirect_url = "https://advertiser.example.com/landing?lang=en"
    conversion_type = Offer.ConversionType.ACTION
    monthly_budget_cents = 10_000
    cpa_cents = 250


@pytest.fixture
def action_offer(team: Team) -> Offer:
    return OfferFactory.create(team=team, name="Course", conversion_type="action")


@pytest.fixture
def click_offer(team: Team) -> Offer:
    return OfferFactory.create(team=team, name="Clicks", conversion_type="click")


@pytest.fixture
def lead_offer(team: Team) -> Offer:
    return OfferFactory.create(team=team, name="Leads", conversion_type="lead")


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json()


def error(response: Any, status: int) -> str:
    assert response.status_code == status, response.content
    message: str = response.json()["error"]
    return message


# --- Offers in an upscribe (test_upscribe_offers.py, test_upscribe_offer_picks.py) ------


@pytest.fixture
def upscribe(team: Team) -> Upscribe:
    """The team's upscribe, showing offers."""
    publication = PublicationFactory.create(team=team, name="Alice's News")
    return upscribe_create(team=team, publication=publication, show_offers=True)


@pytest.fixture
def advertiser() -> Team:
    """Another team, whose offers the upscribe may show."""
    return TeamFactory.create()


def network_offer(advertiser: Team, **fields: Any) -> Offer:
    return OfferFactory.create(team=advertiser, **({"conversion_type": "lead"} | fields))


def generate(client: APIClient, upscribe: Upscribe, **body: Any) -> list[dict[str, Any]]:
    path = f"/v2/upscribes/{upscribe.public_id}/recommendations"
    recs: list[dict[str, Any]] = ok(client.post(path, body, format="json"))["recommendations"]
    return recs


def subscribe(client: APIClient, upscribe: Upscribe, codes: str | list[str], **body: Any) -> Any:
    path = f"/v2/upscribes/{upscribe.public_id}/subscribe"
    data = {"subscriber_email": "lee@example.com", "recommendations": codes} | body
    return ok(client.post(path, data, format="json"))["referrals"]
