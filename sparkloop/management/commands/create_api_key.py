"""`manage.py create_api_key --team NAME`: the raw key alone on the last line of output."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sparkloop.models import Team
from sparkloop.services import api_key_create, team_get_or_create


class Command(BaseCommand):
    help = "Create an API key for a team (the team is created if it does not exist)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", required=True, help="Team name")
        parser.add_argument("--name", default="default", help="A label for the key")
        parser.add_argument(
            "--tier",
            choices=[c.value for c in Team.RateLimitTier],
            help="Set the team's rate-limit tier",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        team, created = team_get_or_create(name=options["team"])
        if options.get("tier") and team.rate_limit_tier != options["tier"]:
            Team.objects.filter(pk=team.pk).update(rate_limit_tier=options["tier"])
        key, raw = api_key_create(team=team, name=options["name"])
        verb = "Created" if created else "Using existing"
        self.stderr.write(f"{verb} team {team.name!r} ({team.public_id}); key prefix {key.prefix}")
        self.stdout.write(raw)
