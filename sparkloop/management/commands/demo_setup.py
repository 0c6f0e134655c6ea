"""`manage.py demo_setup`: what `make run` prints before the processes start.

The demo team, a working API key, a demo subscriber (so that the example's `referrer_code` is
real) and a staff login `demo` for the admin, each made on the first start and kept across
runs: the key and the password are kept in `$VAR_DIR` (mode 600) and printed every time.
This command assembles a demo from every app, like `sparkloop.urls`, so it may import them.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from sparkloop.models import ApiKey, Team, hash_api_key
from sparkloop.services import api_key_create, staff_superuser_ensure, team_get_or_create
from subscribers.models import Subscriber
from subscribers.selectors import subscriber_lookup
from subscribers.services import subscriber_create

DEMO_TEAM = "demo"
DEMO_USER = "demo"
DEMO_EMAIL = "reader@example.com"


def _kept(path: Path) -> str:
    return path.read_text().strip() if path.exists() else ""


def _keep(path: Path, value: str) -> None:
    path.write_text(value + "\n")
    path.chmod(0o600)


def demo_key(team: Team) -> str:
    """The kept key if it still works, else a new one (kept from now on)."""
    key_file = settings.VAR_DIR / "demo-api-key"
    raw = _kept(key_file)
    if (
        raw
        and ApiKey.objects.filter(
            team=team, key_hash=hash_api_key(raw), revoked_at__isnull=True
        ).exists()
    ):
        return raw
    _, raw = api_key_create(team=team, name="demo")
    _keep(key_file, raw)
    return raw


def demo_subscriber(team: Team) -> Subscriber:
    found = subscriber_lookup(team=team, identifier=DEMO_EMAIL)
    if found is not None:
        return found
    return subscriber_create(
        team=team, email=DEMO_EMAIL, name="Demo Reader", status=Subscriber.Status.CONFIRMED
    )


def demo_login() -> str:
    """The demo staff password, or a sentence saying where it went."""
    password_file = settings.VAR_DIR / "demo-admin-password"
    password = _kept(password_file) or secrets.token_urlsafe(12)
    user, created = staff_superuser_ensure(username=DEMO_USER, password=password)
    if created:
        _keep(password_file, password)
        return password
    if password_file.exists() and user.check_password(password):
        return password
    return "(changed since it was made; to set one: manage.py changepassword demo)"


class Command(BaseCommand):
    help = "Create the demo team, key, subscriber and staff login; print how to use them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args: Any, **options: Any) -> None:
        team, _ = team_get_or_create(name=DEMO_TEAM)
        raw = demo_key(team)
        reader = demo_subscriber(team)
        password = demo_login()
        base = f"http://{options['host']}:{options['port']}"
        friend = f"friend-{int(time.time())}@example.com"
        self.stdout.write(
            "\n"
            f"Demo team:   {team.name}\n"
            f"API key:     {raw}\n"
            f"Subscriber:  {reader.email} ({reader.public_id}, ref_code {reader.ref_code})\n"
            f"API docs:    {base}/v2/docs   (Redoc: {base}/v2/redoc, schema: {base}/v2/schema)\n"
            f"Admin:       {base}/admin/   login {DEMO_USER}, password {password}\n"
            f"Health:      {base}/healthz, {base}/readyz\n"
            "\nTry it (a friend of the demo reader signs up, then the reader is read back):\n"
            f"  curl -s -X POST {base}/v2/subscribers -H 'X-Api-Key: {raw}' "
            "-H 'Content-Type: application/json' "
            f'-d \'{{"email": "{friend}", "referrer_code": "{reader.ref_code}"}}\'\n'
            f"  curl -s {base}/v2/subscribers/{reader.public_id} -H 'X-Api-Key: {raw}'\n"
        )
