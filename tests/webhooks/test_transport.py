"""The pinned POST: the connection goes to the address that was checked, while the Host
header, TLS SNI and the certificate check use the URL's name. Receivers run on 127.0.0.1;
names are answered by the test's fake resolver only (a name the system cannot resolve, so a
request that reaches the receiver was sent to the pinned address)."""

from __future__ import annotations

import ipaddress
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import trustme
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_httpserver import HTTPServer

from sparkloop.models import Team
from tests.webhooks.conftest import FakeDNS, record_sync, verify_signature
from webhooks.addresses import Target, url_parse
from webhooks.models import DeliveryAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_create
from webhooks.services.transport import CONNECTION_FAILED, failure_result
from webhooks.tasks import webhook_delivery_send_task

pytestmark = pytest.mark.django_db

NAME = "hooks.example.test"
PUBLIC = ipaddress.ip_address("93.184.216.34")
Outcome = DeliveryAttempt.Outcome


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


class TlsReceiver:
    def __init__(self, ca: trustme.CA, name: str) -> None:
        self.server_names: list[str | None] = []
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(name).configure_cert(context)
        context.sni_callback = lambda sock, server_name, ctx: self.server_names.append(server_name)
        self.server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)


@pytest.fixture
def ca_bundle(ca: trustme.CA, settings: SettingsWrapper, tmp_path: Path) -> Path:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    settings.WEBHOOK_CA_BUNDLE = str(bundle)
    return bundle


def _tls_receiver(ca: trustme.CA, name: str) -> Iterator[TlsReceiver]:
    receiver = TlsReceiver(ca, name)
    receiver.server.start()
    receiver.server.expect_request("/hook").respond_with_data("")
    yield receiver
    receiver.server.clear()
    receiver.server.stop()


@pytest.fixture
def tls_receiver(ca: trustme.CA, ca_bundle: Path) -> Iterator[TlsReceiver]:
    yield from _tls_receiver(ca, NAME)


@pytest.fixture
def impostor(ca: trustme.CA, ca_bundle: Path) -> Iterator[TlsReceiver]:
    """A receiver whose (valid) certificate is for another name."""
    yield from _tls_receiver(ca, "other.example.test")


def _endpoint(team: Team, port: int) -> WebhookEndpoint:
    return endpoint_create(team=team, url=f"https://{NAME}:{port}/hook")


def test_it_connects_to_the_checked_address_with_the_names_host_sni_and_certificate(
    team: Team, allow_private: SettingsWrapper, dns: FakeDNS, tls_receiver: TlsReceiver
) -> None:
    dns.add(NAME, ["127.0.0.1"])
    endpoint = _endpoint(team, tls_receiver.server.port)
    dns.questions.clear()
    delivery = record_sync(team)

    webhook_delivery_send_task(delivery.pk)

    [(request, _)] = tls_receiver.server.log
    assert request.headers["Host"] == f"{NAME}:{tls_receiver.server.port}"
    assert tls_receiver.server_names == [NAME]
    assert verify_signature(secret=endpoint.secret, headers=request.headers, body=request.data)
    assert dns.questions == [NAME]  # once for the attempt; nothing else resolved it
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED


def test_a_certificate_for_another_name_is_refused(
    team: Team, allow_private: SettingsWrapper, dns: FakeDNS, impostor: TlsReceiver
) -> None:
    dns.add(NAME, ["127.0.0.1"])
    _endpoint(team, impostor.server.port)
    delivery = record_sync(team)

    webhook_delivery_send_task(delivery.pk)

    assert impostor.server.log == []
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert (attempt.outcome, attempt.error) == (Outcome.CONNECTION_ERROR, CONNECTION_FAILED)


