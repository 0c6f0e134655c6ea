"""Subscribe (`POST /v2/upscribes/:uuid/subscribe`): both body forms, the three error
strings, what happens per picked recommendation (reference §7.1, partners.md § Upscribe)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from referrals.partners.models import PartnerCampaign, PartnerReferral
from referrals.partners.models.upscribe import Upscribe, UpscribePick
from referrals.partners.upscribe.services import recommendation_setting_update
from sparkloop.models import Team
from subscribers.models import Subscriber
from tests.factories import SubscriberFactory
from tests.partners.upscribe.helpers import (
    NEEDS_REFERRALS,
    free_recommendation,
    paid_recommendation,
)

pytestmark = pytest.mark.django_db


def _subscribe(client: APIClient, upscribe: Upscribe, body: Any) -> Any:
    return client.post(f"/v2/upscribes/{upscribe.public_id}/subscribe", body, format="json")


class TestErrors:
    @pytest.mark.parametrize(
        ("body", "error"),
        [
            ({}, "Parameters are missing."),
            ({"subscriber_email": "", "recommendations": None}, "Parameters are missing."),
            ({"recommendations": "a724e922a3"}, "Subscriber param is missing or empty."),
            (
                {"subscriber_email": " ", "recommendations": "a724e922a3"},
                "Subscriber param is missing or empty.",
            ),
            ({"subscriber_email": "v@example.com"}, "Recommendations param is missing or empty."),
            (
                {"subscriber_email": "v@example.com", "recommendations": ""},
                "Recommendations param is missing or empty.",
            ),
            (
                {"subscriber": "v@example.com", "recommendations": " , "},
                "Recommendations param is missing or empty.",
            ),
            (
                {"subscriber_email": "v@example.com", "recommendations": []},
                "Recommendations param is missing or empty.",
            ),
        ],
    )
    def test_it_names_what_is_missing(
        self, api_client: APIClient, upscribe: Upscribe, body: dict[str, Any], error: str
    ) -> None:
        response = _subscribe(api_client, upscribe, body)
        assert response.status_code == 400
        assert response.json() == {"error": error}

    def test_it_refuses_an_inactive_upscribe(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        rec = free_recommendation(team)
        upscribe.active = False
        upscribe.save()
        response = _subscribe(
            api_client,
            upscribe,
            {"subscriber_email": "v@example.com", "recommendations": rec.ref_code},
        )
        assert response.status_code == 400
        assert response.json() == {"error": f"Upscribe {upscribe.public_id} is not active."}
        assert not PartnerReferral.objects.exists()

    def test_it_answers_404_for_an_unknown_subscriber_uuid(
        self, api_client: APIClient, upscribe: Upscribe
    ) -> None:
        response = _subscribe(
            api_client, upscribe, {"subscriber": "sub_000000000000", "recommendations": "a1"}
        )
        assert response.status_code == 404
        assert response.json() == {"error": "Subscriber sub_000000000000 not found!"}

    def test_it_skips_codes_that_are_not_this_upscribes_active_recommendations(
        self, api_client: APIClient, team: Team, other_team: Team, upscribe: Upscribe
    ) -> None:
        theirs = free_recommendation(other_team)
        paused = free_recommendation(team)
        recommendation_setting_update(upscribe=upscribe, campaign=paused, paused=True)
        archived = free_recommendation(team, status=PartnerCampaign.Status.ARCHIVED)
        codes = [theirs.ref_code, paused.ref_code, archived.ref_code, "0000000000"]
        response = _subscribe(
            api_client,
            upscribe,
            {"subscriber_email": "v@example.com", "recommendations": ",".join(codes)},
        )
        assert response.status_code == 200
        assert response.json() == {
            "response": "ok",
            "referrals": [{"ref_code": code, "status": "skipped"} for code in codes],
        }
        assert not PartnerReferral.objects.exists()


@NEEDS_REFERRALS
class TestPicks:
    def test_it_makes_one_referral_per_pick(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        one, two = paid_recommendation(team), free_recommendation(team)
        response = _subscribe(
            api_client,
            upscribe,
            {
                "subscriber_email": "visitor@example.com",
                "recommendations": f"{one.ref_code}, {two.ref_code},{one.ref_code}",
                "country_code": "us",
                "utm_source": "welcome",
            },
        )
        assert response.status_code == 200, response.content
        assert response.json() == {
            "response": "ok",
            "referrals": [
                {"ref_code": one.ref_code, "status": "pending"},
                {"ref_code": two.ref_code, "status": "pending"},
            ],
        }
        referrals = PartnerReferral.objects.order_by("id")
        assert [r.campaign_id for r in referrals] == [one.pk, two.pk]
        assert {r.origin for r in referrals} == {"upscribe"}
        assert {r.country_code for r in referrals} == {"US"}
        assert {r.utm_source for r in referrals} == {"welcome"}
        assert UpscribePick.objects.filter(upscribe=upscribe).count() == 2
        # The person is now a subscriber of each recommended team.
        assert Subscriber.objects.filter(
            email="visitor@example.com", team=one.publication.team
        ).exists()

    def test_it_takes_the_older_body_with_a_subscriber_uuid_and_an_array(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        rec = free_recommendation(team)
        ours = SubscriberFactory.create(team=team, email="old@example.com")
        response = _subscribe(
            api_client, upscribe, {"subscriber": ours.public_id, "recommendations": [rec.ref_code]}
        )
        assert response.status_code == 200, response.content
        assert PartnerReferral.objects.get().email == "old@example.com"

    def test_it_reports_a_rejected_pick(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        rec = free_recommendation(team)
        SubscriberFactory.create(team=rec.publication.team, email="known@example.com")
        body = _subscribe(
            api_client,
            upscribe,
            {"subscriber_email": "known@example.com", "recommendations": rec.ref_code},
        ).json()
        assert body["referrals"] == [{"ref_code": rec.ref_code, "status": "rejected"}]
        assert PartnerReferral.objects.get().rejection_reason == "already_subscribed"
