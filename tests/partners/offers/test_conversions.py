"""Submissions and conversions: click offers convert on the click, lead offers on the
email (`new_offer_lead`), action offers through the advertiser's API call (reference §10)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from referrals.partners.models.offers import Offer, OfferBudgetMonth, OfferSubmission
from referrals.partners.offers.selectors import month_start
from referrals.partners.offers.services import offer_submission_create
from sparkloop.models import Team
from tests.partners.offers.conftest import OfferFactory, error, ok
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def convert_path(offer: Offer, submission: OfferSubmission | str) -> str:
    uuid = submission if isinstance(submission, str) else submission.public_id
    return f"/v2/offers/{offer.public_id}/submissions/{uuid}/conversions"


class TestSubmissions:
    def test_a_click_offer_converts_on_the_click_and_pays_its_cpa(self, click_offer: Offer) -> None:
        submission = offer_submission_create(offer=click_offer, ip_address="203.0.113.9")
        submission.refresh_from_db()
        assert submission.public_id.startswith("submission_")
        assert len(submission.public_id) == 23
        assert submission.converted_at is not None
        assert (submission.cpa_cents, submission.payable) == (250, True)
        click_offer.refresh_from_db()
        assert (click_offer.clicks_count, click_offer.conversions_count) == (1, 1)
        assert OfferBudgetMonth.objects.get(offer=click_offer).used_cents == 250

    def test_an_action_offer_waits_for_the_advertiser(self, action_offer: Offer) -> None:
        submission = offer_submission_create(offer=action_offer)
        submission.refresh_from_db()
        assert submission.converted_at is None
        action_offer.refresh_from_db()
        assert (action_offer.clicks_count, action_offer.conversions_count) == (1, 0)

    def test_a_lead_converts_on_its_email_and_tells_both_teams(
        self, lead_offer: Offer, team: Team, other_team: Team
    ) -> None:
        partner = other_team.partner_profile
        submission = offer_submission_create(
            offer=lead_offer, email="lee@example.com", partner_profile=partner
        )
        assert submission.converted_at is not None
        events = Event.objects.filter(type=Event.Type.NEW_OFFER_LEAD)
        assert sorted(e.team_id for e in events) == sorted([team.pk, other_team.pk])
        payload = events[0].payload
        assert payload["type"] == "new_offer_lead"
        assert "event" not in payload
        assert payload["offer_id"] == lead_offer.public_id
        assert payload["lead"]["email"] == "lee@example.com"
        assert payload["lead"]["partner_id"] == partner.public_id
        assert payload["partner"]["id"] == partner.public_id
        assert (payload["cpa"], payload["payable"]) == (2.5, True)

    def test_a_lead_without_an_email_is_only_a_click(self, lead_offer: Offer) -> None:
        submission = offer_submission_create(offer=lead_offer)
        assert submission.converted_at is None
        assert not Event.objects.exists()

    def test_a_spent_budget_still_converts_but_pays_nothing(self, click_offer: Offer) -> None:
        OfferBudgetMonth.objects.create(offer=click_offer, month=month_start(), used_cents=9_900)
        submission = offer_submission_create(offer=click_offer)
        submission.refresh_from_db()
        assert submission.converted_at is not None
        assert (submission.cpa_cents, submission.payable) == (0, False)
        assert OfferBudgetMonth.objects.get(offer=click_offer).used_cents == 9_900


class TestConversionEndpoint:
    def test_it_tracks_an_action_conversion(
        self, api_client: APIClient, action_offer: Offer
    ) -> None:
        submission = offer_submission_create(offer=action_offer)
        body = ok(api_client.post(convert_path(action_offer, submission)))
        assert body == {"message": "Conversion tracked successfully"}
        submission.refresh_from_db()
        assert submission.converted_at is not None
        assert submission.payable
        action_offer.refresh_from_db()
        assert action_offer.conversions_count == 1
        # Also under /api/v2 (the guide's host) and with a trailing slash.
        again = api_client.post("/api" + convert_path(action_offer, submission) + "/")
        assert error(again, 422) == "Offer submission must be unique"

    def test_it_refuses_a_click_or_lead_offers_submission(
        self, api_client: APIClient, click_offer: Offer, lead_offer: Offer
    ) -> None:
        for offer in (click_offer, lead_offer):
            submission = offer_submission_create(offer=offer)
            response = api_client.post(convert_path(offer, submission))
            assert error(response, 422) == "Offer submission must be an action"

    def test_it_refuses_a_submission_older_than_45_days(
        self, api_client: APIClient, action_offer: Offer
    ) -> None:
        submission = offer_submission_create(offer=action_offer)
        OfferSubmission.objects.filter(pk=submission.pk).update(
            created_at=submission.created_at - timedelta(days=45, minutes=1)
        )
        response = api_client.post(convert_path(action_offer, submission))
        assert error(response, 422) == "Offer submission has expired"
        submission.refresh_from_db()
        assert submission.converted_at is None

    def test_a_submission_of_44_days_still_converts(
        self, api_client: APIClient, action_offer: Offer
    ) -> None:
        submission = offer_submission_create(offer=action_offer)
        OfferSubmission.objects.filter(pk=submission.pk).update(
            created_at=submission.created_at - timedelta(days=44)
        )
        ok(api_client.post(convert_path(action_offer, submission)))

    def test_unknown_offer_and_submission_are_404s(
        self, api_client: APIClient, action_offer: Offer
    ) -> None:
        submission = offer_submission_create(offer=action_offer)
        other = OfferFactory.create(team=action_offer.team)
        response = api_client.post(
            f"/v2/offers/offer_000/submissions/{submission.public_id}/conversions"
        )
        assert error(response, 404) == "Offer not found"
        response = api_client.post(convert_path(action_offer, "submission_000000000000"))
        assert error(response, 404) == "Submission not found"
        # A submission of another offer is not this offer's.
        assert (
            error(api_client.post(convert_path(other, submission)), 404) == "Submission not found"
        )

    def test_another_team_cannot_convert_the_teams_submission(
        self, other_client: APIClient, action_offer: Offer
    ) -> None:
        submission = offer_submission_create(offer=action_offer)
        response = other_client.post(convert_path(action_offer, submission))
        assert error(response, 404) == "Offer not found"
        submission.refresh_from_db()
        assert submission.converted_at is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_conversions_of_one_submission_at_once_convert_it_once(
    api_client: Any, action_offer: Offer
) -> None:
    submission = offer_submission_create(offer=action_offer)
    key = api_client.raw_key
    barrier = threading.Barrier(4)
    results: list[tuple[int, dict[str, str]]] = []

    def convert() -> None:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=key)
        barrier.wait()
        try:
            response = client.post(convert_path(action_offer, submission))
            results.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=convert) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(status for status, _ in results) == [200, 422, 422, 422]
    assert {b["error"] for s, b in results if s == 422} == {"Offer submission must be unique"}
    action_offer.refresh_from_db()
    assert action_offer.conversions_count == 1
    assert OfferBudgetMonth.objects.get(offer=action_offer).used_cents == 250


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_clicks_never_overspend_the_month(team: Team) -> None:
    offer = OfferFactory.create(team=team, conversion_type="click", monthly_budget_cents=750)
    barrier = threading.Barrier(6)

    def click() -> None:
        barrier.wait()
        try:
            offer_submission_create(offer=offer)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert OfferBudgetMonth.objects.get(offer=offer).used_cents == 750
    assert OfferSubmission.objects.filter(offer=offer, payable=True).count() == 3
    assert OfferSubmission.objects.filter(offer=offer, converted_at__isnull=False).count() == 6