def test_a_dns_answer_that_flips_after_the_check_does_not_move_the_connection(
    team: Team, allow_private: SettingsWrapper, dns: FakeDNS, tls_receiver: TlsReceiver
) -> None:
    # Checked: 127.0.0.1 (allowed here). Asked again, the name would say the cloud metadata
    # address, which is never allowed: nothing asks again, the connection goes where checked.
    dns.add(NAME, ["127.0.0.1"])
    _endpoint(team, tls_receiver.server.port)
    dns.add(NAME, ["127.0.0.1"], ["169.254.169.254"])
    delivery = record_sync(team)

    webhook_delivery_send_task(delivery.pk)

    assert len(tls_receiver.server.log) == 1
    assert dns.questions[-1:] == [NAME]
    assert dns.records[NAME] == [["169.254.169.254"]]  # the flipped answer was never asked
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED


def test_a_name_that_resolves_to_loopback_when_sent_is_refused_in_production(
    team: Team, dns: FakeDNS, httpserver: HTTPServer
) -> None:
    dns.add(NAME, [str(PUBLIC)], ["127.0.0.1"])  # public when saved, loopback when sent
    endpoint_create(team=team, url=f"https://{NAME}:{httpserver.port}/hook")
    delivery = record_sync(team)

    webhook_delivery_send_task(delivery.pk)

    assert httpserver.log == []
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert attempt.outcome == Outcome.REFUSED
    assert attempt.error == "Url must not point to a private, loopback or link-local address"


def test_a_url_saved_before_the_check_was_strict_is_refused_when_sent(
    team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer, settings: SettingsWrapper
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        url=f"https://%31%32%37.0.0.1:{httpserver.port}/hook"
    )
    delivery = record_sync(team)

    webhook_delivery_send_task(delivery.pk)

    assert httpserver.log == []
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert (attempt.outcome, attempt.error) == (Outcome.REFUSED, "Url is invalid")


def test_an_answer_with_nul_bytes_is_recorded(
    team: Team, endpoint: WebhookEndpoint, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/hook").respond_with_data("bad\x00body", status=500)
    delivery = record_sync(team)

    webhook_delivery_send_task(delivery.pk)

    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert attempt.response_body == "bad\ufffdbody"


class TestFailureDetails:
    """A public receiver's failure is described by its kind, never by the exception's text;
    a private one's by "Connection failed" alone (no port scanner)."""

    def _refused(self) -> requests.RequestException:
        try:
            requests.post("http://127.0.0.1:9/", timeout=5)
        except requests.RequestException as exc:
            return exc
        raise AssertionError("port 9 answered")

    def test_a_public_receiver_refusing_the_connection(self) -> None:
        target = Target(url_parse("https://hooks.example.com/h"), PUBLIC)

        result = failure_result(self._refused(), target=target, timeout=15, start=time.monotonic())

        assert (result.outcome, result.error) == (
            Outcome.CONNECTION_ERROR,
            "Connection failed: connection refused",
        )
        assert result.duration_ms is not None

    def test_a_public_receiver_with_an_untrusted_certificate(
        self, tls_receiver: TlsReceiver, settings: SettingsWrapper
    ) -> None:
        try:
            requests.post(f"https://127.0.0.1:{tls_receiver.server.port}/hook", timeout=5)
        except requests.RequestException as exc:
            error = exc
        target = Target(url_parse("https://hooks.example.com/h"), PUBLIC)

        result = failure_result(error, target=target, timeout=15, start=time.monotonic())

        assert result.error == "Connection failed: TLS certificate verification failed"

    def test_a_public_receiver_timing_out(self) -> None:
        target = Target(url_parse("https://hooks.example.com/h"), PUBLIC)

        result = failure_result(
            requests.ReadTimeout(), target=target, timeout=15, start=time.monotonic()
        )

        assert (result.outcome, result.error) == (Outcome.TIMEOUT, "No answer within 15 s")

    def test_a_private_receiver_tells_nothing(self) -> None:
        target = Target(url_parse("https://10.0.0.8/h"), ipaddress.ip_address("10.0.0.8"))

        for exc in (self._refused(), requests.ReadTimeout()):
            result = failure_result(exc, target=target, timeout=15, start=time.monotonic())

            assert (result.outcome, result.error, result.duration_ms) == (
                Outcome.CONNECTION_ERROR,
                CONNECTION_FAILED,
                None,
            )
