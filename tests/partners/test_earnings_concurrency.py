"""Budgets, caps and settlement under concurrency (PostgreSQL, real threads)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from referrals.partners.earnings.services import (
    partner_referral_create,
    partner_referrals_settle,
)
from referrals.partners.models import (
    EarningsEntry,
    PartnerReferral,
    ProgramBudgetMonth,
)
from sparkloop.exceptions import InvalidState
from subscribers.models import Subscriber
from subscribers.services import subscriber_reject
from tests.partners.factories import PartnerCampaignFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# The server's connections are shared with other runs: at most this many threads at once.
CONNECTIONS = 25


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` in `count` threads, `CONNECTIONS` at a time released together."""
    results: list[Any] = []
    lock = threading.Lock()
    for start in range(0, count, CONNECTIONS):
        size = min(CONNECTIONS, count - start)
        barrier = threading.Barrier(size)

        def target(i: int, barrier: threading.Barrier = barrier) -> None:
            try:
                barrier.wait()
                result = work(i)
            finally:
                connection.close()
            with lock:
                results.append(result)

        threads = [threading.Thread(target=target, args=(start + i,)) for i in range(size)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return results


def test_a_hundred_referrals_against_a_budget_for_ten_make_ten_payable() -> None:
    # Four partners share one program budget for 10 CPAs; each partner's cap holds 5.
    campaign = PartnerCampaignFactory.create(
        program__cpa_cents=100, program__total_budget_cents=1000, program__max_payout_cents=500
    )
    campaigns = [campaign] + [
        PartnerCampaignFactory.create(program=campaign.program, publication=campaign.publication)
        for _ in range(3)
    ]

    def work(i: int) -> tuple[int, bool]:
        referral = partner_referral_create(campaign=campaigns[i % 4], email=f"p{i}@ex.com")
        return referral.campaign_id, referral.payable

    results = run_together(100, work)
    payable = [campaign_id for campaign_id, ok in results if ok]
    assert len(payable) == 10
    assert all(payable.count(c.pk) <= 5 for c in campaigns)
    row = ProgramBudgetMonth.objects.get(program=campaign.program)
    assert (row.reserved_cents, row.used_cents) == (1000, 0)
    assert PartnerReferral.objects.filter(rejection_reason="budget_exhausted").count() == 90


def _due_referrals(n: int) -> list[PartnerReferral]:
    campaign = PartnerCampaignFactory.create(program__cpa_cents=100)
    made = [partner_referral_create(campaign=campaign, email=f"p{i}@ex.com") for i in range(n)]
    PartnerReferral.objects.update(pending_until=timezone.now() - timedelta(minutes=1))
    return made


def test_two_settlers_at_once_settle_each_referral_once() -> None:
    _due_referrals(60)
    settled = run_together(2, lambda i: partner_referrals_settle(batch_size=7))
    assert sum(settled) == 60
    assert EarningsEntry.objects.count() == 60
    assert PartnerReferral.objects.filter(status="confirmed").count() == 60
    row = ProgramBudgetMonth.objects.get()
    assert (row.reserved_cents, row.used_cents) == (0, 6000)


def test_the_job_s_parallel_settlers_settle_each_referral_once() -> None:
    made = _due_referrals(60)
    Subscriber.objects.filter(partner_referrals=made[0]).update(status="unsubscribed")

    assert partner_referrals_settle(batch_size=4, parallel=3) == 60

    assert EarningsEntry.objects.count() == 59
    statuses = list(PartnerReferral.objects.values_list("status", flat=True))
    assert (statuses.count("confirmed"), statuses.count("rejected")) == (59, 1)
    row = ProgramBudgetMonth.objects.get()
    assert (row.reserved_cents, row.used_cents) == (0, 5900)
    campaign = made[0].campaign
    campaign.refresh_from_db()
    assert (campaign.pending_count, campaign.confirmed_count, campaign.rejected_count) == (
        0,
        59,
        1,
    )


def test_inside_a_transaction_the_settlers_are_one_that_sees_it() -> None:
    with transaction.atomic():
        _due_referrals(10)  # not committed: a thread's own connection would not see them
        assert partner_referrals_settle(batch_size=4, parallel=3) == 10
        assert PartnerReferral.objects.filter(status="confirmed").count() == 10


def test_a_settler_and_rejects_at_the_same_moment_settle_each_referral_once() -> None:
    made = _due_referrals(20)

    def work(i: int) -> str:
        if i == 0:
            partner_referrals_settle(batch_size=5)
            return "settler"
        subscriber = Subscriber.objects.get(partner_referrals=made[i])
        try:
            subscriber_reject(subscriber=subscriber, identifier=subscriber.public_id)
        except InvalidState:  # the settler verified it first
            return "too_late"
        return "rejected"

    outcomes = run_together(20, work)
    partner_referrals_settle()  # what the settler skipped while a reject held it
    statuses = list(PartnerReferral.objects.values_list("status", "rejection_reason"))
    confirmed = statuses.count(("confirmed", None))
    assert confirmed == outcomes.count("too_late") + 1
    assert statuses.count(("rejected", "rejected_by_publisher")) == outcomes.count("rejected")
    assert confirmed + outcomes.count("rejected") == 20
    assert EarningsEntry.objects.count() == confirmed
    row = ProgramBudgetMonth.objects.get()
    assert (row.reserved_cents, row.used_cents) == (0, 100 * confirmed)
    campaign = made[0].campaign
    campaign.refresh_from_db()
    assert (campaign.pending_count, campaign.confirmed_count, campaign.rejected_count) == (
        0,
        confirmed,
        20 - confirmed,
    )
    verified = Subscriber.objects.filter(referral_status="verified").count()
    assert verified == confirmed
