"""An import of subscribers from a CSV file, and the rows of it that failed."""

from __future__ import annotations

from django.db import models

from sparkloop.ids import make_public_id
from sparkloop.models import Team


def new_import_id() -> str:
    return make_public_id("import_")


class SubscriberImport(models.Model):
    """One CSV file being (or having been) imported into a team, with its counts.

    `checkpoint_rows` is how many data rows of the file are done: it moves in the same
    transaction as the rows of each chunk, so a worker killed mid-import resumes after the
    last committed chunk and writes no row twice. `run_token` is the running worker's claim.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"

    class OnConflict(models.TextChoices):
        SKIP = "skip"
        UPDATE = "update"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=32, unique=True, default=new_import_id)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    file_name = models.CharField(max_length=255)
    # Where the upload is kept (under VAR_DIR/imports) until the import is over.
    file_path = models.CharField(max_length=1024)
    on_conflict = models.CharField(
        max_length=8, choices=OnConflict.choices, default=OnConflict.SKIP
    )
    send_webhooks = models.BooleanField(default=False)
    # The campaign every row joins (its public id, checked when the import is created), or "".
    campaign_uuid = models.CharField(max_length=32, blank=True, default="")
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    processed_rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=1000, null=True, blank=True)
    checkpoint_rows = models.PositiveIntegerField(default=0)
    run_token = models.CharField(max_length=32, blank=True, default="")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                "team",
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="import_team_created_idx",
            ),
            models.Index(fields=["status", "heartbeat_at"], name="import_status_heartbeat_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.file_name})"


class SubscriberImportFailure(models.Model):
    """A row of an import that was not written, with the API's error sentence for it."""

    subscriber_import = models.ForeignKey(
        SubscriberImport, on_delete=models.CASCADE, related_name="failures"
    )
    row = models.PositiveIntegerField()
    email = models.CharField(max_length=1024, blank=True, default="")
    error = models.CharField(max_length=1000)

    class Meta:
        indexes = [models.Index(fields=["subscriber_import", "row"], name="import_failure_row_idx")]

    def __str__(self) -> str:
        return f"row {self.row}: {self.error}"
