"""`manage.py reencrypt_secrets`: re-encrypt every secret at rest with the newest key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sparkloop.encryption import reencrypt_all


class Command(BaseCommand):
    help = (
        "Encrypt every secret at rest (webhook signing secrets, teams' webhook tokens) again "
        "with the first key of FIELD_ENCRYPTION_KEY; then older keys can be removed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        for label, count in reencrypt_all(batch_size=batch_size).items():
            self.stdout.write(f"{label}: {count} row(s) re-encrypted")
