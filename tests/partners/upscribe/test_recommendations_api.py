"""HTTP contract of an upscribe's recommendations: the list, edit, pin, unpin, pause and
unpause, both path spellings (reference §7.2, §11.6)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from referrals.partners.models import PartnerCampaign, Publication
from referrals.partners.models.upscribe import Upscribe, UpscribeRecommendation
from referrals.partners.upscribe.services import upscribe_create
from sparkloop.models import Team
from tests.partners.upscribe.helpers import free_recommendation, paid, paid_recommendation

pytestmark = pytest.mark.django_db

FIELDS = {
    "uuid",
    "type",
    "recommendation_type",
    "status",
    "ref_code",
    "publication_uuid",
    "publication_name",
    "publication_logo",
    "description",
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


def _list(client: APIClient, upscribe: Upscribe, query: str = "") -> Any:
    response = client.get(f"/v2/upscribes/{upscribe.public_id}/recommendations{query}")
    assert response.status_code == 200, response.content
    return response.json()


class TestList:
    def test_it_has_one_page_even_when_empty(
        self, api_client: APIClient, upscribe: Upscribe
    ) -> None:
        assert _list(api_client, upscribe, "?per_page=200&page=1") == {
            "recommendations": [],
            "meta": {"per_page": 200, "page": 1, "total_pages": 1, "total_recommendations": 0},
        }

    @override_settings(SITE_URL="https://partners.example.com")
    def test_it_shows_a_free_recommendation_field_for_field(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        rec = free_recommendation(team, reason_for_recommending="Read it every week")
        [body] = _list(api_client, upscribe)["recommendations"]
        assert set(body) == FIELDS
        assert body["uuid"] == rec.public_id
        assert body["type"] == "free"
        assert body["status"] == "active"
        assert body["ref_code"] == rec.ref_code
        assert body["publication_name"] == rec.publication.name
        assert body["description"] == "Read it every week"
        assert body["signup_url"] == f"https://partners.example.com/r/{rec.ref_code}"
        assert (body["cpa"], body["max_payout"], body["partner_program_uuid"]) == (0, 0, None)
        assert body["available_budget_dollars"] is None
        assert body["referrals"] == {"pending": 0, "rejected": 0, "confirmed": 0}
        assert (body["pinned"], body["position"]) == (False, None)

    @override_settings(PARTNER_PLATFORM_FEE_PERCENT=20)
    def test_it_shows_earnings_in_cents_and_net_of_the_fee(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        free_recommendation(
            team, earnings_cents=1000, pending_count=3, confirmed_count=4, rejected_count=1
        )
        [body] = _list(api_client, upscribe)["recommendations"]
        assert (body["earnings"], body["net_earnings"]) == (1000, 800)
        assert body["referrals"] == {"pending": 3, "rejected": 1, "confirmed": 4}

    def test_it_lists_active_and_paused_newest_first_and_leaves_the_rest_out(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        first = free_recommendation(team)
        paused = free_recommendation(team, status=PartnerCampaign.Status.PAUSED)
        for status in ("pending", "archived", "rejected"):
            free_recommendation(team, status=status)
        body = _list(api_client, upscribe)
        assert [r["uuid"] for r in body["recommendations"]] == [
            paused.public_id,
            first.public_id,
        ]
        assert body["meta"]["total_recommendations"] == 2

    def test_it_pages_with_meta(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        for _ in range(3):
            free_recommendation(team)
        body = _list(api_client, upscribe, "?per_page=2&page=2")
        assert len(body["recommendations"]) == 1
        assert body["meta"] == {
            "per_page": 2,
            "page": 2,
            "total_pages": 2,
            "total_recommendations": 3,
        }

    def test_it_never_lists_another_teams_recommendations(
        self, api_client: APIClient, other_team: Team, upscribe: Upscribe
    ) -> None:
        free_recommendation(other_team)
        assert _list(api_client, upscribe)["recommendations"] == []

    def test_it_reads_a_page_in_a_fixed_number_of_queries(
        self,
        api_client: APIClient,
        team: Team,
        upscribe: Upscribe,
        django_assert_max_num_queries: Any,
    ) -> None:
        for _ in range(20):
            free_recommendation(team)
        with django_assert_max_num_queries(8):
            assert len(_list(api_client, upscribe)["recommendations"]) == 20

    @paid
    def test_it_shows_a_paid_recommendation_in_cents(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        rec = paid_recommendation(team)
        [body] = _list(api_client, upscribe)["recommendations"]
        assert body["type"] == "paid"
        assert (body["cpa"], body["max_payout"]) == (250, 50_000)
        assert rec.program is not None
        assert body["partner_program_uuid"] == rec.program.public_id
        assert body["available_budget_dollars"] == 1000.0
        assert body["referral_pending_duration"] == 14


def _put(
    client: APIClient, upscribe: Upscribe, rec: PartnerCampaign, action: str = "", **body: object
):
    suffix = f"/{action}" if action else ""
    return client.put(
        f"/v2/upscribes/{upscribe.public_id}/recommendations/{rec.public_id}{suffix}",
        body,
        format="json",
    )


class TestSettings:
    def test_it_edits_the_reason_for_this_upscribe_only(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, publication: Publication
    ) -> None:
        rec = free_recommendation(team, reason_for_recommending="Theirs")
        response = _put(api_client, upscribe, rec, reason="Mine, in this widget")
        assert response.status_code == 200, response.content
        assert response.json()["recommendation"]["description"] == "Mine, in this widget"
        other = upscribe_create(team=team, publication=publication)
        [body] = _list(api_client, other)["recommendations"]
        assert body["description"] == "Theirs"

    def test_it_needs_a_reason(self, api_client: APIClient, team: Team, upscribe: Upscribe) -> None:
        rec = free_recommendation(team)
        for body in ({}, {"reason": ""}, {"reason": None}):
            response = _put(api_client, upscribe, rec, **body)
            assert response.status_code == 400
            assert response.json()["error"] == "Reason can't be blank"
        assert not UpscribeRecommendation.objects.exists()

    def test_it_pins_in_order_and_unpins(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        one, two = free_recommendation(team), free_recommendation(team)
        first = _put(api_client, upscribe, one, "pin").json()["recommendation"]
        second = _put(api_client, upscribe, two, "pin").json()["recommendation"]
        assert (first["pinned"], first["position"]) == (True, 1)
        assert (second["pinned"], second["position"]) == (True, 2)
        again = _put(api_client, upscribe, one, "pin").json()["recommendation"]
        assert again["position"] == 1
        unpinned = _put(api_client, upscribe, one, "unpin").json()["recommendation"]
        assert (unpinned["pinned"], unpinned["position"]) == (False, None)

    def test_it_pauses_and_unpauses_in_this_upscribe(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, publication: Publication
    ) -> None:
        rec = free_recommendation(team)
        assert (
            _put(api_client, upscribe, rec, "pause").json()["recommendation"]["status"] == "paused"
        )
        other = upscribe_create(team=team, publication=publication)
        assert _list(api_client, other)["recommendations"][0]["status"] == "active"
        assert (
            _put(api_client, upscribe, rec, "unpause").json()["recommendation"]["status"]
            == "active"
        )

    def test_it_takes_the_singular_path_too(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        rec = free_recommendation(team)
        for suffix, body in (
            ("", {"reason": "x"}),
            ("/pin", {}),
            ("/unpin", {}),
            ("/pause", {}),
            ("/unpause", {}),
        ):
            response = api_client.put(
                f"/v2/upscribe/{upscribe.public_id}/recommendations/{rec.public_id}{suffix}/",
                body,
                format="json",
            )
            assert response.status_code == 200, (suffix, response.content)

    def test_it_answers_404_for_an_unknown_recommendation(
        self, api_client: APIClient, team: Team, upscribe: Upscribe, other_team: Team
    ) -> None:
        theirs = free_recommendation(other_team)
        archived = free_recommendation(team, status=PartnerCampaign.Status.ARCHIVED)
        for rec in (theirs, archived):
            for action in ("pin", "unpin", "pause", "unpause"):
                response = _put(api_client, upscribe, rec, action)
                assert response.status_code == 404
                assert response.json() == {"error": f"Recommendation {rec.public_id} not found."}

    def test_it_answers_404_for_another_teams_upscribe(
        self, other_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        rec = free_recommendation(team)
        for action in ("", "pin", "unpin", "pause", "unpause"):
            response = _put(other_client, upscribe, rec, action, reason="x")
            assert response.status_code == 404
            assert response.json() == {"error": f"Upscribe {upscribe.public_id} not found."}
        assert not UpscribeRecommendation.objects.exists()
