"""The network listing's plain renderer gives what the publication serializer gives."""

from __future__ import annotations

import pytest

from referrals.partners.catalog.objects import NetworkPublicationOutputSerializer
from referrals.partners.models import Publication
from sparkloop.models import Team
from tests.clients import KeyedClient
from tests.partners.catalog.test_network import listed

pytestmark = pytest.mark.django_db


def test_the_listing_renders_each_publication_as_the_serializer_does(
    api_client: KeyedClient, other_team: Team
) -> None:
    full = listed(other_team, "Alpha", description="Coffee, daily").publication
    full.logo_url = "https://cdn.example.com/alpha.png"
    full.publication_url = "https://alpha.example.com"
    full.income_levels = ["$50k-$100k"]
    full.age_ranges = ["25-34", "35-44"]
    full.audience_gender = "female"
    full.save()
    listed(other_team, "Beta", categories=[])

    response = api_client.get("/v2/partner_network/publications")

    assert response.status_code == 200
    items = response.json()["publications"]
    assert {item["name"] for item in items} == {"Alpha", "Beta"}
    publications = {
        p.public_id: p
        for p in Publication.objects.filter(team=other_team).select_related("partner_program")
    }
    for item in items:
        expected = NetworkPublicationOutputSerializer(publications[item["uuid"]]).data
        assert item == expected
