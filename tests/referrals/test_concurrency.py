"""100 referrals of one referrer verified at once: counters exact, rewards once (PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.test import APIClient

from referrals.models import CampaignMembership, RewardGrant
from referrals.services import campaign_create, reward_create
from sparkloop.counters import counter_get
from sparkloop.models import Team
from sparkloop.services import api_key_create
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


def test_concurrent_adds_of_one_member_make_one_membership(team: Team) -> None:
    campaign = campaign_create(team=team, name="Other")
    subscriber_create(team=team, email="a@example.com")
    _, key = api_key_create(team=team)
    barrier = threading.Barrier(20)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def add() -> None:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=key)
        barrier.wait()
        try:
            response = client.post(
                f"/v2/campaigns/{campaign.public_id}/campaign_memberships",
                {"subscriber_uuid": "a@example.com"},
                format="json",
            )
        finally:
            connection.close()
        with lock:
            statuses[response.status_code] += 1

    threads = [threading.Thread(target=add) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == Counter({201: 1, 400: 19})
    assert CampaignMembership.objects.filter(campaign=campaign).count() == 1
    assert counter_get(team=team, name=f"campaign.{campaign.pk}.all") == 1
