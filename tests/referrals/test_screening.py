"""Screening and verification policies: signals with reasons, holding period, staff review."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from referrals.models import CampaignMembership, Referral
from referrals.services import (
    blocklist_entry_create,
    referral_approve,
    referral_reject,
)
from referrals.services.referrals import REFERRAL_NOT_PENDING
from referrals.tasks import referral_holding_sweep_task
from sparkloop.counters import counter_get
from sparkloop.exceptions import InvalidState, NotFound
from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.services import (
    subscriber_create,
    subscriber_delete,
    subscriber_reject,
    subscriber_unsubscribe,
)
from tests.referrals.helpers import configure, confirm, default_campaign, refer
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def codes(referral: Referral) -> list[str]:
    return [s["code"] for s in referral.signals]


@pytest.fixture
def referrer(team: Team) -> Subscriber:
    return subscriber_create(team=team, email="john.doe@example.com", ip_address="198.51.100.7")


class TestSignals:
    @pytest.mark.parametrize(
        "email", ["john.doe+1@example.com", "johndoe2@example.com", "JOHN_DOE@example.com"]
    )
    def test_it_flags_a_self_referral_by_email_pattern(
        self, team: Team, referrer: Subscriber, email: str
    ) -> None:
        referral = Referral.objects.get(referred=refer(team, referrer, email))
        assert referral.flagged
        assert codes(referral) == ["self_referral_email"]
        assert referral.signals[0]["reason"] == "Same email domain and local part as the referrer"

    def test_it_does_not_flag_a_colleague(self, team: Team, referrer: Subscriber) -> None:
        referral = Referral.objects.get(referred=refer(team, referrer, "mary@example.com"))
        assert not referral.flagged
        assert referral.signals == []

    def test_it_flags_the_referrers_ip_within_a_day(self, team: Team, referrer: Subscriber) -> None:
        referred = refer(team, referrer, "mary@example.org", ip_address="198.51.100.7")
        assert codes(Referral.objects.get(referred=referred)) == ["self_referral_ip"]
        later = refer(
            team,
            referrer,
            "paul@example.org",
            ip_address="198.51.100.7",
            created_at=timezone.now() + timedelta(days=3),
        )
        assert codes(Referral.objects.get(referred=later)) == []

    def test_it_flags_a_disposable_domain_from_the_maintained_list(
        self, team: Team, referrer: Subscriber
    ) -> None:
        referred = refer(team, referrer, "someone@mailinator.com")
        referral = Referral.objects.get(referred=referred)
        assert codes(referral) == ["disposable_email"]
        assert referral.signals[0]["reason"] == "Disposable email domain mailinator.com"

    @pytest.mark.parametrize(
        ("kind", "pattern", "email", "ip"),
        [
            ("email", "bad*@example.net", "badguy@example.net", None),
            ("domain", "*.spam.test", "x@mail.spam.test", None),
            ("ip", "203.0.113.*", "x@example.net", "203.0.113.50"),
        ],
    )
    def test_it_flags_blocklisted_emails_domains_and_ips(
        self,
        team: Team,
        referrer: Subscriber,
        kind: str,
        pattern: str,
        email: str,
        ip: str | None,
    ) -> None:
        blocklist_entry_create(team=team, kind=kind, pattern=pattern)
        referred = refer(team, referrer, email, ip_address=ip)
        referral = Referral.objects.get(referred=referred)
        assert codes(referral) == ["blocklisted"]
        assert pattern in referral.signals[0]["reason"]

    def test_another_teams_blocklist_does_not_apply(
        self, team: Team, other_team: Team, referrer: Subscriber
    ) -> None:
        blocklist_entry_create(team=other_team, kind="domain", pattern="example.net")
        referred = refer(team, referrer, "x@example.net")
        assert codes(Referral.objects.get(referred=referred)) == []

    def test_it_flags_referrer_velocity(self, team: Team, referrer: Subscriber) -> None:
        configure(default_campaign(team), referrer_velocity_limit=3)
        referred = [refer(team, referrer, f"friend{i}@example.net") for i in range(5)]
        flagged = [Referral.objects.get(referred=s).flagged for s in referred]
        assert flagged == [False, False, False, True, True]
        assert codes(Referral.objects.get(referred=referred[4])) == ["velocity_referrer"]

    def test_it_flags_ip_velocity(self, team: Team, referrer: Subscriber) -> None:
        configure(default_campaign(team), ip_velocity_limit=2)
        referred = [
            refer(team, referrer, f"friend{i}@example.net", ip_address="192.0.2.1")
            for i in range(3)
        ]
        assert codes(Referral.objects.get(referred=referred[2])) == ["velocity_ip"]


class TestReview:
    def test_a_flagged_referral_stays_pending_on_confirmation(
        self, team: Team, referrer: Subscriber
    ) -> None:
        referred = confirm(refer(team, referrer, "john.doe+1@example.com"))
        assert referred.referral_status == "pending"
        referrer.refresh_from_db()
        assert referrer.verified_referrals_count == 0
        assert not Event.objects.filter(type="new_referral").exists()

    def test_staff_approve_a_flagged_referral(self, team: Team, referrer: Subscriber) -> None:
        referred = confirm(refer(team, referrer, "john.doe+1@example.com"))
        referral = referral_approve(
            referral=Referral.objects.get(referred=referred), decided_by="staff"
        )
        assert (referral.status, referral.decided_by) == ("verified", "staff")
        referred.refresh_from_db()
        referrer.refresh_from_db()
        assert referred.referral_status == "verified"
        assert referrer.verified_referrals_count == 1
        membership = CampaignMembership.objects.get(subscriber=referrer)
        assert membership.verified_referrals_count == 1
        assert Event.objects.filter(type="new_referral").count() == 1
        with pytest.raises(
            InvalidState, match=re.escape(REFERRAL_NOT_PENDING.format(email=referred.email))
        ):
            referral_approve(referral=referral)

    def test_approving_an_unconfirmed_subscribers_referral_clears_the_flag_but_waits(
        self, team: Team, referrer: Subscriber
    ) -> None:
        referred = refer(team, referrer, "john.doe+1@example.com")  # pending, not confirmed
        referral = referral_approve(
            referral=Referral.objects.get(referred=referred), decided_by="staff"
        )

        assert (referral.status, referral.flagged, referral.approved_by) == (
            "pending",
            False,
            "staff",
        )
        assert referral.approved_at is not None
        assert codes(referral) == ["self_referral_email"]  # kept: why it was held
        referred.refresh_from_db()
        referrer.refresh_from_db()
        assert referred.referral_status == "pending"
        assert referrer.verified_referrals_count == 0
        assert not Event.objects.filter(type="new_referral").exists()

        confirm(referred)

        referral.refresh_from_db()
        referrer.refresh_from_db()
        assert referral.status == "verified"
        assert referrer.verified_referrals_count == 1
        membership = CampaignMembership.objects.get(subscriber=referrer)
        assert membership.verified_referrals_count == 1
        assert Event.objects.filter(type="new_referral").count() == 1

    def test_approval_in_a_holding_period_campaign_waits_for_the_period(
        self, team: Team, referrer: Subscriber
    ) -> None:
        configure(default_campaign(team), verification="holding_period", holding_days=7)
        referred = confirm(refer(team, referrer, "john.doe+1@example.com"))
        referral = referral_approve(referral=Referral.objects.get(referred=referred))
        assert (referral.status, referral.flagged) == ("pending", False)

        Referral.objects.update(verify_after=timezone.now() - timedelta(seconds=1))
        assert referral_holding_sweep_task() == 1

        referral.refresh_from_db()
        assert referral.status == "verified"

    def test_a_decision_on_a_referral_erased_since_it_was_read_is_not_found(
        self, team: Team, referrer: Subscriber
    ) -> None:
        referred = refer(team, referrer, "john.doe+1@example.com")
        stale = Referral.objects.get(referred=referred)
        subscriber_delete(subscriber=referred)

        for decide in (referral_approve, referral_reject):
            with pytest.raises(NotFound) as raised:
                decide(referral=stale)
            assert raised.value.message == f"Referral {stale.pk} not found!"

    def test_staff_reject_a_flagged_referral(self, team: Team, referrer: Subscriber) -> None:
        referred = refer(team, referrer, "someone@mailinator.com")
        referral = referral_reject(referral=Referral.objects.get(referred=referred))
        assert referral.status == "rejected"
        referred.refresh_from_db()
        referrer.refresh_from_db()
        assert referred.referral_status == "rejected"
        assert (referrer.referrals_count, referrer.verified_referrals_count) == (0, 0)
        membership = CampaignMembership.objects.get(subscriber=referrer)
        assert membership.referrals_count == 0
        with pytest.raises(InvalidState):
            referral_reject(referral=referral)


class TestPolicies:
    def test_staff_policy_never_verifies_on_confirmation(
        self, team: Team, referrer: Subscriber
    ) -> None:
        configure(default_campaign(team), verification="staff")
        referred = confirm(refer(team, referrer, "mary@example.com"))
        assert referred.referral_status == "pending"
        referral_approve(referral=Referral.objects.get(referred=referred))
        referred.refresh_from_db()
        assert referred.referral_status == "verified"

    def test_staff_policy_approval_before_confirmation_verifies_on_confirmation(
        self, team: Team, referrer: Subscriber
    ) -> None:
        configure(default_campaign(team), verification="staff")
        referred = refer(team, referrer, "mary@example.com")
        referral = referral_approve(referral=Referral.objects.get(referred=referred))
        assert referral.status == "pending"

        assert confirm(referred).referral_status == "verified"
        referral.refresh_from_db()
        assert referral.status == "verified"

    def test_staff_policy_without_approval_stays_pending_on_confirmation(
        self, team: Team, referrer: Subscriber
    ) -> None:
        configure(default_campaign(team), verification="staff")
        referred = confirm(refer(team, referrer, "mary@example.com"))
        assert Referral.objects.get(referred=referred).status == "pending"

    def test_holding_period_verifies_after_the_period_if_still_subscribed(
        self, team: Team, referrer: Subscriber
    ) -> None:
        configure(default_campaign(team), verification="holding_period", holding_days=7)
        kept = confirm(refer(team, referrer, "mary@example.com"))
        left = confirm(refer(team, referrer, "paul@example.com"))
        subscriber_unsubscribe(subscriber=left, identifier=left.email)
        assert kept.referral_status == "pending"

        assert referral_holding_sweep_task() == 0  # not due yet
        Referral.objects.update(verify_after=timezone.now() - timedelta(seconds=1))
        assert referral_holding_sweep_task() == 2
        assert referral_holding_sweep_task() == 0  # twice, one effect

        kept.refresh_from_db()
        left.refresh_from_db()
        assert (kept.referral_status, left.referral_status) == ("verified", "rejected")
        assert codes(Referral.objects.get(referred=left)) == ["unsubscribed"]
        referrer.refresh_from_db()
        assert (referrer.referrals_count, referrer.verified_referrals_count) == (1, 1)
        membership = CampaignMembership.objects.get(subscriber=referrer)
        assert (membership.referrals_count, membership.verified_referrals_count) == (1, 1)
        assert Event.objects.filter(type="new_referral").count() == 1

    def test_confirming_after_the_holding_period_verifies_at_once(
        self, team: Team, referrer: Subscriber
    ) -> None:
        configure(default_campaign(team), verification="holding_period")
        referred = refer(team, referrer, "mary@example.com")
        Referral.objects.update(verify_after=timezone.now() - timedelta(seconds=1))
        assert confirm(referred).referral_status == "verified"


class TestCounters:
    def test_they_stay_exact_through_verify_reject_unsubscribe_and_delete(
        self, team: Team, referrer: Subscriber
    ) -> None:
        campaign = default_campaign(team)
        a = confirm(refer(team, referrer, "a@example.com"))
        b = refer(team, referrer, "b@example.com")
        c = refer(team, referrer, "c@example.com")
        subscriber_reject(subscriber=b, identifier=b.email)
        subscriber_unsubscribe(subscriber=a, identifier=a.email)

        def state() -> tuple[int, int, int, int, int]:
            m = CampaignMembership.objects.get(campaign=campaign, subscriber=referrer)
            return (
                m.referrals_count,
                m.verified_referrals_count,
                counter_get(team=team, name=f"campaign.{campaign.pk}.all"),
                counter_get(team=team, name=f"campaign.{campaign.pk}.referrals"),
                counter_get(team=team, name=f"campaign.{campaign.pk}.advocates"),
            )

        assert state() == (2, 1, 4, 3, 1)
        assert Referral.objects.get(referred=b).status == "rejected"
        subscriber_delete(subscriber=a)
        assert state() == (1, 0, 3, 2, 1)
        subscriber_delete(subscriber=c)
        assert state() == (0, 0, 2, 1, 0)
        subscriber_delete(subscriber=referrer)
        assert counter_get(team=team, name=f"campaign.{campaign.pk}.all") == 1
        assert Referral.objects.get(referred=b).referrer_id is None
