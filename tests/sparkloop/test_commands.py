"""Management commands that scripts depend on."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from sparkloop.models import ApiKey, Team, hash_api_key

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_create_api_key_prints_a_working_key_alone_on_the_last_line() -> None:
    raw = run("create_api_key", "--team", "Acme").strip().splitlines()[-1]

    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    assert client.get("/v2/subscribers").status_code == 200
    key = ApiKey.objects.get(team__name="Acme")
    assert key.key_hash == hash_api_key(raw)
    assert raw.startswith(key.prefix)


def test_create_api_key_reuses_an_existing_team_and_sets_a_tier() -> None:
    run("create_api_key", "--team", "Acme")
    run("create_api_key", "--team", "Acme", "--tier", "partner")
    team = Team.objects.get(name="Acme")
    assert team.api_keys.count() == 2
    assert team.rate_limit_tier == "partner"


def test_demo_setup_keeps_printing_the_same_working_key(settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path
    first = run("demo_setup")
    second = run("demo_setup")
    raw = (tmp_path / "demo-api-key").read_text().strip()
    assert raw in first
    assert raw in second
    assert ApiKey.objects.filter(team__name="demo").count() == 1
