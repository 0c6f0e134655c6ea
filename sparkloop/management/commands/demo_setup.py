"""`manage.py demo_setup`: the demo team and a working key for `make run` (kept across runs)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from sparkloop.models import ApiKey, hash_api_key
from sparkloop.services import api_key_create, team_get_or_create

DEMO_TEAM = "demo"


class Command(BaseCommand):
    help = "Create the demo team and API key on first start and print how to call the API."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args: Any, **options: Any) -> None:
        key_file = settings.VAR_DIR / "demo-api-key"
        team, _ = team_get_or_create(name=DEMO_TEAM)
        raw = key_file.read_text().strip() if key_file.exists() else ""
        known = ApiKey.objects.filter(
            team=team, key_hash=hash_api_key(raw), revoked_at__isnull=True
        ).exists()
        if not raw or not known:
            _, raw = api_key_create(team=team, name="demo")
            key_file.write_text(raw + "\n")
            key_file.chmod(0o600)
        base = f"http://{options['host']}:{options['port']}"
        self.stdout.write(
            f"\nDemo team: {team.name}\nAPI key:   {raw}\n\nTry it:\n"
            f"  curl -s -X POST {base}/v2/subscribers -H 'X-Api-Key: {raw}' "
            "-H 'Content-Type: application/json' -d '{\"email\": \"reader@example.com\"}'\n"
            f"  curl -s {base}/v2/subscribers -H 'X-Api-Key: {raw}'\n"
        )
