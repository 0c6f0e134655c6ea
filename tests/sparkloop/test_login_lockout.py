"""Logins lock out after too many failures, per address and per account (django-axes)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from tests.oauth.helpers import PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = 3


@pytest.fixture(autouse=True)
def _low_limit(settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff() -> User:
    return User.objects.create_user(
        username="staff", password=PASSWORD, is_staff=True, is_superuser=True
    )


def log_in(path: str, username: str, password: str, address: str = "198.51.100.1") -> Any:
    return Client(REMOTE_ADDR=address).post(path, {"username": username, "password": password})


@pytest.mark.parametrize("path", ["/admin/login/", "/oauth/login/"])
class TestLoginLockout:
    def test_the_right_password_works_before_the_limit(self, staff: User, path: str) -> None:
        for _ in range(LIMIT - 1):
            assert log_in(path, "staff", "wrong").status_code == 200  # the form, with an error

        assert log_in(path, "staff", PASSWORD).status_code == 302

    def test_the_failure_that_reaches_the_limit_is_already_refused(
        self, staff: User, path: str
    ) -> None:
        for _ in range(LIMIT - 1):
            log_in(path, "staff", "wrong")

        assert log_in(path, "staff", "wrong").status_code == 429

    def test_the_right_password_is_refused_once_locked_out(self, staff: User, path: str) -> None:
        for _ in range(LIMIT):
            log_in(path, "staff", "wrong")

        response = log_in(path, "staff", PASSWORD)

        assert response.status_code == 429
        assert response["Retry-After"] == "900"
        assert "Too many failed attempts" in response.content.decode()

    def test_the_account_is_locked_from_every_address(self, staff: User, path: str) -> None:
        for n in range(LIMIT):
            log_in(path, "staff", "wrong", address=f"198.51.100.{n + 10}")

        assert log_in(path, "staff", PASSWORD, address="203.0.113.5").status_code == 429

    def test_the_address_is_locked_for_every_account(self, staff: User, path: str) -> None:
        User.objects.create_user(username="other", password=PASSWORD, is_staff=True)
        for n in range(LIMIT):
            log_in(path, f"guess{n}", "wrong")

        assert log_in(path, "other", PASSWORD).status_code == 429
        assert log_in(path, "other", PASSWORD, address="203.0.113.5").status_code == 302

    def test_staff_unlock_an_account(self, staff: User, path: str) -> None:
        for _ in range(LIMIT):
            log_in(path, "staff", "wrong")

        call_command("axes_reset_username", "staff")
        call_command("axes_reset_ip", "198.51.100.1")

        assert log_in(path, "staff", PASSWORD).status_code == 302
