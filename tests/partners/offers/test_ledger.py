"""Offer conversions in the partners' earnings ledger: a payable conversion that another
team's partner sent (the page's `?partner=` or an upscribe's pick) appends one `earned`
line, so the partner profile's earnings and the monthly payouts include offers."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from rest_framework.test import APIClient

from referrals.partners.earnings.payouts import payouts_create
from referrals.partners.earnings.selectors import partner_earnings
from referrals.partners.models import EarningsEntry, PartnerProfile
from referrals.partners.models.offers import Offer, OfferBudgetMonth, OfferSubmission
from referrals.partners.offers.selectors import month_start
from referrals.partners.offers.services import offer_conversion_track, offer_submission_create
from sparkloop.exceptions import ServiceError
from sparkloop.models import Team
from tests.factories import TeamFactory
from tests.partners.offers.conftest import OfferFactory, ok

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner() -> PartnerProfile:
    """Another team's partner profile: it sends visitors to the advertiser's offers."""
    profile: PartnerProfile = TeamFactory.create().partner_profile
    return profile


def _lines(profile: PartnerProfile) -> list[tuple[str, int, int | None]]:
    return list(
        EarningsEntry.objects.filter(partner_profile=profile).values_list(
            "kind", "amount_cents", "offer_submission_id"
        )
    )


class TestEarned:
    def test_a_click_through_the_partners_link_credits_the_partner(
        self, client: Client, team: Team, partner: PartnerProfile
    ) -> None:
        offer = OfferFactory.create(team=team, conversion_type="click", cpa_cents=120)
        client.get(f"/o/{offer.public_id}?partner={partner.public_id}")
        submission = OfferSubmission.objects.get(offer=offer)
        assert _lines(partner) == [("earned", 120, submission.pk)]
        assert partner_earnings(partner).confirmed == 120

    def test_a_tracked_action_credits_the_partner_once(
        self, api_client: APIClient, team: Team, partner: PartnerProfile
    ) -> None:
        offer = OfferFactory.create(team=team, conversion_type="action", cpa_cents=900)
        submission = offer_submission_create(offer=offer, partner_profile=partner)
        assert _lines(partner) == []  # waits for the advertiser
        path = f"/v2/offers/{offer.public_id}/submissions/{submission.public_id}/conversions"
        ok(api_client.post(path))
        assert api_client.post(path).status_code == 422
        assert _lines(partner) == [("earned", 900, submission.pk)]

    def test_no_partner_the_advertisers_own_link_or_no_budget_earns_nothing(
        self, team: Team, partner: PartnerProfile
    ) -> None:
        offer = OfferFactory.create(team=team, conversion_type="click", cpa_cents=250)
        offer_submission_create(offer=offer)
        offer_submission_create(offer=offer, partner_profile=team.partner_profile)
        OfferBudgetMonth.objects.filter(offer=offer, month=month_start()).update(
            used_cents=offer.monthly_budget_cents
        )
        spent = offer_submission_create(offer=offer, partner_profile=partner)
        assert (spent.converted_at is not None, spent.payable) == (True, False)
        assert not EarningsEntry.objects.exists()

    def test_the_database_holds_one_earned_line_per_submission(
        self, team: Team, partner: PartnerProfile
    ) -> None:
        offer = OfferFactory.create(team=team, conversion_type="click")
        submission = offer_submission_create(offer=offer, partner_profile=partner)
        with pytest.raises(IntegrityError), transaction.atomic():
            EarningsEntry.objects.create(
                partner_profile=partner,
                kind="earned",
                amount_cents=offer.cpa_cents,
                offer_submission=submission,
            )
        assert len(_lines(partner)) == 1


def test_payouts_include_offer_earnings_and_count_only_referrals(
    team: Team, partner: PartnerProfile, settings: Any
) -> None:
    settings.PARTNER_PAYOUT_MINIMUM_DOLLARS = 50
    settings.PARTNER_PLATFORM_FEE_PERCENT = 10
    offer = OfferFactory.create(team=team, conversion_type="click", cpa_cents=6_000)
    offer_submission_create(offer=offer, partner_profile=partner)
    EarningsEntry.objects.filter(partner_profile=partner).update(
        created_at=datetime(2026, 2, 10, 12, tzinfo=UTC)
    )
    [payout] = payouts_create(today=date(2026, 3, 15))
    assert payout.partner_profile == partner
    assert (payout.amount_cents, payout.referrals_count) == (5_400, 0)
    assert partner_earnings(partner).confirmed == 0


def test_the_ledger_admin_shows_the_offer_line(
    team: Team, partner: PartnerProfile, django_user_model: Any
) -> None:
    offer = OfferFactory.create(team=team, name="Free guide", conversion_type="click")
    submission = offer_submission_create(offer=offer, partner_profile=partner)
    staff = Client()
    staff.force_login(
        django_user_model.objects.create_superuser(username="s", email="s@example.com")
    )
    html = staff.get("/admin/partners/earningsentry/").content.decode()
    assert f"Offer Free guide ({submission.public_id})" in html
    entry = EarningsEntry.objects.get()
    assert staff.get(f"/admin/partners/earningsentry/{entry.pk}/change/").status_code == 200
    assert staff.get("/admin/partners/earningsentry/add/").status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_conversions_of_one_submission_at_once_credit_the_partner_once(
    team: Team,
) -> None:
    partner = TeamFactory.create().partner_profile
    offer = OfferFactory.create(team=team, conversion_type="action", cpa_cents=700)
    submission = offer_submission_create(offer=offer, partner_profile=partner)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def convert() -> None:
        loaded = OfferSubmission.objects.select_related("offer", "partner_profile").get(
            pk=submission.pk
        )
        barrier.wait()
        try:
            offer_conversion_track(submission=loaded)
            outcomes.append("converted")
        except ServiceError as error:  # the losers: 422 Offer submission must be unique
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=convert) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["Offer submission must be unique"] * 3 + ["converted"]
    assert _lines(partner) == [("earned", 700, submission.pk)]
    assert Offer.objects.get(pk=offer.pk).conversions_count == 1
