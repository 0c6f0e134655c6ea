"""`manage.py export_subscribers --team NAME [--format csv|jsonl] [--output FILE]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from sparkloop.models import Team
from subscribers.selectors import subscriber_list, subscriber_list_total
from subscribers.transfer.exports import CHUNK_ROWS, FORMATS, export_chunks


class Command(BaseCommand):
    help = "Export a team's subscribers as CSV or JSON Lines (to a file, or to stdout)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", required=True, help="Team name")
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument("--type", choices=["all", "referrals", "advocates"], default="all")
        parser.add_argument("--output", "-o", help="A file (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        team = Team.objects.filter(name=options["team"]).first()
        if team is None:
            raise CommandError(f"No team named {options['team']!r}")
        queryset = subscriber_list(team=team, type=options["type"])
        total = subscriber_list_total(team=team, type=options["type"])
        output = options["output"]
        out = open(output, "w", encoding="utf-8", newline="") if output else None  # noqa: SIM115
        try:
            with Progress(
                TextColumn("[bold]export"),
                BarColumn(),
                MofNCompleteColumn(),
                disable=not (output and self.stderr.isatty()),
            ) as bar:
                task = bar.add_task("export", total=total)
                for chunk in export_chunks(queryset, options["format"]):
                    if out is None:
                        self.stdout.write(chunk, ending="")
                    else:
                        out.write(chunk)
                    bar.advance(task, CHUNK_ROWS)
        finally:
            if out is not None:
                out.close()
        if output:
            self.stderr.write(f"Exported {total} subscribers of {team.name!r} to {output}")
