"""HTTP contract of a program's referrals and the partner profile's payouts (partners.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from referrals.partners.earnings.services import partner_referral_create, payouts_create
from referrals.partners.models import (
    EarningsEntry,
    PartnerCampaign,
    PartnerProgram,
    PartnerReferral,
    Payout,
)
from sparkloop.models import Team
from sparkloop.services import api_key_create
from tests.factories import TeamFactory
from tests.oauth.helpers import bearer, fast_hashers, issue_token
from tests.partners.factories import (
    PartnerCampaignFactory,
    PartnerProgramFactory,
    PartnerReferralFactory,
)

__all__ = ["fast_hashers"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(team: Team) -> PartnerProgram:
    """The team's own program."""
    return PartnerProgramFactory.create(publication__team=team, cpa_cents=250)


@pytest.fixture
def partner_campaign(program: PartnerProgram, other_team: Team) -> PartnerCampaign:
    """other_team is a partner in the team's program."""
    return PartnerCampaignFactory.create(program=program, team=other_team)


def _referred_on(referral: PartnerReferral, day: date) -> PartnerReferral:
    at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    PartnerReferral.objects.filter(pk=referral.pk).update(created_at=at)
    return referral


class TestProgramReferrals:
    def test_the_owner_sees_every_referral_of_its_program(
        self, api_client: APIClient, program: PartnerProgram, partner_campaign: PartnerCampaign
    ) -> None:
        mine = partner_referral_create(
            campaign=partner_campaign, email="ann@example.com", country_code="US"
        )
        third = PartnerCampaignFactory.create(program=program)
        theirs = partner_referral_create(campaign=third, email="bob@example.com")
        response = api_client.get(f"/v2/partner_programs/{program.public_id}/referrals")
        assert response.status_code == 200
        body = response.json()
        assert [r["uuid"] for r in body["referrals"]] == [theirs.public_id, mine.public_id]
        assert body["meta"] == {"per_page": 50, "page": 1, "total_pages": 1, "total_referrals": 2}
        first = body["referrals"][1]
        assert first["partner_campaign_uuid"] == partner_campaign.public_id
        assert first["email"] == "ann@example.com"
        assert (first["referral_status"], first["payable"], first["cpa"]) == (
            "pending",
            True,
            2.5,
        )
        assert first["country_code"] == "US"
        assert first["referred_at"].endswith("Z")
        assert (first["confirmed_at"], first["rejected_at"]) == (None, None)
        assert first["recommending_publication"] is None

    def test_a_partner_sees_only_the_referrals_it_sent(
        self, other_client: APIClient, program: PartnerProgram, partner_campaign: PartnerCampaign
    ) -> None:
        mine = partner_referral_create(campaign=partner_campaign, email="ann@example.com")
        partner_referral_create(
            campaign=PartnerCampaignFactory.create(program=program), email="bob@example.com"
        )
        body = other_client.get(f"/api/v2/partner_programs/{program.public_id}/referrals").json()
        assert [r["uuid"] for r in body["referrals"]] == [mine.public_id]
        assert body["meta"]["total_referrals"] == 1

    def test_anyone_else_gets_404(self, program: PartnerProgram) -> None:
        stranger = TeamFactory.create(name="stranger")
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=api_key_create(team=stranger)[1])
        response = client.get(f"/v2/partner_programs/{program.public_id}/referrals")
        assert response.status_code == 404
        assert response.json() == {"error": f"Partner program {program.public_id} not found!"}
        missing = client.get("/v2/partner_programs/partner_program_000000000000/referrals")
        assert missing.json() == {
            "error": "Partner program partner_program_000000000000 not found!"
        }

    def test_dates_are_inclusive_and_status_filters(
        self, api_client: APIClient, program: PartnerProgram, partner_campaign: PartnerCampaign
    ) -> None:
        made = {
            day: _referred_on(
                PartnerReferralFactory.create(campaign=partner_campaign), date(2026, 3, day)
            )
            for day in (1, 2, 3, 4)
        }
        PartnerReferral.objects.filter(pk=made[3].pk).update(status="confirmed")
        url = f"/v2/partner_programs/{program.public_id}/referrals"
        body = api_client.get(
            url, {"referred_after": "2026-03-02", "referred_before": "2026-03-03"}
        ).json()
        assert [r["uuid"] for r in body["referrals"]] == [
            made[3].public_id,
            made[2].public_id,
        ]
        assert body["meta"]["total_referrals"] == 2
        confirmed = api_client.get(url, {"status": "confirmed"}).json()
        assert [r["uuid"] for r in confirmed["referrals"]] == [made[3].public_id]

    @pytest.mark.parametrize(
        ("params", "error"),
        [
            ({"referred_after": "03/02/2026"}, "Invalid date format, expected YYYY-MM-DD"),
            ({"referred_before": "2026-13-01"}, "Invalid date format, expected YYYY-MM-DD"),
            ({"status": "paid"}, "Status is invalid"),
        ],
    )
    def test_a_bad_filter_is_a_400(
        self, api_client: APIClient, program: PartnerProgram, params: dict[str, str], error: str
    ) -> None:
        response = api_client.get(f"/v2/partner_programs/{program.public_id}/referrals", params)
        assert response.status_code == 400
        assert response.json() == {"error": error}

    def test_a_token_needs_read_partners(self, team: Team, program: PartnerProgram) -> None:
        url = f"/v2/partner_programs/{program.public_id}/referrals"
        denied = bearer(issue_token(team=team, scope="read:subscribers")).get(url)
        assert denied.status_code == 403
        assert denied.json() == {"error": "Missing scope: read:partners"}
        allowed = bearer(issue_token(team=team, scope="read:partners")).get(url)
        assert allowed.status_code == 200

    def test_the_last_page_is_read_from_the_other_end(
        self, api_client: APIClient, program: PartnerProgram, partner_campaign: PartnerCampaign
    ) -> None:
        for i in range(5):
            partner_referral_create(campaign=partner_campaign, email=f"p{i}@example.com")
        url = f"/v2/partner_programs/{program.public_id}/referrals"
        everything = [r["uuid"] for r in api_client.get(url).json()["referrals"]]
        last = api_client.get(url, {"per_page": 2, "page": 3}).json()
        assert [r["uuid"] for r in last["referrals"]] == everything[4:]
        assert last["meta"] == {"per_page": 2, "page": 3, "total_pages": 3, "total_referrals": 5}


