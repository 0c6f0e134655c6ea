"""Admin of subscribers: search, filters, actions through the services, no full COUNT(*)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sparkloop.admin_actions import ACTION_LIMIT
from sparkloop.counters import counter_get
from sparkloop.models import Team
from subscribers.admin import subscriber_search_q
from subscribers.models import Subscriber, SubscriberEvent
from subscribers.selectors import COUNTER_ADVOCATES, COUNTER_REFERRED, COUNTER_SUBSCRIBERS
from subscribers.services import subscriber_create, subscriber_event_create
from tests.admin.helpers import count_queries_on, messages_of
from tests.factories import SubscriberFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:subscribers_subscriber_changelist"


def url(name: str, *args: object) -> str:
    return reverse(f"admin:subscribers_subscriber_{name}", args=args)


def listed(client: Client, **params: Any) -> list[Subscriber]:
    response = client.get(url("changelist"), params)
    assert response.status_code == 200, response.content
    return list(response.context["cl"].result_list)


def counters(team: Team) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        counter_get(team=team, name=name)
        for name in (COUNTER_SUBSCRIBERS, COUNTER_REFERRED, COUNTER_ADVOCATES)
    )


def sync_events(subscriber: Subscriber) -> int:
    return sum(
        1
        for event in Event.objects.filter(type="sync_subscriber")
        if event.payload["subscriber"]["id"] == subscriber.public_id
    )


@pytest.fixture
def world(team: Team, other_team: Team) -> dict[str, Subscriber]:
    """An advocate with a pending and a verified referral, an unsubscriber, another team."""
    advocate = subscriber_create(team=team, email="Advocate@Example.com", status="confirmed")
    pending = subscriber_create(
        team=team, email="pending@example.com", referrer_code=advocate.ref_code
    )
    verified = subscriber_create(
        team=team, email="verified@example.org", referrer_code=advocate.ref_code, status="confirmed"
    )
    gone = subscriber_create(team=team, email="gone@example.com", status="unsubscribed")
    signup = subscriber_create(team=team, email="signup@example.com", origin="signup")
    stranger = subscriber_create(team=other_team, email="pending@example.com")
    return {
        "advocate": advocate,
        "pending": pending,
        "verified": verified,
        "gone": gone,
        "signup": signup,
        "stranger": stranger,
    }


class TestChangeList:
    def test_it_loads_on_an_empty_database(self, admin_client: Client) -> None:
        assert listed(admin_client) == []
        assert listed(admin_client, q="nobody@example.com") == []

    def test_it_lists_newest_first_across_teams_and_within_a_team(
        self, admin_client: Client, team: Team, world: dict[str, Subscriber]
    ) -> None:
        everyone = listed(admin_client)
        assert everyone == sorted(world.values(), key=lambda s: -s.pk)
        mine = listed(admin_client, team=team.pk)
        assert mine == sorted(
            (s for s in world.values() if s.team_id == team.pk),
            key=lambda s: (s.created_at, s.pk),
            reverse=True,
        )

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"status__exact": "unsubscribed"}, {"gone"}),
            ({"status__exact": "confirmed"}, {"advocate", "verified"}),
            ({"referral_status__exact": "pending"}, {"pending"}),
            ({"referral_status__exact": "verified"}, {"verified"}),
            ({"referral_status__isnull": "True"}, {"advocate", "gone", "signup", "stranger"}),
            ({"origin": "signup"}, {"signup"}),
            ({"origin": "sparkloop-api", "status__exact": "unsubscribed"}, {"gone"}),
        ],
    )
    def test_it_filters(
        self,
        admin_client: Client,
        world: dict[str, Subscriber],
        params: dict[str, str],
        expected: set[str],
    ) -> None:
        names = {name for name, s in world.items() if s in listed(admin_client, **params)}
        assert names == expected

    def test_it_filters_by_team_listing_the_chosen_team(
        self, admin_client: Client, other_team: Team, world: dict[str, Subscriber]
    ) -> None:
        response = admin_client.get(url("changelist"), {"team": other_team.pk})
        assert list(response.context["cl"].result_list) == [world["stranger"]]
        assert "charlie-news" in response.content.decode()

    def test_it_answers_a_bad_filter_value_with_the_admins_error_page_not_a_500(
        self, admin_client: Client, world: dict[str, Subscriber]
    ) -> None:
        response = admin_client.get(url("changelist"), {"team": "nope"})
        assert response.status_code == 302
        assert "e=1" in response["Location"]

    @pytest.mark.parametrize(
        ("term", "expected"),
        [
            ("ADVOCATE@example.COM", {"advocate"}),  # exact, any case
            ("  advocate@example.com ", {"advocate"}),
            ("pending@", {"pending", "stranger"}),  # a prefix, in every team
            ("verif", {"verified"}),
            ("ver_fied", set()),  # LIKE wildcards are literal
            ("example.com", set()),  # a prefix, not a substring
        ],
    )
    def test_it_searches_by_email(
        self, admin_client: Client, world: dict[str, Subscriber], term: str, expected: set[str]
    ) -> None:
        found = listed(admin_client, q=term)
        assert {name for name, s in world.items() if s in found} == expected

    def test_it_searches_by_uuid_and_ref_code(
        self, admin_client: Client, world: dict[str, Subscriber]
    ) -> None:
        advocate = world["advocate"]
        assert listed(admin_client, q=advocate.public_id) == [advocate]
        assert listed(admin_client, q=advocate.ref_code) == [advocate]
        assert listed(admin_client, q="sub_000000000000") == []

    def test_it_searches_within_the_chosen_team(
        self, admin_client: Client, team: Team, world: dict[str, Subscriber]
    ) -> None:
        assert listed(admin_client, q="pending@example.com", team=team.pk) == [world["pending"]]

    def test_it_never_counts_a_whole_table(
        self, admin_client: Client, team: Team, world: dict[str, Subscriber]
    ) -> None:
        for params in ({}, {"team": team.pk}, {"p": "1"}):
            with CaptureQueriesContext(connection) as queries:
                response = admin_client.get(url("changelist"), params)
            assert response.status_code == 200
            sql = [q["sql"] for q in queries.captured_queries]
            # Unfiltered and per-team totals come from the maintained counters.
            assert count_queries_on(sql, "subscribers_subscriber") == []
        assert response.context["cl"].result_count == 6

        for params in ({"status__exact": "confirmed"}, {"q": "pending@"}):
            with CaptureQueriesContext(connection) as queries:
                response = admin_client.get(url("changelist"), params)
            counts = count_queries_on(
                [q["sql"] for q in queries.captured_queries], "subscribers_subscriber"
            )
            # A filtered list counts at most cap + 1 rows.
            assert len(counts) == 1
            assert "LIMIT 10001" in counts[0]

    def test_it_takes_a_bounded_number_of_queries(
        self,
        admin_client: Client,
        team: Team,
        world: dict[str, Subscriber],
        django_assert_max_num_queries: Any,
    ) -> None:
        for i in range(20):
            subscriber_create(team=team, email=f"more{i}@example.com")
        with django_assert_max_num_queries(12):
            assert admin_client.get(url("changelist")).status_code == 200
        with django_assert_max_num_queries(12):
            assert admin_client.get(url("changelist"), {"q": "more1"}).status_code == 200


class TestChangePage:
    def test_it_shows_a_subscriber_with_read_only_counters(
        self, admin_client: Client, world: dict[str, Subscriber]
    ) -> None:
        response = admin_client.get(url("change", world["advocate"].pk))
        assert response.status_code == 200
        content = response.content.decode()
        assert world["advocate"].ref_code in content
        for field in ("email", "name"):
            assert f'name="{field}"' in content
        for field in ("referrals_count", "status", "referral_status", "team", "ref_code"):
            assert f'name="{field}"' not in content

    def test_it_edits_through_the_update_service(
        self, admin_client: Client, world: dict[str, Subscriber]
    ) -> None:
        subscriber = world["signup"]
        before = sync_events(subscriber)

        response = admin_client.post(
            url("change", subscriber.pk),
            {"email": " New@Example.com ", "name": "Ann", "referrals_count": "99"},
        )

        assert response.status_code == 302, response.content
        subscriber.refresh_from_db()
        assert (subscriber.email, subscriber.email_normalized, subscriber.name) == (
            "New@Example.com",
            "new@example.com",
            "Ann",
        )
        assert subscriber.referrals_count == 0
        assert sync_events(subscriber) == before + 1

    def test_it_refuses_an_email_taken_in_the_team(
        self, admin_client: Client, world: dict[str, Subscriber]
    ) -> None:
        response = admin_client.post(
            url("change", world["signup"].pk), {"email": "GONE@example.com", "name": ""}
        )
        assert response.status_code == 200
        assert "Email has already been taken" in response.content.decode()
        world["signup"].refresh_from_db()
        assert world["signup"].email == "signup@example.com"

    def test_it_refuses_a_malformed_email_with_the_apis_words(
        self, admin_client: Client, world: dict[str, Subscriber]
    ) -> None:
        response = admin_client.post(
            url("change", world["signup"].pk), {"email": "not-an-address", "name": ""}
        )
        assert response.status_code == 200
        assert "Email is invalid" in response.content.decode()
        world["signup"].refresh_from_db()
        assert world["signup"].email == "signup@example.com"

    def test_it_allows_an_email_taken_only_in_another_team(
        self, admin_client: Client, world: dict[str, Subscriber]
    ) -> None:
        response = admin_client.post(
            url("change", world["stranger"].pk), {"email": "advocate@example.com", "name": ""}
        )
        assert response.status_code == 302

    def test_it_does_not_offer_adding(self, admin_client: Client) -> None:
        assert admin_client.get(url("add")).status_code == 403


class TestActions:
    def act(self, client: Client, action: str, *subscribers: Subscriber) -> list[str]:
        response = client.post(
            url("changelist"),
            {"action": action, "_selected_action": [s.pk for s in subscribers]},
            follow=True,
        )
        assert response.status_code == 200
        return messages_of(response)

    def test_unsubscribe_goes_through_the_service(
        self, admin_client: Client, team: Team, world: dict[str, Subscriber]
    ) -> None:
        pending, gone = world["pending"], world["gone"]
        before = sync_events(pending)

        shown = self.act(admin_client, "unsubscribe", pending, gone)

        assert shown == [
            "Unsubscribed 1 row(s).",
            "1 row(s) were left unchanged: "
            "Subscriber gone@example.com has already been unsubscribed",
        ]
        pending.refresh_from_db()
        assert pending.status == "unsubscribed"
        assert pending.unsubscribed_at is not None
        assert sync_events(pending) == before + 1
        assert sync_events(gone) == 1  # only its creation
        assert counters(team) == (5, 2, 1)

    def test_reject_goes_through_the_service_and_keeps_counters_exact(
        self, admin_client: Client, team: Team, world: dict[str, Subscriber]
    ) -> None:
        pending, advocate = world["pending"], world["advocate"]
        before = sync_events(pending)

        shown = self.act(admin_client, "reject_referral", pending, advocate)

        assert shown == [
            "Rejected the pending referral of 1 row(s).",
            f"1 row(s) were left unchanged: Subscriber {advocate.email} must be pending",
        ]
        pending.refresh_from_db()
        advocate.refresh_from_db()
        assert pending.referral_status == "rejected"
        assert (advocate.referrals_count, advocate.verified_referrals_count) == (1, 1)
        assert sync_events(pending) == before + 1
        assert counters(team) == (5, 2, 1)

        self.act(admin_client, "reject_referral", world["verified"])
        assert counters(team) == (5, 2, 1)  # a verified referral can't be rejected

    def test_rejecting_an_advocates_last_referral_updates_the_advocate_count(
        self, admin_client: Client, team: Team
    ) -> None:
        advocate = subscriber_create(team=team, email="a@example.com")
        referred = subscriber_create(
            team=team, email="b@example.com", referrer_code=advocate.ref_code
        )
        assert counters(team) == (2, 1, 1)

        self.act(admin_client, "reject_referral", referred)

        assert counters(team) == (2, 1, 0)

    def test_an_action_refuses_more_rows_than_its_limit(
        self, admin_client: Client, team: Team
    ) -> None:
        Subscriber.objects.bulk_create(SubscriberFactory.build_batch(ACTION_LIMIT + 1, team=team))

        # "Select all 1,001": the form names one row and asks for the whole filtered list.
        response = admin_client.post(
            url("changelist") + f"?team={team.pk}",
            {
                "action": "unsubscribe",
                "select_across": "1",
                "_selected_action": [Subscriber.objects.filter(team=team)[0].pk],
            },
            follow=True,
        )

        assert messages_of(response) == ["Select at most 1000 rows for this action."]
        assert not Subscriber.objects.filter(status="unsubscribed").exists()


class TestDelete:
    def test_deleting_one_subscriber_keeps_the_counters_exact(
        self, admin_client: Client, team: Team, world: dict[str, Subscriber]
    ) -> None:
        advocate = world["advocate"]
        # Its events can't be deleted on their own admin page; they go with the subscriber.
        subscriber_event_create(subscriber=advocate, value=Decimal("5"))
        confirm = admin_client.get(url("delete", advocate.pk))
        assert confirm.status_code == 200

        response = admin_client.post(url("delete", advocate.pk), {"post": "yes"})

        assert response.status_code == 302
        assert not Subscriber.objects.filter(pk=advocate.pk).exists()
        assert not SubscriberEvent.objects.exists()
        assert counters(team) == (4, 2, 0)
        world["pending"].refresh_from_db()
        assert world["pending"].referrer_id is None
        assert world["pending"].referrer_code == advocate.ref_code

    def test_deleting_selected_subscribers_keeps_the_counters_exact(
        self, admin_client: Client, team: Team, other_team: Team, world: dict[str, Subscriber]
    ) -> None:
        doomed = [world["pending"], world["verified"], world["stranger"]]
        response = admin_client.post(
            url("changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [s.pk for s in doomed],
                "post": "yes",
            },
        )

        assert response.status_code == 302
        assert not Subscriber.objects.filter(pk__in=[s.pk for s in doomed]).exists()
        assert counters(team) == (3, 0, 0)
        assert counters(other_team) == (0, 0, 0)
        advocate = Subscriber.objects.get(pk=world["advocate"].pk)
        assert (advocate.referrals_count, advocate.verified_referrals_count) == (0, 0)


class TestSubscriberEventAdmin:
    def test_it_lists_and_shows_events_read_only(
        self, admin_client: Client, world: dict[str, Subscriber]
    ) -> None:
        event = subscriber_event_create(subscriber=world["advocate"], value=Decimal("12.5"))
        changelist = reverse("admin:subscribers_subscriberevent_changelist")

        response = admin_client.get(changelist)
        assert response.status_code == 200
        assert "12.50" in response.content.decode()
        assert admin_client.get(changelist, {"q": event.public_id}).status_code == 200
        page = admin_client.get(
            reverse("admin:subscribers_subscriberevent_change", args=[event.pk])
        )
        assert page.status_code == 200
        assert 'name="value_cents"' not in page.content.decode()
        assert admin_client.get(reverse("admin:subscribers_subscriberevent_add")).status_code == 403
        assert SubscriberEvent.objects.count() == 1

    def test_it_loads_on_an_empty_database(self, admin_client: Client) -> None:
        response = admin_client.get(reverse("admin:subscribers_subscriberevent_changelist"))
        assert response.status_code == 200


@pytest.mark.postgres
class TestSearchUsesTheIndexes:
    """With sequential scans priced out, each search shape must be answered by its index."""

    @pytest.mark.parametrize(
        ("term", "indexes"),
        [
            ("Reader@Example.com", ["uniq_subscriber_team_email"]),
            ("read", ["uniq_subscriber_team_email", "uniq_subscriber_team_ref_code"]),
            ("sub_0123456789ab", ["public_id"]),
        ],
    )
    def test_a_search_term_is_served_by_an_index(
        self, term: str, indexes: list[str], team: Team, other_team: Team
    ) -> None:
        # Enough rows that a team's whole share (its team_id index) is the worse choice.
        Subscriber.objects.bulk_create(
            SubscriberFactory.build(team=team, email=f"r{i}@example.com") for i in range(3000)
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE subscribers_subscriber")
        queryset = Subscriber.objects.filter(subscriber_search_q(term))
        if not term.startswith("sub_"):
            queryset = queryset.filter(team_id__in=[team.pk, other_team.pk])  # as the admin does
        sql, params = queryset.query.sql_with_params()

        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())

        assert "Seq Scan" not in plan, plan
        for index in indexes:
            assert index in plan, plan
