"""The README's walk-through of issue 10, through the API only: team B runs a program, team
A joins it and shows it through an upscribe, a visitor subscribes, the beat job confirms the
referral, team A sees its earnings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from referrals.partners.earnings.services import partner_referrals_settle
from sparkloop.models import Team
from subscribers.models import Subscriber
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json()


def test_a_visitor_picked_through_an_upscribe_earns_the_partner_its_cpa(
    api_client: APIClient, other_client: APIClient, team: Team, other_team: Team
) -> None:
    a, b = api_client, other_client
    pub_b = _ok(
        b.post(
            "/v2/publications", {"name": "The Daily Byte", "categories": ["tech"]}, format="json"
        ),
        201,
    )["publication"]["uuid"]
    _ok(
        b.post(
            "/v2/partner_programs",
            {
                "publication_uuid": pub_b,
                "cpa": 2.5,
                "max_payout": 500,
                "total_budget": 5000,
                "redirect_url": "https://byte.example.com",
            },
            format="json",
        ),
        201,
    )
    program = _ok(a.get("/v2/partner_network/partner_programs"))["partner_programs"][0]["uuid"]
    _ok(
        a.post(
            f"/v2/partner_network/partner_programs/{program}/join",
            {"reason_for_recommending": "The best daily tech digest"},
            format="json",
        ),
        201,
    )
    pub_a = _ok(
        a.post("/v2/publications", {"name": "Alice Weekly", "categories": ["tech"]}, format="json"),
        201,
    )["publication"]["uuid"]
    upscribe = _ok(a.post("/v2/upscribes", {"publication_uuid": pub_a}, format="json"), 201)[
        "upscribe"
    ]["uuid"]
    assert _ok(a.get("/v2/upscribes"))["upscribes"][0]["uuid"] == upscribe
    listed = _ok(a.get(f"/v2/upscribes/{upscribe}/recommendations?per_page=200&page=1"))
    assert listed["meta"]["total_pages"] == 1
    [rec] = _ok(
        a.post(
            f"/v2/upscribes/{upscribe}/recommendations",
            {"country_code": "US", "region_code": "TX", "limit": 3},
            format="json",
        )
    )["recommendations"]
    assert (rec["cpa"], rec["description"]) == (250, "The best daily tech digest")

    body = _ok(
        a.post(
            f"/v2/upscribes/{upscribe}/subscribe",
            {
                "subscriber_email": "reader@example.com",
                "recommendations": rec["ref_code"],
                "country_code": "US",
            },
            format="json",
        )
    )
    assert body == {
        "response": "ok",
        "referrals": [{"ref_code": rec["ref_code"], "status": "pending"}],
    }
    assert Subscriber.objects.filter(team=other_team, email="reader@example.com").exists()
    pending = Event.objects.filter(type="new_partner_pending_referral")
    assert {e.team_id for e in pending} == {team.pk, other_team.pk}

    assert partner_referrals_settle(now=timezone.now() + timedelta(days=15)) == 1
    earnings = _ok(a.get("/v2/partner_profile"))["partner_profile"]["earnings"]
    assert earnings == {"pending": 0, "confirmed": 250, "paid": 0}
    stats = _ok(a.get(f"/v2/upscribes/{upscribe}/stats"))["stats"]
    assert stats["referrals"] == {"pending": 0, "confirmed": 1, "rejected": 0}
    assert stats["earnings"] == 250
    confirmed = Event.objects.filter(type="new_partner_referral")
    assert {e.team_id for e in confirmed} == {team.pk, other_team.pk}
