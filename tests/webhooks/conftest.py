"""The webhooks world: a receiver on 127.0.0.1, an endpoint of `team` pointing at it, a DNS
that answers only what a test tells it, and the real broker's queue of send tasks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_httpserver import HTTPServer

from sparkloop.celery import app as celery_app
from sparkloop.models import Team
from tests.conftest import expand_events
from webhooks import addresses
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_create, event_record, publish_resume
from webhooks.services.publish import EXPAND_TASK, SEND_TASK


def verify_signature(*, secret: str, headers: Any, body: bytes) -> bool:
    """Standard Webhooks verification written from the spec, sharing no code with ours."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        version == "v1" and hmac.compare_digest(signature, expected)
        for version, _, signature in (
            part.partition(",") for part in headers["webhook-signature"].split(" ")
        )
    )


class FakeDNS:
    """A resolver that knows only the names a test gives it (no DNS, no /etc/hosts).

    An answer is a list of addresses, or a list of such lists given in turn (the last one
    repeats): a name whose answer changes between two questions (DNS rebinding).
    """

    def __init__(self) -> None:
        self.records: dict[str, list[list[str]]] = {}
        self.questions: list[str] = []

    def add(self, host: str, *answers: list[str]) -> None:
        self.records[host] = list(answers)

    def __call__(self, host: str, port: int) -> list[str]:
        self.questions.append(host)
        answers = self.records.get(host)
        if not answers:
            raise OSError(f"NXDOMAIN {host}")
        return answers.pop(0) if len(answers) > 1 else answers[0]


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    fake = FakeDNS()
    monkeypatch.setattr(addresses, "resolver", fake)
    return fake


@pytest.fixture(autouse=True)
def _publishing_not_paused() -> Iterator[None]:
    # A refused publish pauses publishing in this process; no test inherits another's pause.
    publish_resume()
    yield
    publish_resume()


class Broker:
    """The real broker's queue of send tasks, private to one test."""

    def __init__(self, queue: str) -> None:
        self.queue = queue

    def batches(self) -> list[list[int]]:
        """The delivery ids of each send task published so far (taken off the queue)."""
        batches = []
        with celery_app.connection_for_write() as conn:
            # kombu types the channel as StdChannel, without the basic_get and queue_purge
            # that every transport's channel has.
            channel: Any = conn.default_channel
            while (message := channel.basic_get(self.queue, no_ack=True)) is not None:
                assert message.headers["task"] == SEND_TASK
                args, _kwargs, _embed = message.decode()
                batches.append(list(args[0]))
        return batches

    def ids(self) -> list[int]:
        return [delivery_id for batch in self.batches() for delivery_id in batch]

    def expansions(self) -> list[list[int]]:
        """The event ids of each expansion task published so far (taken off its queue)."""
        return [ids for ids, _eta in self.expansions_with_eta()]

    def expansions_with_eta(self) -> list[tuple[list[int], str | None]]:
        """`expansions`, each with the time it is to run at (`eta`; None: at once)."""
        found = []
        with celery_app.connection_for_write() as conn:
            channel: Any = conn.default_channel
            while (message := channel.basic_get(f"{self.queue}_expand", no_ack=True)) is not None:
                assert message.headers["task"] == EXPAND_TASK
                args, _kwargs, _embed = message.decode()
                found.append((list(args[0]), message.headers.get("eta")))
        return found

    def purge(self) -> None:
        with celery_app.connection_for_write() as conn:
            for queue in (self.queue, f"{self.queue}_expand"):
                conn.default_channel.queue_purge(queue)  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def broker(settings: SettingsWrapper) -> Iterator[Broker]:
    """Send tasks go to a queue of the real broker (CELERY_BROKER_URL) named for this test;
    expansion tasks to another (`Broker(...).expansions()`)."""
    name = f"test_webhooks_{uuid.uuid4().hex[:12]}"
    settings.WEBHOOK_QUEUE = name
    settings.WEBHOOK_EXPAND_QUEUE = f"{name}_expand"
    queue = Broker(name)
    yield queue
    queue.purge()


@contextmanager
def broker_unreachable(port: int) -> Iterator[None]:
    """The Celery app publishes to a closed port on 127.0.0.1 (refused connections)."""
    # The write URL: CELERY_BROKER_URL in the environment wins over the broker_url setting.
    old = celery_app.conf.get("broker_write_url")
    celery_app.conf["broker_write_url"] = f"redis://127.0.0.1:{port}/0"
    # Celery keeps a connection pool per app; forget it (as Celery does after a fork, with a
    # method celery-types does not declare).
    celery_app._after_fork()  # type: ignore[attr-defined]
    try:
        yield
    finally:
        celery_app.conf["broker_write_url"] = old
        celery_app._after_fork()  # type: ignore[attr-defined]


@pytest.fixture
def allow_private(settings: SettingsWrapper) -> SettingsWrapper:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    return settings


@pytest.fixture
def receiver_url(httpserver: HTTPServer) -> str:
    return f"http://127.0.0.1:{httpserver.port}/hook"


@pytest.fixture
def endpoint(team: Team, allow_private: SettingsWrapper, receiver_url: str) -> WebhookEndpoint:
    return endpoint_create(team=team, url=receiver_url, events={Event.Type.NEW_REFERRAL: True})


def record_sync(team: Team, email: str = "reader@example.com") -> WebhookDelivery:
    """A sync_subscriber event for `team`, expanded as the worker does; returns the (only)
    delivery it made."""
    event = event_record(
        team=team, type=Event.Type.SYNC_SUBSCRIBER, payload={"subscriber": {"email": email}}
    )
    expand_events()
    return WebhookDelivery.objects.get(event=event)


def run_callbacks(callbacks: list[Callable[[], Any]]) -> None:
    for callback in callbacks:
        callback()