def _payout(team: Team, **fields: object) -> Payout:
    profile = team.partner_profile
    defaults: dict[str, object] = {
        "amount_cents": 12750,
        "period_start": date(2026, 2, 1),
        "period_end": date(2026, 2, 28),
        "referrals_count": 51,
    }
    return Payout.objects.create(partner_profile=profile, **{**defaults, **fields})


class TestPayouts:
    def test_it_lists_the_partners_payouts_newest_first(
        self, api_client: APIClient, team: Team, other_team: Team
    ) -> None:
        older = _payout(team)
        newer = _payout(team, period_end=date(2026, 3, 31), status="paid", reference="tr_1")
        _payout(other_team)
        body = api_client.get("/v2/partner_profile/payouts").json()
        assert [p["uuid"] for p in body["payouts"]] == [newer.public_id, older.public_id]
        assert body["meta"] == {"per_page": 50, "page": 1, "total_pages": 1, "total_payouts": 2}
        shown = body["payouts"][1]
        assert shown == {
            "uuid": older.public_id,
            "amount": 12750,
            "amount_dollars": 127.5,
            "currency": "USD",
            "period_start": "2026-02-01",
            "period_end": "2026-02-28",
            "referrals": 51,
            "status": "pending",
            "reference": "",
            "created_at": shown["created_at"],
            "paid_at": None,
        }

    def test_it_gets_one_payout_and_404s_another_partners(
        self, api_client: APIClient, other_client: APIClient, team: Team
    ) -> None:
        payout = _payout(team)
        response = api_client.get(f"/v2/partner_profile/payouts/{payout.public_id}")
        assert response.status_code == 200
        assert response.json()["payout"]["uuid"] == payout.public_id
        foreign = other_client.get(f"/v2/partner_profile/payouts/{payout.public_id}")
        assert foreign.status_code == 404
        assert foreign.json() == {"error": f"Payout {payout.public_id} not found!"}
        assert other_client.get("/v2/partner_profile/payouts").json()["payouts"] == []

    def test_a_payout_made_by_the_job_is_listed(self, api_client: APIClient, team: Team) -> None:
        campaign = PartnerCampaignFactory.create(team=team)
        referral = PartnerReferralFactory.create(campaign=campaign, status="confirmed")
        entry = EarningsEntry.objects.create(
            partner_profile=team.partner_profile,
            kind="earned",
            amount_cents=6000,
            referral=referral,
        )
        EarningsEntry.objects.filter(pk=entry.pk).update(
            created_at=entry.created_at - timedelta(days=40)
        )
        [payout] = payouts_create()
        body = api_client.get("/v2/partner_profile/payouts").json()
        assert [p["uuid"] for p in body["payouts"]] == [payout.public_id]
        assert body["payouts"][0]["amount"] == 6000
