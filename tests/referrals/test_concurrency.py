"""100 referrals of one referrer verified at once: counters exact, rewards once (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from referrals.models import CampaignMembership, RewardGrant
from referrals.services import reward_create
from sparkloop.models import Team
from subscribers.models import Subscriber
from subscribers.services import subscriber_create, subscriber_update
from tests.referrals.helpers import configure, default_campaign, refer
from webhooks.models import Event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 100
# The test server's max_connections (100) is shared with other test runs: at most this many
# of the 100 threads hold a connection at once, released together by the barrier.
CONNECTIONS = 40


def test_concurrent_verifications_unlock_each_reward_exactly_once(team: Team) -> None:
    campaign = configure(default_campaign(team), screening_enabled=False)
    reward_create(campaign=campaign, name="Ebook", referrals=10, coupon_codes=["E1", "E2"])
    reward_create(campaign=campaign, name="Coffee", referrals=25, recurring=True)
    referrer = subscriber_create(team=team, email="ref@example.com")
    referred = [refer(team, referrer, f"friend{i}@example.com") for i in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    slots = threading.BoundedSemaphore(CONNECTIONS)
    errors: list[BaseException] = []

    def verify(subscriber: Subscriber) -> None:
        barrier.wait()
        with slots:
            try:
                subscriber_update(subscriber=subscriber, status=Subscriber.Status.CONFIRMED)
            except BaseException as exc:
                errors.append(exc)
            finally:
                connection.close()

    threads = [threading.Thread(target=verify, args=(s,)) for s in referred]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    referrer.refresh_from_db()
    assert (referrer.referrals_count, referrer.verified_referrals_count) == (THREADS, THREADS)
    membership = CampaignMembership.objects.get(campaign=campaign, subscriber=referrer)
    assert (membership.referrals_count, membership.verified_referrals_count) == (THREADS, THREADS)
    grants = RewardGrant.objects.filter(subscriber=referrer)
    assert sorted((g.reward.name, g.occurrence) for g in grants) == [
        ("Coffee", 1),
        ("Coffee", 2),
        ("Coffee", 3),
        ("Coffee", 4),
        ("Ebook", 1),
    ]
    assert grants.get(reward__name="Ebook").coupon_code == "E1"
    assert Event.objects.filter(type="reward_unlocked").count() == 5
    new_referrals = Event.objects.filter(type="new_referral")
    assert new_referrals.count() == THREADS
    # Each verification saw its own count: 1..100, every value exactly once.
    counts = sorted(e.payload["referrer"]["tot_referrals"] for e in new_referrals)
    assert counts == list(range(1, THREADS + 1))
