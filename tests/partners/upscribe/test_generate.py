"""Generate (`POST /v2/upscribes/:uuid/recommendations`): the choice for one visitor, its
order and exclusions, `limit`, and the impressions it counts (partners.md § Upscribe)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from referrals.partners.earnings.selectors import month_of
from referrals.partners.models import (
    CampaignBudgetMonth,
    PartnerCampaign,
    PartnerProgram,
    ProgramBudgetMonth,
)
from referrals.partners.models.upscribe import Upscribe, UpscribeImpressionDay
from referrals.partners.upscribe.services import impressions_record, recommendation_setting_update
from sparkloop.models import Team
from tests.partners.factories import PartnerProgramFactory
from tests.partners.upscribe.helpers import free_recommendation, paid, paid_recommendation

pytestmark = pytest.mark.django_db


def _generate(client: APIClient, upscribe: Upscribe, **body: Any) -> list[dict[str, Any]]:
    response = client.post(
        f"/v2/upscribes/{upscribe.public_id}/recommendations", body, format="json"
    )
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"recommendations"}
    recs: list[dict[str, Any]] = response.json()["recommendations"]
    return recs


def _impressions(upscribe: Upscribe) -> dict[int, int]:
    return dict(
        UpscribeImpressionDay.objects.filter(upscribe=upscribe).values_list(
            "campaign_id", "impressions"
        )
    )


class TestFree:
    def test_it_generates_one_by_default(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        free_recommendation(team)
        free_recommendation(team)
        assert len(_generate(api_client, upscribe)) == 1

    def test_it_generates_at_most_twenty(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        for _ in range(22):
            free_recommendation(team)
        assert len(_generate(api_client, upscribe, limit=50)) == 20

    def test_it_refuses_a_limit_that_is_not_a_positive_integer(
        self, api_client: APIClient, upscribe: Upscribe
    ) -> None:
        for limit in (0, -1, "many"):
            response = api_client.post(
                f"/v2/upscribes/{upscribe.public_id}/recommendations",
                {"limit": limit},
                format="json",
            )
            assert response.status_code == 400
            assert response.json()["error"] == "Limit must be an integer between 1 and 20"

    def test_it_shows_pinned_ones_first_in_their_order_and_never_paused_ones(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        a, b, c, d = (free_recommendation(team) for _ in range(4))
        recommendation_setting_update(upscribe=upscribe, campaign=b, pinned=True)
        recommendation_setting_update(upscribe=upscribe, campaign=a, pinned=True)
        recommendation_setting_update(upscribe=upscribe, campaign=d, paused=True)
        free_recommendation(team, status=PartnerCampaign.Status.PAUSED)
        uuids = [r["uuid"] for r in _generate(api_client, upscribe, limit=10)]
        assert uuids == [b.public_id, a.public_id, c.public_id]

    def test_it_refuses_an_inactive_upscribe(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        free_recommendation(team)
        upscribe.active = False
        upscribe.save()
        response = api_client.post(
            f"/v2/upscribes/{upscribe.public_id}/recommendations", {}, format="json"
        )
        assert response.status_code == 400
        assert response.json() == {"error": f"Upscribe {upscribe.public_id} is not active."}
        assert not UpscribeImpressionDay.objects.exists()

    def test_it_counts_one_impression_per_recommendation_shown(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        a, b = free_recommendation(team), free_recommendation(team)
        _generate(api_client, upscribe, limit=2)
        _generate(api_client, upscribe, limit=2)
        assert _impressions(upscribe) == {a.pk: 2, b.pk: 2}

    def test_it_counts_impressions_in_one_statement(self, team: Team, upscribe: Upscribe) -> None:
        ids = [free_recommendation(team).pk for _ in range(5)]
        with CaptureQueriesContext(connection) as queries:
            impressions_record(upscribe=upscribe, campaign_ids=ids)
        assert len(queries) == 1
        impressions_record(upscribe=upscribe, campaign_ids=ids[:2])
        assert sorted(_impressions(upscribe).values()) == [1, 1, 1, 2, 2]

    def test_it_reads_in_a_fixed_number_of_queries(
        self,
        api_client: APIClient,
        team: Team,
        upscribe: Upscribe,
        django_assert_max_num_queries: Any,
    ) -> None:
        for _ in range(30):
            free_recommendation(team)
        with django_assert_max_num_queries(10):
            assert len(_generate(api_client, upscribe, limit=20)) == 20


class TestPaid:
    @paid
    def test_it_ranks_by_expected_earnings_and_free_ones_last(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        free = free_recommendation(team)
        cheap = paid_recommendation(team, program=PartnerProgramFactory.create(cpa_cents=100))
        dear = paid_recommendation(team, program=PartnerProgramFactory.create(cpa_cents=400))
        uuids = [r["uuid"] for r in _generate(api_client, upscribe, limit=3)]
        assert uuids == [dear.public_id, cheap.public_id, free.public_id]

    @paid
    def test_it_leaves_out_paused_programs_and_other_channels(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        paid_recommendation(
            team, program=PartnerProgramFactory.create(status=PartnerProgram.Status.PAUSED)
        )
        paid_recommendation(
            team, program=PartnerProgramFactory.create(can_be_recommended_via=["partner_link"])
        )
        kept = paid_recommendation(team)
        assert [r["uuid"] for r in _generate(api_client, upscribe, limit=5)] == [kept.public_id]

    @paid
    def test_it_leaves_out_programs_out_of_this_months_budget(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        spent = paid_recommendation(team)
        month = month_of(timezone.now().date())
        assert spent.program is not None
        ProgramBudgetMonth.objects.create(
            program=spent.program, month=month, used_cents=99_800, reserved_cents=0
        )
        kept = paid_recommendation(team)
        assert [r["uuid"] for r in _generate(api_client, upscribe, limit=5)] == [kept.public_id]

    @paid
    def test_it_leaves_out_a_partner_over_its_monthly_cap(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        capped = paid_recommendation(team)
        month = month_of(timezone.now().date())
        CampaignBudgetMonth.objects.create(campaign=capped, month=month, reserved_cents=49_900)
        kept = paid_recommendation(team)
        assert [r["uuid"] for r in _generate(api_client, upscribe, limit=5)] == [kept.public_id]

    @paid
    def test_it_leaves_out_programs_closed_to_the_visitors_country_or_region(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        us_only = paid_recommendation(
            team,
            program=PartnerProgramFactory.create(
                allow_worldwide_referrals=False, allowed_countries=["US"]
            ),
        )
        texas = paid_recommendation(
            team,
            program=PartnerProgramFactory.create(
                allow_worldwide_referrals=False, allowed_countries=["US"], allowed_regions=["TX"]
            ),
        )
        got = {r["uuid"] for r in _generate(api_client, upscribe, limit=5, country_code="it")}
        assert got == set()
        got = {r["uuid"] for r in _generate(api_client, upscribe, limit=5, country_code="us")}
        assert us_only.public_id in got
        got = {
            r["uuid"]
            for r in _generate(api_client, upscribe, limit=5, country_code="US", region_code="TX")
        }
        assert got == {us_only.public_id, texas.public_id}

    @paid
    def test_it_keeps_a_pinned_one_out_when_it_is_out_of_budget(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        pinned = paid_recommendation(team)
        recommendation_setting_update(upscribe=upscribe, campaign=pinned, pinned=True)
        assert pinned.program is not None
        ProgramBudgetMonth.objects.create(
            program=pinned.program, month=month_of(timezone.now().date()), used_cents=100_000
        )
        assert _generate(api_client, upscribe, limit=5) == []


class TestAutoPilot:
    def test_it_joins_listed_programs_the_visitor_can_see(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        upscribe.auto_pilot = True
        upscribe.save()
        best = PartnerProgramFactory.create(cpa_cents=500)
        PartnerProgramFactory.create(cpa_cents=900, requires_approval=True)
        PartnerProgramFactory.create(cpa_cents=800, show_in_directory=False)
        PartnerProgramFactory.create(
            cpa_cents=700, allow_worldwide_referrals=False, allowed_countries=["FR"]
        )
        PartnerProgramFactory.create(cpa_cents=600, can_be_recommended_via=["partner_link"])
        PartnerProgramFactory.create(cpa_cents=100)
        own = paid_recommendation(team)
        recs = _generate(api_client, upscribe, limit=2, country_code="US")
        assert [r["partner_program_uuid"] for r in recs] == [
            best.public_id,
            own.program.public_id if own.program else None,
        ]
        joined = PartnerCampaign.objects.get(partner_profile=team.partner_profile, program=best)
        assert joined.status == "active"
        assert joined.reason_for_recommending == "Recommended by auto pilot"
        # Joined once: the next visitor sees it as one of the team's own.
        _generate(api_client, upscribe, limit=2, country_code="US")
        assert PartnerCampaign.objects.filter(partner_profile=team.partner_profile).count() == 2

    def test_it_joins_nothing_when_off_or_when_there_is_no_room(
        self, api_client: APIClient, team: Team, upscribe: Upscribe
    ) -> None:
        PartnerProgramFactory.create()
        paid_recommendation(team)
        _generate(api_client, upscribe, limit=3)
        upscribe.auto_pilot = True
        upscribe.save()
        _generate(api_client, upscribe, limit=1)
        assert PartnerCampaign.objects.filter(partner_profile=team.partner_profile).count() == 1
