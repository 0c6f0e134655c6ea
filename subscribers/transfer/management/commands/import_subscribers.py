"""`manage.py import_subscribers --team NAME [--campaign UUID] FILE`: an import run here,
with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sparkloop.exceptions import ServiceError
from sparkloop.models import Team
from subscribers.transfer.imports import subscriber_import_create, subscriber_import_run
from subscribers.transfer.models import SubscriberImport


def summary(subscriber_import: SubscriberImport) -> str:
    return (
        f"{subscriber_import.public_id} {subscriber_import.status}: "
        f"{subscriber_import.processed_rows} rows, {subscriber_import.created} created, "
        f"{subscriber_import.updated} updated, {subscriber_import.skipped} skipped, "
        f"{subscriber_import.failed} failed"
        + (f" ({subscriber_import.error})" if subscriber_import.error else "")
    )


class Command(BaseCommand):
    help = "Import subscribers from a CSV file (.csv or .csv.gz) into a team."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--team", required=True, help="Team name")
        parser.add_argument("--on-conflict", choices=["skip", "update"], default="skip")
        parser.add_argument("--send-webhooks", action="store_true")
        parser.add_argument(
            "--campaign", default="", metavar="UUID", help="Also add every row to this campaign"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        team = Team.objects.filter(name=options["team"]).first()
        if team is None:
            raise CommandError(f"No team named {options['team']!r}")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file {path}")
        try:
            with path.open("rb") as file:
                subscriber_import = subscriber_import_create(
                    team=team,
                    file=file,
                    file_name=path.name,
                    size=path.stat().st_size,
                    on_conflict=options["on_conflict"],
                    send_webhooks=options["send_webhooks"],
                    campaign_uuid=options["campaign"],
                    publish=False,  # run here, below
                )
        except ServiceError as error:
            raise CommandError(error.message) from None
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=None,
            transient=False,
            disable=not self.stderr.isatty(),
        ) as bar:
            task = bar.add_task(subscriber_import.public_id, total=None)

            def progress(current: SubscriberImport) -> None:
                bar.update(task, completed=current.processed_rows, total=current.total_rows)

            while (
                subscriber_import_run(import_id=subscriber_import.pk, progress=progress) == "again"
            ):  # pragma: no cover - no time budget here
                pass
        subscriber_import.refresh_from_db()
        self.stdout.write(summary(subscriber_import))
        if subscriber_import.status != SubscriberImport.Status.COMPLETED:
            raise CommandError(summary(subscriber_import))
