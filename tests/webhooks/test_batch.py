"""Batches: deliveries published together, claimed in one go, sent concurrently, recorded."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from sparkloop.models import Team
from tests.conftest import expand_events
from tests.webhooks.conftest import Broker, record_sync, verify_signature
from webhooks.models import DeliveryAttempt, Event, WebhookDelivery, WebhookEndpoint
from webhooks.services import deliveries_send, endpoint_create, event_record
from webhooks.services.claims import deliveries_claim
from webhooks.services.recording import attempts_record_successes
from webhooks.services.transport import AttemptResult
from webhooks.tasks import webhook_deliveries_send_task

pytestmark = pytest.mark.django_db

Status, Outcome = WebhookDelivery.Status, DeliveryAttempt.Outcome


def _record_many(team: Team, count: int) -> list[WebhookDelivery]:
    with transaction.atomic():
        return [record_sync(team, f"r{i}@example.com") for i in range(count)]


def test_an_events_deliveries_are_published_in_batches(
    team: Team,
    endpoint: WebhookEndpoint,
    settings: SettingsWrapper,
    broker: Broker,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.WEBHOOK_BATCH_SIZE = 4
    endpoints = [endpoint_create(team=team, url=f"https://h{i}.example.com/") for i in range(9)]

    event = event_record(team=team, type=Event.Type.SYNC_SUBSCRIBER, payload={})
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        expand_events()

    assert len(callbacks) == 1
    # The broker need not hand the messages back in publishing order (the on-disk broker of
    # the embedded default orders them by file time): put them in delivery order first.
    batches = sorted(broker.batches(), key=min)
    assert [len(batch) for batch in batches] == [4, 4, 2]
    deliveries = WebhookDelivery.objects.filter(event=event).order_by("pk")
    assert [pk for batch in batches for pk in batch] == [d.pk for d in deliveries]
    assert len(endpoints) + 1 == len(deliveries)


def test_a_batch_is_sent_signed_and_recorded_once_each(
    team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/hook").respond_with_data("ok")
    deliveries = _record_many(team, 20)

    webhook_deliveries_send_task([d.pk for d in deliveries])

    ids = [request.headers["webhook-id"] for request, _ in httpserver.log]
    assert sorted(ids) == sorted(d.event.public_id for d in deliveries)
    for request, _ in httpserver.log:
        assert verify_signature(secret=endpoint.secret, headers=request.headers, body=request.data)
    rows = WebhookDelivery.objects.filter(pk__in=[d.pk for d in deliveries])
    assert {(r.status, r.attempt_count, r.last_status_code) for r in rows} == {
        (Status.DELIVERED, 1, 200)
    }
    attempts = DeliveryAttempt.objects.filter(delivery__in=deliveries)
    assert sorted(attempts.values_list("delivery_id", flat=True)) == sorted(
        d.pk for d in deliveries
    )
    assert {(a.number, a.outcome, a.response_body) for a in attempts} == {
        (1, Outcome.SUCCESS, "ok")
    }


def test_a_batch_with_successes_and_failures_records_each_outcome(
    team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
) -> None:
    failing = endpoint_create(team=team, url=f"http://127.0.0.1:{httpserver.port}/broken")
    httpserver.expect_request("/hook").respond_with_data("")
    httpserver.expect_request("/broken").respond_with_data("down", status=503)
    with transaction.atomic():
        events = [
            event_record(team=team, type=Event.Type.SYNC_SUBSCRIBER, payload={}) for _ in range(3)
        ]
    expand_events()
    deliveries = list(WebhookDelivery.objects.filter(event__in=events))
    assert len(deliveries) == 6

    outcomes = deliveries_send(delivery_ids=[d.pk for d in deliveries])

    assert sorted(outcomes.values()) == [Outcome.HTTP_ERROR] * 3 + [Outcome.SUCCESS] * 3
    for row in WebhookDelivery.objects.filter(pk__in=outcomes):
        attempt = row.attempts.get()
        if row.endpoint_id == failing.pk:
            assert (row.status, row.retry_step, row.last_status_code) == (Status.PENDING, 1, 503)
            assert row.next_attempt_at is not None
            assert row.next_attempt_at > timezone.now()
            assert (attempt.outcome, attempt.response_body) == (Outcome.HTTP_ERROR, "down")
        else:
            assert (row.status, row.last_status_code) == (Status.DELIVERED, 200)
            assert attempt.outcome == Outcome.SUCCESS
    failing.refresh_from_db()
    endpoint.refresh_from_db()
    assert (failing.consecutive_failures, endpoint.consecutive_failures) == (3, 0)
    assert failing.failing_since is not None
    assert endpoint.failing_since is None


def test_running_a_batch_twice_sends_it_once(
    team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/hook").respond_with_data("")
    ids = [d.pk for d in _record_many(team, 5)]

    webhook_deliveries_send_task(ids)
    webhook_deliveries_send_task(ids)

    assert len(httpserver.log) == 5
    assert DeliveryAttempt.objects.filter(delivery_id__in=ids).count() == 5


def test_a_batch_skips_what_is_not_due_and_takes_at_most_the_batch_size(
    team: Team, endpoint: WebhookEndpoint, settings: SettingsWrapper
) -> None:
    settings.WEBHOOK_BATCH_SIZE = 3
    deliveries = _record_many(team, 5)
    later = deliveries[0]
    WebhookDelivery.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )

    claimed = deliveries_claim([d.pk for d in deliveries], timezone.now())

    assert [c.delivery_id for c in claimed] == [d.pk for d in deliveries[1:4]]
    assert {c.number for c in claimed} == {1}
    assert WebhookDelivery.objects.get(pk=later.pk).status == Status.PENDING


def test_a_batch_drops_successes_whose_claim_was_taken_back(
    team: Team, endpoint: WebhookEndpoint
) -> None:
    kept, lost = _record_many(team, 2)
    claimed = {c.delivery_id: c for c in deliveries_claim([kept.pk, lost.pk], timezone.now())}
    # The sweeper gave up on `lost` and its attempt 2 is running now.
    WebhookDelivery.objects.filter(pk=lost.pk).update(attempt_count=2)
    now = timezone.now()

    recorded = attempts_record_successes(
        [(claimed[pk], now, AttemptResult(Outcome.SUCCESS, 200)) for pk in (kept.pk, lost.pk)]
    )

    assert recorded == [kept.pk]
    assert WebhookDelivery.objects.get(pk=kept.pk).status == Status.DELIVERED
    assert WebhookDelivery.objects.get(pk=lost.pk).status == Status.SENDING
    assert list(DeliveryAttempt.objects.values_list("delivery_id", flat=True)) == [kept.pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestConcurrentBatches:
    def _race(self, count: int, target: Any) -> list[BaseException]:
        start = threading.Barrier(count)
        errors: list[BaseException] = []

        def run(index: int) -> None:
            try:
                start.wait()
                target(index)
            except BaseException as exc:  # reported by the test, not swallowed
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return errors

    def test_two_claimers_never_take_the_same_delivery(
        self, team: Team, endpoint: WebhookEndpoint, settings: SettingsWrapper
    ) -> None:
        settings.WEBHOOK_BATCH_SIZE = 200
        ids = [d.pk for d in _record_many(team, 200)]
        taken: list[list[int]] = [[], []]

        def claim(index: int) -> None:
            # Each claims in small bites, in opposite orders, until nothing is left.
            order = ids if index == 0 else ids[::-1]
            for start in range(0, len(order), 10):
                taken[index] += [
                    c.delivery_id
                    for c in deliveries_claim(order[start : start + 20], timezone.now())
                ]

        assert self._race(2, claim) == []
        assert set(taken[0]).isdisjoint(taken[1])
        assert sorted(taken[0] + taken[1]) == sorted(ids)
        rows = WebhookDelivery.objects.filter(pk__in=ids)
        assert {(r.status, r.attempt_count) for r in rows} == {(Status.SENDING, 1)}

    def test_racing_batches_send_each_attempt_once(
        self, team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
    ) -> None:
        httpserver.expect_request("/hook").respond_with_data("")
        deliveries = _record_many(team, 30)
        ids = [d.pk for d in deliveries]

        assert self._race(4, lambda index: webhook_deliveries_send_task(ids)) == []

        sent = [request.headers["webhook-id"] for request, _ in httpserver.log]
        assert sorted(sent) == sorted(d.event.public_id for d in deliveries)
        rows = WebhookDelivery.objects.filter(pk__in=ids)
        assert {(r.status, r.attempt_count) for r in rows} == {(Status.DELIVERED, 1)}
        assert DeliveryAttempt.objects.filter(delivery_id__in=ids).count() == 30


@pytest.mark.postgres
def test_a_groups_successes_are_recorded_in_one_statement(
    team: Team, endpoint: WebhookEndpoint
) -> None:
    deliveries = _record_many(team, 10)
    claims = deliveries_claim([d.pk for d in deliveries], timezone.now())
    now = timezone.now()

    with CaptureQueriesContext(connection) as queries:
        recorded = attempts_record_successes(
            [(claim, now, AttemptResult(Outcome.SUCCESS, 200, "ok")) for claim in claims]
        )

    assert sorted(recorded) == sorted(d.pk for d in deliveries)
    writes = [q["sql"] for q in queries if "webhooks_" in q["sql"]]
    assert len(writes) == 1
    assert DeliveryAttempt.objects.filter(delivery__in=deliveries).count() == 10


@pytest.fixture
def threaded_httpserver() -> Iterator[HTTPServer]:
    # The receiver answers each request on its own thread: the slow one must not hold the
    # fast one back (the session's `httpserver` answers one request at a time, so which of
    # the two arrived first decided the outcome on a busy machine).
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_outcome_is_recorded_as_its_post_returns_not_at_the_end_of_the_batch(
    team: Team, allow_private: SettingsWrapper, threaded_httpserver: HTTPServer
) -> None:
    """A worker killed while a slow receiver holds its batch repeats only that one."""
    fast = endpoint_create(team=team, url=f"http://127.0.0.1:{threaded_httpserver.port}/fast")
    slow = endpoint_create(team=team, url=f"http://127.0.0.1:{threaded_httpserver.port}/slow")
    event = event_record(team=team, type=Event.Type.SYNC_SUBSCRIBER, payload={})
    expand_events()
    fast_delivery = WebhookDelivery.objects.get(event=event, endpoint=fast)
    seen_while_slow: list[str] = []

    def answer_slowly(request: Request) -> Response:
        # Until the fast delivery's outcome is in the database (or 5 s pass).
        for _ in range(100):
            status = WebhookDelivery.objects.get(pk=fast_delivery.pk).status
            if status == Status.DELIVERED:
                break
            time.sleep(0.05)
        seen_while_slow.append(status)
        connection.close()
        return Response("")

    threaded_httpserver.expect_request("/fast").respond_with_data("")
    threaded_httpserver.expect_request("/slow").respond_with_handler(answer_slowly)

    outcomes = deliveries_send(delivery_ids=list(event.deliveries.values_list("pk", flat=True)))

    assert seen_while_slow == [Status.DELIVERED]
    assert sorted(outcomes.values()) == [Outcome.SUCCESS, Outcome.SUCCESS]
    assert slow.deliveries.get().status == Status.DELIVERED
