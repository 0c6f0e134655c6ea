"""`manage.py demo_setup` (what `make run` prints): everything it prints really works."""

from __future__ import annotations

import json
import re
import shlex
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper
from rest_framework.test import APIClient

from sparkloop.models import ApiKey
from subscribers.models import Subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def var_dir(settings: SettingsWrapper, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    return tmp_path


def demo_setup() -> str:
    out = StringIO()
    call_command("demo_setup", "--port", "8123", stdout=out)
    return out.getvalue()


def field(output: str, label: str) -> str:
    match = re.search(rf"^{label}:\s+(.+)$", output, re.MULTILINE)
    assert match, output
    return match[1]


def curls(output: str) -> list[list[str]]:
    return [shlex.split(line) for line in output.splitlines() if line.strip().startswith("curl")]


def test_it_prints_the_key_urls_and_a_staff_login(var_dir: Path) -> None:
    output = demo_setup()

    key = field(output, "API key")
    assert ApiKey.objects.get(team__name="demo").prefix == key[:8]
    assert "http://127.0.0.1:8123/v2/docs" in field(output, "API docs")
    admin = field(output, "Admin")
    assert admin.startswith("http://127.0.0.1:8123/admin/   login demo, password ")
    password = admin.rsplit(" ", 1)[1]
    assert (var_dir / "demo-admin-password").read_text().strip() == password
    assert oct((var_dir / "demo-admin-password").stat().st_mode)[-3:] == "600"
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": "demo", "password": password})
    assert response.status_code == 302, response.content
    assert client.get("/admin/").status_code == 200


def test_the_curl_examples_work_with_the_demo_subscribers_ref_code(var_dir: Path) -> None:
    output = demo_setup()
    reader = Subscriber.objects.get(team__name="demo")
    assert f"ref_code {reader.ref_code}" in field(output, "Subscriber")

    create, read = curls(output)
    client = APIClient()
    headers = dict(create[i + 1].split(": ", 1) for i, arg in enumerate(create) if arg == "-H")
    body = json.loads(create[create.index("-d") + 1])
    response = client.post(
        create[create.index("-X") + 2].removeprefix("http://127.0.0.1:8123"),
        data=json.dumps(body),
        content_type=headers["Content-Type"],
        HTTP_X_API_KEY=headers["X-Api-Key"],
    )
    assert response.status_code == 201, response.content
    assert response.json()["subscriber"]["referrer_code"] == reader.ref_code

    key = read[read.index("-H") + 1].split(": ", 1)[1]
    response = client.get(read[2].removeprefix("http://127.0.0.1:8123"), HTTP_X_API_KEY=key)
    assert response.status_code == 200
    assert response.json()["subscriber"]["email"] == "reader@example.com"


def test_a_second_run_keeps_the_key_subscriber_and_password(var_dir: Path) -> None:
    first = demo_setup()
    second = demo_setup()

    for label in ("API key", "Subscriber", "Admin"):
        assert field(first, label) == field(second, label)
    assert ApiKey.objects.filter(team__name="demo").count() == 1
    assert Subscriber.objects.filter(team__name="demo").count() == 1


def test_a_changed_password_is_not_printed(var_dir: Path) -> None:
    demo_setup()
    user = User.objects.get(username="demo")
    user.set_password("mine-now-123")
    user.save()

    admin = field(demo_setup(), "Admin")

    assert "changepassword demo" in admin
    assert (var_dir / "demo-admin-password").read_text().strip() not in admin
