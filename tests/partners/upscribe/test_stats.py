"""Stats (`GET /v2/upscribes/:uuid/stats`, extension) and the admin's view of the same:
impressions, picks, the picks' referrals by status and earnings over the last 30 days."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from referrals.partners.earnings.services import partner_referrals_settle
from referrals.partners.models.upscribe import Upscribe, UpscribeRecommendation
from referrals.partners.upscribe.services import (
    impressions_record,
    recommendation_setting_update,
    upscribe_subscribe,
)
from sparkloop.models import Team
from tests.partners.upscribe.helpers import (
    NEEDS_REFERRALS,
    free_recommendation,
    paid_recommendation,
)

pytestmark = pytest.mark.django_db


def _stats(client: APIClient, upscribe: Upscribe) -> Any:
    response = client.get(f"/v2/upscribes/{upscribe.public_id}/stats")
    assert response.status_code == 200, response.content
    return response.json()["stats"]


def test_stats_of_a_new_upscribe_are_zero(api_client: APIClient, upscribe: Upscribe) -> None:
    assert _stats(api_client, upscribe) == {
        "upscribe_uuid": upscribe.public_id,
        "period_days": 30,
        "impressions": 0,
        "picks": 0,
        "pick_rate": None,
        "referrals": {"pending": 0, "confirmed": 0, "rejected": 0},
        "earnings": 0,
        "recommendations": [],
    }


def test_stats_count_impressions_of_the_last_30_days_only(
    api_client: APIClient, team: Team, upscribe: Upscribe
) -> None:
    rec = free_recommendation(team)
    today = timezone.now().date()
    impressions_record(upscribe=upscribe, campaign_ids=[rec.pk])
    impressions_record(upscribe=upscribe, campaign_ids=[rec.pk], day=today - timedelta(days=29))
    impressions_record(upscribe=upscribe, campaign_ids=[rec.pk], day=today - timedelta(days=30))
    stats = _stats(api_client, upscribe)
    assert stats["impressions"] == 2
    [row] = stats["recommendations"]
    assert (row["uuid"], row["ref_code"], row["impressions"]) == (rec.public_id, rec.ref_code, 2)


@NEEDS_REFERRALS
def test_stats_follow_the_picks_referrals_to_their_outcome(
    api_client: APIClient, team: Team, upscribe: Upscribe
) -> None:
    paid = paid_recommendation(team)
    free = free_recommendation(team)
    impressions_record(upscribe=upscribe, campaign_ids=[paid.pk, free.pk])
    for n in range(2):
        upscribe_subscribe(
            upscribe=upscribe, email=f"v{n}@example.com", ref_codes=[paid.ref_code, free.ref_code]
        )
    stats = _stats(api_client, upscribe)
    assert (stats["picks"], stats["referrals"]["pending"], stats["earnings"]) == (4, 4, 0)
    settled = partner_referrals_settle(now=timezone.now() + timedelta(days=30))
    assert settled == 4
    stats = _stats(api_client, upscribe)
    assert stats["referrals"] == {"pending": 0, "confirmed": 4, "rejected": 0}
    assert stats["earnings"] == 2 * 250  # the free picks are never payable
    by_uuid = {row["uuid"]: row for row in stats["recommendations"]}
    assert by_uuid[paid.public_id]["earnings"] == 500
    assert by_uuid[paid.public_id]["pick_rate"] == 2.0
    assert by_uuid[free.public_id]["earnings"] == 0


def test_stats_answer_404_for_another_teams_upscribe(
    other_client: APIClient, upscribe: Upscribe
) -> None:
    response = other_client.get(f"/v2/upscribes/{upscribe.public_id}/stats")
    assert response.status_code == 404
    assert response.json() == {"error": f"Upscribe {upscribe.public_id} not found."}


class TestAdmin:
    def test_the_upscribe_page_shows_its_last_30_days(
        self, admin_client: Client, team: Team, upscribe: Upscribe
    ) -> None:
        rec = free_recommendation(team)
        impressions_record(upscribe=upscribe, campaign_ids=[rec.pk])
        recommendation_setting_update(upscribe=upscribe, campaign=rec, pinned=True)
        response = admin_client.get(f"/admin/partners/upscribe/{upscribe.pk}/change/")
        assert response.status_code == 200
        assert rec.ref_code in response.content.decode()
        assert admin_client.get("/admin/partners/upscribe/").status_code == 200
        assert admin_client.get("/admin/partners/upscriberecommendation/").status_code == 200

    def test_staff_pin_and_pause_inline_through_the_service(
        self, admin_client: Client, team: Team, upscribe: Upscribe
    ) -> None:
        one, two = free_recommendation(team), free_recommendation(team)
        recommendation_setting_update(upscribe=upscribe, campaign=one, pinned=True)
        response = admin_client.post(
            f"/admin/partners/upscribe/{upscribe.pk}/change/",
            {
                "active": "on",
                "after_submission_behaviour": "hide_widget",
                "redirect_url": "",
                "visibility_rules": "[]",
                "after_submission_rules": "[]",
                "recommendation_settings-TOTAL_FORMS": 1,
                "recommendation_settings-INITIAL_FORMS": 0,
                "recommendation_settings-0-campaign": two.pk,
                "recommendation_settings-0-pinned": "on",
                "recommendation_settings-0-paused": "on",
                "recommendation_settings-0-reason": "Staff's pick",
            },
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        setting = UpscribeRecommendation.objects.get(upscribe=upscribe, campaign=two)
        # The service numbered it after the pinned one: a plain form save would not.
        assert (setting.pinned, setting.position, setting.paused) == (True, 2, True)
        assert setting.reason == "Staff's pick"

    def test_staff_cannot_set_another_teams_campaign_inline(
        self, admin_client: Client, other_team: Team, upscribe: Upscribe
    ) -> None:
        theirs = free_recommendation(other_team)
        response = admin_client.post(
            f"/admin/partners/upscribe/{upscribe.pk}/change/",
            {
                "active": "on",
                "after_submission_behaviour": "hide_widget",
                "visibility_rules": "[]",
                "after_submission_rules": "[]",
                "recommendation_settings-TOTAL_FORMS": 1,
                "recommendation_settings-INITIAL_FORMS": 0,
                "recommendation_settings-0-campaign": theirs.pk,
                "recommendation_settings-0-pinned": "on",
            },
        )
        assert response.status_code == 200
        assert "is not one of this upscribe&#x27;s recommendations" in response.content.decode()
        assert not UpscribeRecommendation.objects.exists()

    def test_staff_pause_in_bulk_through_the_service(
        self, admin_client: Client, team: Team, upscribe: Upscribe
    ) -> None:
        rec = free_recommendation(team)
        setting = recommendation_setting_update(upscribe=upscribe, campaign=rec, pinned=True)
        response = admin_client.post(
            "/admin/partners/upscriberecommendation/",
            {"action": "pause", "_selected_action": [setting.pk]},
        )
        assert response.status_code == 302
        setting.refresh_from_db()
        assert setting.paused is True
