"""The offers' world: an advertiser (the `team` of tests/conftest.py) and its offers."""

from __future__ import annotations

from typing import Any

import factory
import pytest

from referrals.partners.models.offers import Offer
from sparkloop.models import Team
from tests.factories import TeamFactory


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
