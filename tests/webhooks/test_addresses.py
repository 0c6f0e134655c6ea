"""The SSRF rules for webhook URLs: one normalisation, every address checked, no bypass form.

Names are answered by the test's fake resolver (`dns`), never by DNS or /etc/hosts.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from tests.webhooks.conftest import FakeDNS
from webhooks.addresses import (
    URL_INVALID,
    URL_NOT_HTTPS,
    URL_PRIVATE,
    HostUnresolvable,
    UnsafeUrl,
    address_allowed,
    target_resolve,
    url_check,
    url_parse,
)

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1::1"


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104
        "0.1.2.3",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fd00:ec2::254",
        "fec0::1",  # site-local: Python's ipaddress calls it global
        "ff02::1",
    ],
)
def test_it_refuses_non_public_addresses(ip: str) -> None:
    assert not address_allowed(ipaddress.ip_address(ip))


@pytest.mark.parametrize(
    ("form", "ip"),
    [
        ("IPv4-mapped", "::ffff:127.0.0.1"),
        ("IPv4-mapped, private", "::ffff:10.0.0.1"),
        ("IPv4-translated (SIIT)", "::ffff:0:7f00:1"),
        ("IPv4-compatible", "::127.0.0.1"),
        ("IPv4-compatible, public", f"::{PUBLIC_V4}"),
        ("6to4 of 127.0.0.1", "2002:7f00:1::"),
        ("6to4 of a public address", "2002:5db8:d822::1"),
        ("Teredo", "2001:0:4136:e378:8000:63bf:3fff:fdd2"),
        ("NAT64 of 127.0.0.1", "64:ff9b::7f00:1"),
        ("NAT64 of the metadata address", "64:ff9b::a9fe:a9fe"),
        ("NAT64 local use", "64:ff9b:1::5db8:d822"),
        ("ISATAP of 10.0.0.1", "2001:db9::5efe:a00:1"),
        ("ISATAP, u bit, of 192.168.0.1", "2400:cb00::200:5efe:c0a8:1"),
    ],
)
def test_it_refuses_every_ipv6_form_that_embeds_ipv4(form: str, ip: str) -> None:
    assert not address_allowed(ipaddress.ip_address(ip)), form


@pytest.mark.parametrize("ip", [PUBLIC_V4, PUBLIC_V6, "64:ff9b::5db8:d822"])
def test_it_allows_public_addresses_and_nat64_of_a_public_one(ip: str) -> None:
    assert address_allowed(ipaddress.ip_address(ip))


def test_the_setting_allows_loopback_and_private_but_never_metadata(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    assert address_allowed(ipaddress.ip_address("127.0.0.1"))
    assert address_allowed(ipaddress.ip_address("10.0.0.1"))
    assert address_allowed(ipaddress.ip_address("::1"))
    assert address_allowed(ipaddress.ip_address("::ffff:127.0.0.1"))
    assert not address_allowed(ipaddress.ip_address("169.254.169.254"))
    assert not address_allowed(ipaddress.ip_address("::ffff:169.254.169.254"))
    assert not address_allowed(ipaddress.ip_address("2002:a9fe:a9fe::"))


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://example.com/", URL_NOT_HTTPS),
        ("example.com/hook", URL_NOT_HTTPS),
        ("ftp://example.com/", URL_NOT_HTTPS),
        ("https://", URL_NOT_HTTPS),
        ("https://user:pw@example.com/", URL_INVALID),
        ("https://example.com:99999/", URL_INVALID),
        ("https://foo.localhost/", URL_PRIVATE),
        ("https://metadata.google.internal/", URL_PRIVATE),
        ("https://localhost./", URL_PRIVATE),
        ("https://LOCALHOST/", URL_PRIVATE),
        ("https://[::ffff:10.0.0.1]/", URL_PRIVATE),
        ("https://[2002:7f00:1::]/", URL_PRIVATE),
        ("https://[64:ff9b::7f00:1]/", URL_PRIVATE),
        ("https://[fe80::1%25eth0]/", URL_INVALID),
        ("https://exa mple.com/", URL_INVALID),
        ("https://example..com/", URL_INVALID),
        ("https://example.com\\@127.0.0.1/", URL_INVALID),
    ],
)
def test_it_refuses_bad_urls(url: str, error: str) -> None:
    with pytest.raises(UnsafeUrl) as exc:
        url_check(url)
    assert exc.value.message == error


class TestOneNormalisation:
    """The host is read once, the way it is connected to; a host that another parser would
    read differently is refused rather than guessed at."""

    def test_a_percent_encoded_host_is_refused_not_decoded(self, dns: FakeDNS) -> None:
        dns.add("127.attacker.example", ["127.0.0.1"])
        dns.add("%31%32%37.attacker.example", [PUBLIC_V4])

        for url in (
            "https://%31%32%37.attacker.example:8443/hook",
            "https://%6c%6f%63%61%6c%68%6f%73%74/",
        ):
            with pytest.raises(UnsafeUrl) as exc:
                url_check(url)
            assert exc.value.message == URL_INVALID
        assert dns.questions == []

    @pytest.mark.parametrize(
        "url",
        [
            "https://127.1/",
            "https://0x7f.0.0.1/",
            "https://0x7f000001/",
            "https://2130706433/",
            "https://0177.0.0.1/",
            # fullwidth digits and dots, which IDNA maps to ASCII ones
            "https://\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11/",
        ],
    )
    def test_every_numeric_form_of_an_ipv4_address_is_read_as_that_address(
        self, url: str, dns: FakeDNS
    ) -> None:
        assert url_parse(url).ip == ipaddress.IPv4Address("127.0.0.1")
        with pytest.raises(UnsafeUrl) as exc:
            url_check(url)
        assert exc.value.message == URL_PRIVATE
        assert dns.questions == []

    def test_a_unicode_host_is_asked_for_and_sent_as_its_idna_name(self, dns: FakeDNS) -> None:
        dns.add("xn--bcher-kva.example", ["127.0.0.1"])

        parsed = url_parse("https://Bücher.Example./hook?a=1")

        assert (parsed.host, parsed.port, parsed.target) == (
            "xn--bcher-kva.example",
            443,
            "/hook?a=1",
        )
        assert parsed.host_header == "xn--bcher-kva.example"
        with pytest.raises(UnsafeUrl):
            url_check("https://Bücher.Example./hook")
        assert dns.questions == ["xn--bcher-kva.example"]

    def test_a_trailing_dot_and_capitals_are_the_same_name(self, dns: FakeDNS) -> None:
        dns.add("hooks.example.com", [PUBLIC_V4])

        target = target_resolve("https://HOOKS.example.com.:8443/h")

        assert dns.questions == ["hooks.example.com"]
        assert (str(target.ip), target.url.host_header) == (PUBLIC_V4, "hooks.example.com:8443")
        assert not target.is_private


class TestResolution:
    def test_a_name_is_refused_if_any_of_its_addresses_is_private(self, dns: FakeDNS) -> None:
        dns.add("mixed.example.com", [PUBLIC_V4, "10.0.0.7"])

        with pytest.raises(UnsafeUrl) as exc:
            url_check("https://mixed.example.com/h")
        assert exc.value.message == URL_PRIVATE

    @pytest.mark.parametrize(
        "address", ["::ffff:127.0.0.1", "2002:7f00:1::", "64:ff9b::7f00:1", "::127.0.0.1"]
    )
    def test_a_name_resolving_to_an_ipv6_form_of_loopback_is_refused(
        self, dns: FakeDNS, address: str
    ) -> None:
        dns.add("sneaky.example.com", [address])

        with pytest.raises(UnsafeUrl):
            target_resolve("https://sneaky.example.com/h")

    def test_an_unresolvable_name_is_accepted_when_saved_and_not_when_sent(self) -> None:
        url_check("https://does-not-exist.example/h")
        with pytest.raises(HostUnresolvable):
            target_resolve("https://does-not-exist.example/h")

    def test_the_send_time_check_asks_once_and_pins_the_checked_address(self, dns: FakeDNS) -> None:
        dns.add("rebind.example.com", [PUBLIC_V4], ["127.0.0.1"])

        target = target_resolve("https://rebind.example.com/h")

        assert str(target.ip) == PUBLIC_V4
        assert dns.questions == ["rebind.example.com"]

    def test_a_rebinding_answer_is_refused_at_the_next_check(self, dns: FakeDNS) -> None:
        dns.add("rebind.example.com", [PUBLIC_V4], ["127.0.0.1"])

        url_check("https://rebind.example.com/h")  # saved: public
        with pytest.raises(UnsafeUrl):
            target_resolve("https://rebind.example.com/h")  # sent: loopback now


class TestPlainHttp:
    """`WEBHOOK_ALLOW_PRIVATE_URLS` allows http:// to loopback and private targets only."""

    @pytest.fixture(autouse=True)
    def _allow(self, settings: Any) -> None:
        settings.WEBHOOK_ALLOW_PRIVATE_URLS = True

    def test_http_to_a_public_host_is_refused(self, dns: FakeDNS) -> None:
        dns.add("example.com", [PUBLIC_V4])

        for url in ("http://example.com/hook", f"http://{PUBLIC_V4}/hook"):
            with pytest.raises(UnsafeUrl) as exc:
                url_check(url)
            assert exc.value.message == URL_NOT_HTTPS

    def test_http_to_a_name_that_does_not_resolve_is_refused(self) -> None:
        with pytest.raises(UnsafeUrl) as exc:
            url_check("http://example.com/hook")
        assert exc.value.message == URL_NOT_HTTPS

    def test_http_to_loopback_or_a_private_name_is_allowed(self, dns: FakeDNS) -> None:
        dns.add("receiver.lan", ["192.168.1.20"])

        url_check("http://127.0.0.1:8000/h")
        url_check("http://[::1]:8000/h")
        assert str(target_resolve("http://receiver.lan/h").ip) == "192.168.1.20"

    def test_http_is_refused_when_sent_if_the_name_now_resolves_public(self, dns: FakeDNS) -> None:
        dns.add("receiver.lan", ["192.168.1.20"], [PUBLIC_V4])
        url_check("http://receiver.lan/h")

        with pytest.raises(UnsafeUrl) as exc:
            target_resolve("http://receiver.lan/h")
        assert exc.value.message == URL_NOT_HTTPS
