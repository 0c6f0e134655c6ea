"""Production settings: `check --deploy` is clean with the documented environment.

The environment is read from docs/security.md itself, so the documentation and the check
can't drift apart. Each run is a real `manage.py` process, settings loaded from scratch.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from tests.oauth.helpers import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "security.md"


def documented_production_environment() -> dict[str, str]:
    text = DOCS.read_text()
    block = text.split("<!-- production-environment -->", 1)[1].split("```bash", 1)[1]
    block = block.split("```", 1)[0]
    environment = {}
    for line in block.splitlines():
        match = re.match(r"^export (\w+)=(\S+)", line.strip())
        if match:
            environment[match[1]] = match[2]
    # The secret comes from a file in production; any long random value stands in for it.
    assert environment["SECRET_KEY"].startswith("$(")
    environment["SECRET_KEY"] = secrets.token_urlsafe(50)
    return environment


def manage(*args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE")
        and not key.startswith("SECURE_")
    }
    return subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_the_documented_production_environment() -> None:
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", **documented_production_environment()
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_refuses_to_start_with_the_built_in_secret_key_for_a_public_host() -> None:
    result = manage("check", ALLOWED_HOSTS="api.example.com")

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_check_deploy_reports_the_built_in_secret_key_on_a_local_host_too() -> None:
    result = manage("check", "--deploy")

    assert result.returncode != 0
    assert "sparkloop.E001" in result.stdout + result.stderr


@pytest.mark.django_db
class TestWithDebugOff:
    @pytest.mark.parametrize("path", ["/admin/login/", "/oauth/login/", "/v2/docs", "/v2/redoc"])
    def test_https_pages_carry_hsts_and_a_content_security_policy(self, path: str) -> None:
        response = Client().get(path, secure=True)

        assert response.status_code == 200
        assert response["Strict-Transport-Security"] == "max-age=31536000"
        policy = response["Content-Security-Policy"]
        assert "script-src 'self';" in policy + ";"
        assert "frame-ancestors 'none'" in policy

    def test_plain_http_pages_carry_no_hsts(self) -> None:
        assert "Strict-Transport-Security" not in Client().get("/admin/login/")

    def test_the_session_and_csrf_cookies_are_secure(self) -> None:
        User.objects.create_superuser(username="staff", password=PASSWORD)
        browser = Client(enforce_csrf_checks=True)
        page = browser.get("/admin/login/", secure=True)
        token = page.cookies["csrftoken"]

        response = browser.post(
            "/admin/login/",
            {"username": "staff", "password": PASSWORD, "csrfmiddlewaretoken": token.value},
            secure=True,
            HTTP_REFERER="https://testserver/admin/login/",
        )

        assert response.status_code == 302
        assert token["secure"] is True
        assert response.cookies["sessionid"]["secure"] is True
        assert settings.DEBUG is False
