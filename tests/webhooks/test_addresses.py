"""The SSRF rules for webhook URLs."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from webhooks.addresses import (
    URL_INVALID,
    URL_NOT_HTTPS,
    URL_PRIVATE,
    HostUnresolvable,
    UnsafeUrl,
    address_allowed,
    url_check,
)


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
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",
    ],
)
def test_it_refuses_non_public_addresses(ip: str) -> None:
    assert not address_allowed(ipaddress.ip_address(ip))


@pytest.mark.parametrize("ip", ["93.184.216.34", "2606:2800:220:1::1"])
def test_it_allows_public_addresses(ip: str) -> None:
    assert address_allowed(ipaddress.ip_address(ip))


def test_the_setting_allows_loopback_and_private_but_never_metadata(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    assert address_allowed(ipaddress.ip_address("127.0.0.1"))
    assert address_allowed(ipaddress.ip_address("10.0.0.1"))
    assert not address_allowed(ipaddress.ip_address("169.254.169.254"))


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://example.com/", URL_NOT_HTTPS),
        ("example.com/hook", URL_NOT_HTTPS),
        ("https://", URL_INVALID),
        ("https://user:pw@example.com/", URL_INVALID),
        ("https://example.com:99999/", URL_INVALID),
        ("https://foo.localhost/", URL_PRIVATE),
        ("https://metadata.google.internal/", URL_PRIVATE),
        ("https://[::ffff:10.0.0.1]/", URL_PRIVATE),
    ],
)
def test_it_refuses_bad_urls(url: str, error: str) -> None:
    with pytest.raises(UnsafeUrl) as exc:
        url_check(url, require_resolution=False)
    assert exc.value.message == error


def test_a_name_that_resolves_to_loopback_is_refused() -> None:
    with pytest.raises(UnsafeUrl):
        url_check("https://localhost.:8443/", require_resolution=False)


def test_an_unresolvable_name_is_accepted_when_saved_and_not_when_sent() -> None:
    url_check("https://does-not-exist.invalid/h", require_resolution=False)
    with pytest.raises(HostUnresolvable):
        url_check("https://does-not-exist.invalid/h", require_resolution=True)
