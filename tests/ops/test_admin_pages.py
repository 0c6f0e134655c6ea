"""The admin at a glance: the index's team numbers, a subscriber's whole story on its page,
the review queue's title, each at a fixed number of queries."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import Settings as SettingsWrapper

from referrals.models import Referral
from sparkloop.models import Team
from sparkloop.services import team_create
from subscribers.models import Subscriber
from subscribers.services import subscriber_create, subscriber_event_create
from tests.conftest import expand_events
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_create, event_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db: None) -> Client:
    user = User.objects.create_superuser(username="staff", email="", password=None)
    client = Client()
    client.force_login(user)
    return client


def refer(team: Team, referrer: Subscriber, count: int) -> None:
    for number in range(count):
        subscriber_create(
            team=team, email=f"friend{number}@example.org", referrer_code=referrer.ref_code
        )


def queries(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured), response.content.decode()


def test_the_index_shows_each_teams_numbers(
    staff: Client, team: Team, settings: SettingsWrapper
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    ann = subscriber_create(team=team, email="ann@example.com")
    refer(team, ann, 2)
    endpoint_create(team=team, url="https://hooks.example.com/a", events={})
    failing = endpoint_create(team=team, url="https://hooks.example.com/b", events={})
    expand_events()
    WebhookDelivery.objects.all().delete()  # what the sign-ups above made
    event_record(team=team, type=Event.Type.WEBHOOK_TEST, payload={})
    expand_events()
    WebhookDelivery.objects.filter(endpoint=failing).delete()
    WebhookEndpoint.objects.filter(pk=failing.pk).update(is_enabled=False)

    _, page = queries(staff, "/admin/")

    assert "Teams at a glance" in page
    row = page[page.index(f">{team.name}<") :].split("</tr>", 1)[0]
    figures = {label: int(value) for label, value in re.findall(r'data-label="([^"]+)">(\d+)', row)}
    assert figures == {
        "subscribers": 3,
        "referrals this week": Referral.objects.filter(team=team).count(),
        "webhook backlog": 1,
        "failing webhooks": 1,
    }
    assert figures["referrals this week"] >= 2


def test_the_index_costs_the_same_for_two_teams_or_twelve(staff: Client) -> None:
    for number in range(2):
        team_create(name=f"team-{number}")
    few, _ = queries(staff, "/admin/")
    for number in range(2, 12):
        team_create(name=f"team-{number}")

    many, page = queries(staff, "/admin/")

    assert many == few
    assert "team-11" in page


def test_the_index_hides_the_numbers_from_staff_who_may_not_see_teams(db: None) -> None:
    user = User.objects.create_user(username="clerk", password=None, is_staff=True)
    client = Client()
    client.force_login(user)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert b"Teams at a glance" not in response.content


def test_a_subscriber_page_tells_its_whole_story(staff: Client, team: Team) -> None:
    ann = subscriber_create(team=team, email="ann@example.com")
    bob = subscriber_create(team=team, email="bob@example.org", referrer_code=ann.ref_code)
    subscriber_event_create(subscriber=bob, value=Decimal("49.99"), description="Annual plan")

    _, page = queries(staff, f"/admin/subscribers/subscriber/{bob.pk}/change/")

    assert "Annual plan" in page
    assert "49.99" in page
    assert "Campaigns and referrals" in page
    assert "ann@example.com" in page  # who referred bob
    _, page = queries(staff, f"/admin/subscribers/subscriber/{ann.pk}/change/")
    assert "bob@example.org" in page  # whom ann referred


def test_a_subscriber_page_costs_the_same_for_one_referral_or_ten(
    staff: Client, team: Team
) -> None:
    ann = subscriber_create(team=team, email="ann@example.com")
    refer(team, ann, 1)
    one, _ = queries(staff, f"/admin/subscribers/subscriber/{ann.pk}/change/")
    Subscriber.objects.filter(email__startswith="friend").delete()
    refer(team, ann, 10)

    ten, page = queries(staff, f"/admin/subscribers/subscriber/{ann.pk}/change/")

    assert ten == one
    assert page.count("friend") >= 10


def test_the_review_queue_says_what_it_holds(staff: Client) -> None:
    response = staff.get("/admin/referrals/referralreview/")

    assert response.status_code == 200
    assert b"Flagged referrals waiting for your decision (oldest first)" in response.content


def test_lists_show_few_columns(staff: Client, team: Team) -> None:
    endpoint_create(team=team, url="https://hooks.example.com/a", events={})
    subscriber_create(team=team, email="ann@example.com")  # and its sync_subscriber delivery
    expand_events()
    pages: dict[str, Any] = {
        "/admin/subscribers/subscriber/": 6,
        "/admin/webhooks/webhookdelivery/": 7,
        "/admin/webhooks/webhookendpoint/": 5,
    }
    for url, columns in pages.items():
        response = staff.get(url)
        assert response.status_code == 200
        header = response.content.decode().split("<thead>", 1)[1].split("</thead>", 1)[0]
        # One more for the action checkbox.
        assert header.count("<th") == columns + 1, url
