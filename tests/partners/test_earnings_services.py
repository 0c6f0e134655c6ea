"""Partner referrals: creation (budgets, caps, rejections at the door, screening, events),
settlement, the owner's rejections and the ledger."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from referrals.models import BlocklistEntry
from referrals.partners.catalog.services import publication_delete
from referrals.partners.earnings.selectors import month_of, partner_earnings, program_budget_use
from referrals.partners.earnings.services import (
    partner_referral_create,
    partner_referrals_settle,
)
from referrals.partners.earnings.tasks import partner_referrals_settle_task
from referrals.partners.models import (
    CampaignBudgetMonth,
    EarningsEntry,
    PartnerCampaign,
    PartnerProgram,
    PartnerReferral,
    ProgramBudgetMonth,
    Publication,
)
from sparkloop.exceptions import InvalidState
from subscribers.models import Subscriber
from subscribers.services import subscriber_delete, subscriber_reject, subscriber_update
from tests.conftest import expand_events
from tests.factories import SubscriberFactory
from tests.partners.factories import PartnerCampaignFactory
from webhooks.models import Event, WebhookDelivery
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db


def _campaign(**program: Any) -> PartnerCampaign:
    return PartnerCampaignFactory.create(**{f"program__{k}": v for k, v in program.items()})


def _settle_later(**kwargs: Any) -> int:
    return partner_referrals_settle(now=timezone.now() + timedelta(days=15), **kwargs)


class TestCreate:
    def test_it_subscribes_the_person_and_reserves_the_budget(self) -> None:
        campaign = _campaign(cpa_cents=300)
        referral = partner_referral_create(
            campaign=campaign, email="Ann@Example.com", name="Ann", country_code="us"
        )
        assert (referral.status, referral.payable, referral.cpa_cents) == ("pending", True, 300)
        assert referral.budget_month == month_of(timezone.now().date())
        assert referral.pending_until > timezone.now() + timedelta(days=13)
        subscriber = referral.subscriber
        assert subscriber is not None
        assert subscriber.team_id == campaign.publication.team_id
        assert (subscriber.origin, subscriber.status, subscriber.referral_status) == (
            "partner_network",
            "pending",
            "pending",
        )
        assert subscriber.cpa_cents == 300
        program_id, month = campaign.program_id, referral.budget_month
        assert program_id is not None
        assert month is not None
        assert program_budget_use([program_id], month=month)[program_id].reserved_cents == 300
        campaign.refresh_from_db()
        assert campaign.pending_count == 1
        assert partner_earnings(campaign.partner_profile).pending == 300

    def test_it_rejects_someone_already_subscribed_without_creating_anyone(self) -> None:
        campaign = _campaign()
        partner_referral_create(campaign=campaign, email="ann@example.com")
        again = partner_referral_create(campaign=campaign, email="ANN@example.com")
        assert (again.status, again.rejection_reason, again.payable) == (
            "rejected",
            "already_subscribed",
            False,
        )
        assert again.subscriber is None
        assert Subscriber.objects.filter(team=campaign.publication.team).count() == 1
        campaign.refresh_from_db()
        assert (campaign.pending_count, campaign.rejected_count) == (1, 1)

    def test_it_rejects_over_the_budget_and_over_the_partners_cap(self) -> None:
        campaign = _campaign(cpa_cents=100, total_budget_cents=250, max_payout_cents=10_000)
        made = [partner_referral_create(campaign=campaign, email=f"p{i}@ex.com") for i in range(3)]
        assert [r.rejection_reason for r in made] == [None, None, "budget_exhausted"]
        assert made[2].subscriber is not None  # subscribed; only the partner is not paid
        assert made[2].subscriber.referral_status == "rejected"
        capped = PartnerCampaignFactory.create(
            program__cpa_cents=100, program__max_payout_cents=100
        )
        first = partner_referral_create(campaign=capped, email="a@ex.com")
        second = partner_referral_create(campaign=capped, email="b@ex.com")
        assert (first.status, second.rejection_reason) == ("pending", "budget_exhausted")
        # The cap refused it, so the program's reservation was rolled back.
        row = ProgramBudgetMonth.objects.get(program=capped.program)
        assert row.reserved_cents == 100

    def test_it_rejects_a_country_the_program_does_not_accept(self) -> None:
        campaign = _campaign(allow_worldwide_referrals=False, allowed_countries=["DE"])
        referral = partner_referral_create(campaign=campaign, email="a@ex.com", country_code="US")
        assert (referral.status, referral.rejection_reason) == ("rejected", "country_not_allowed")
        ok = partner_referral_create(campaign=campaign, email="b@ex.com", country_code="de")
        assert ok.status == "pending"

    def test_a_free_recommendation_is_recorded_but_never_payable(self) -> None:
        paid = PartnerCampaignFactory.create()
        free = PartnerCampaignFactory.create(
            program=None,
            publication=paid.publication,
            campaign_type=PartnerCampaign.Type.FREE,
        )
        referral = partner_referral_create(campaign=free, email="a@ex.com")
        assert (referral.status, referral.payable, referral.cpa_cents) == ("pending", False, 0)
        _settle_later()
        referral.refresh_from_db()
        assert (referral.status, referral.payable) == ("confirmed", False)
        assert not EarningsEntry.objects.exists()

    def test_it_flags_disposable_and_blocklisted_emails(self) -> None:
        campaign = _campaign()
        BlocklistEntry.objects.create(
            team=campaign.publication.team, kind="domain", pattern="spam.example"
        )
        flagged = partner_referral_create(campaign=campaign, email="x@mailinator.com")
        blocked = partner_referral_create(campaign=campaign, email="x@spam.example")
        assert [s["code"] for s in flagged.signals] == ["disposable_email"]
        assert [s["code"] for s in blocked.signals] == ["blocklisted"]

    def test_it_sends_the_pending_event_to_both_teams(self, settings: Any) -> None:
        settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
        campaign = _campaign(cpa_cents=250)
        for team in (campaign.publication.team, campaign.team):
            endpoint_create(
                team=team, url="http://127.0.0.1:9/x", events={"new_partner_referral": True}
            )
        endpoint_create(team=campaign.team, url="http://127.0.0.1:9/off", events={})
        referral = partner_referral_create(campaign=campaign, email="ann@example.com", name="Ann")
        events = Event.objects.filter(type="new_partner_pending_referral")
        assert {e.team_id for e in events} == {campaign.team_id, campaign.publication.team_id}
        payload = events[0].payload
        assert (payload["type"], payload["id"]) == (
            "new_partner_pending_referral",
            events[0].public_id,
        )
        assert "event" not in payload
        assert payload["campaign"] == {
            "id": campaign.public_id,
            "referral_code": campaign.ref_code,
            "type": "paid",
            "name": campaign.publication.name,
            "publication_id": campaign.publication.public_id,
            "publication_name": campaign.publication.name,
        }
        assert payload["subscriber"]["referral_status"] == "pending"
        assert payload["subscriber"]["email"] == "ann@example.com"
        assert payload["subscriber"]["created_at"] == int(referral.created_at.timestamp())
        assert payload["partner"]["id"] == campaign.partner_profile.public_id
        assert (payload["cpa"], payload["payable"]) == (2.5, True)
        # The endpoint without the `new_partner_referral` flag gets none of the three.
        expand_events()
        delivered = WebhookDelivery.objects.filter(event__type="new_partner_pending_referral")
        assert {d.endpoint.url for d in delivered} == {"http://127.0.0.1:9/x"}
        assert delivered.count() == 2


class TestSettle:
    def test_it_confirms_the_still_subscribed_and_pays_the_partner(self) -> None:
        campaign = _campaign(cpa_cents=250)
        referral = partner_referral_create(campaign=campaign, email="a@ex.com")
        assert partner_referrals_settle() == 0  # not due yet
        assert _settle_later() == 1
        referral.refresh_from_db()
        assert (referral.status, referral.payable) == ("confirmed", True)
        assert referral.settled_at is not None
        assert referral.subscriber is not None
        assert referral.subscriber.referral_status == "verified"
        entry = EarningsEntry.objects.get()
        assert (entry.kind, entry.amount_cents, entry.referral_id) == ("earned", 250, referral.pk)
        row = ProgramBudgetMonth.objects.get()
        assert (row.reserved_cents, row.used_cents) == (0, 250)
        cap = CampaignBudgetMonth.objects.get()
        assert (cap.reserved_cents, cap.used_cents) == (0, 250)
        campaign.refresh_from_db()
        assert (campaign.pending_count, campaign.confirmed_count) == (0, 1)
        assert campaign.earnings_cents == 250
        assert Event.objects.filter(type="new_partner_referral").count() == 2
        earnings = partner_earnings(campaign.partner_profile)
        assert (earnings.pending, earnings.confirmed) == (0, 250)

    def test_it_rejects_the_unsubscribed_and_releases_the_budget(self) -> None:
        campaign = _campaign(cpa_cents=250)
        referral = partner_referral_create(campaign=campaign, email="a@ex.com")
        assert referral.subscriber is not None
        subscriber_update(subscriber=referral.subscriber, status="unsubscribed")
        _settle_later()
        referral.refresh_from_db()
        assert (referral.status, referral.rejection_reason) == ("rejected", "unsubscribed")
        assert referral.subscriber is not None
        assert referral.subscriber.referral_status == "rejected"
        row = ProgramBudgetMonth.objects.get()
        assert (row.reserved_cents, row.used_cents) == (0, 0)
        assert not EarningsEntry.objects.exists()
        rejected = Event.objects.get(type="partner_referral_rejected", team=campaign.team).payload
        assert rejected["subscriber"]["rejection_reason"] == "unsubscribed"

    def test_the_owners_reject_rejects_the_referral_at_once(self) -> None:
        campaign = _campaign()
        referral = partner_referral_create(campaign=campaign, email="a@ex.com")
        assert referral.subscriber is not None
        subscriber_reject(subscriber=referral.subscriber, identifier="x")
        referral.refresh_from_db()
        assert (referral.status, referral.rejection_reason) == (
            "rejected",
            "rejected_by_publisher",
        )
        assert _settle_later() == 0
        campaign.refresh_from_db()
        assert (campaign.pending_count, campaign.rejected_count) == (0, 1)
        assert ProgramBudgetMonth.objects.get().reserved_cents == 0

    def test_deleting_the_subscriber_rejects_the_referral_and_keeps_the_fact(self) -> None:
        campaign = _campaign()
        referral = partner_referral_create(campaign=campaign, email="a@ex.com")
        assert referral.subscriber is not None
        subscriber_delete(subscriber=referral.subscriber)
        referral.refresh_from_db()
        assert (referral.status, referral.rejection_reason) == ("rejected", "deleted")
        assert referral.subscriber_id is None
        assert referral.email == "a@ex.com"

    def test_it_moves_a_referred_subscribers_referrer_and_names_the_subscriber(self) -> None:
        # A partner-network subscriber who also came through a referrer of the team: the
        # claim's subscriber columns carry the referrer, the event the subscriber's id.
        campaign = _campaign(cpa_cents=100)
        kept = partner_referral_create(campaign=campaign, email="a@ex.com")
        left = partner_referral_create(campaign=campaign, email="b@ex.com")
        referrer = SubscriberFactory.create(team=campaign.publication.team)
        assert kept.subscriber is not None
        assert left.subscriber is not None
        Subscriber.objects.filter(pk__in=[kept.subscriber.pk, left.subscriber.pk]).update(
            referrer=referrer
        )
        Subscriber.objects.filter(pk=referrer.pk).update(referrals_count=2)
        subscriber_update(subscriber=left.subscriber, status="unsubscribed")

        assert _settle_later() == 2

        referrer.refresh_from_db()
        assert (referrer.referrals_count, referrer.verified_referrals_count) == (1, 1)
        statuses = dict(
            Subscriber.objects.filter(referrer=referrer).values_list("email", "referral_status")
        )
        assert statuses == {"a@ex.com": "verified", "b@ex.com": "rejected"}
        confirmed = Event.objects.get(type="new_partner_referral", team=campaign.team).payload
        assert confirmed["subscriber"]["id"] == kept.subscriber.public_id
        assert confirmed["subscriber"]["referral_status"] == "verified"

    def test_it_settles_in_batches_and_the_task_twice_has_one_effect(self) -> None:
        campaign = _campaign(cpa_cents=100)
        for i in range(5):
            partner_referral_create(campaign=campaign, email=f"p{i}@ex.com")
        PartnerReferral.objects.update(pending_until=timezone.now() - timedelta(minutes=1))
        assert partner_referrals_settle_task() == 5
        assert partner_referrals_settle_task() == 0
        assert EarningsEntry.objects.count() == 5
        campaign.refresh_from_db()
        assert (campaign.pending_count, campaign.confirmed_count) == (0, 5)

    def test_batches_are_taken_until_nothing_is_due(self) -> None:
        campaign = _campaign(cpa_cents=100)
        for i in range(5):
            partner_referral_create(campaign=campaign, email=f"p{i}@ex.com")
        assert _settle_later(batch_size=2) == 5
        assert PartnerReferral.objects.filter(status="confirmed").count() == 5


class TestAuditTrail:
    def test_deleting_a_publication_with_partner_referrals_is_refused_and_keeps_them(
        self,
    ) -> None:
        campaign = _campaign()
        referral = partner_referral_create(campaign=campaign, email="a@ex.com")
        _settle_later()
        program = campaign.program
        assert program is not None
        PartnerProgram.objects.filter(pk=program.pk).update(status=PartnerProgram.Status.PAUSED)
        with pytest.raises(InvalidState, match=r"^Publication has partner referrals$"):
            publication_delete(publication=campaign.publication)
        assert PartnerReferral.objects.filter(pk=referral.pk).exists()
        assert EarningsEntry.objects.filter(referral=referral).exists()
        assert Publication.objects.filter(pk=campaign.publication_id).exists()
