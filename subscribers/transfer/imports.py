"""Imports: a CSV file streamed into a team in chunks, each chunk one transaction.

A chunk goes through the batch write path (`subscribers.batch.services`), so every row is
validated, attributed and announced as a single create would be, with the same error
sentences. The import's counts and its checkpoint (data rows done) move in the chunk's
transaction, under the running worker's claim (`run_token`): a worker killed mid-import
leaves the last committed chunk as the checkpoint, and the next run starts after it, so no
row is written twice. A run works for at most IMPORT_TASK_SECONDS, then hands over to a
fresh task (the global Celery time limits hold); a run that died is resumed by the sweep.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import IO, Any, cast

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from sparkloop.exceptions import NotFound, ServiceError
from sparkloop.models import Team
from subscribers.batch.serializers import (
    ItemError,
    SubscriberBatchCreateItemSerializer,
    items_validate,
)
from subscribers.batch.services import subscribers_create_many
from subscribers.models import Subscriber
from subscribers.selectors import subscriber_lookup
from subscribers.services import EMAIL_TAKEN, REF_CODE_TAKEN, subscriber_update
from subscribers.signals import campaign_resolve, subscribers_campaign_add
from subscribers.transfer.imports_pg import import_chunk_fast
from subscribers.transfer.models import SubscriberImport, SubscriberImportFailure

FILE_BLANK = "File can't be blank"
FILE_NOT_CSV = "File must be a CSV with an email column"
FILE_TOO_LARGE = "File is too large"
FILE_UNREADABLE = "Line {line}: the file is not UTF-8 CSV"
CAMPAIGN_NOT_FOUND = "Campaign {identifier} not found!"
ORIGIN_IMPORT = "import"
RUN_TASK = "subscribers.transfer.tasks.subscriber_import_run_task"
COLUMNS = (
    "email",
    "name",
    "ref_code",
    "referrer_code",
    "ip_address",
    "user_agent",
    "utm_source",
    "utm_campaign",
    "country_code",
    "created_at",
    "status",
)
_GZIP_MAGIC = b"\x1f\x8b"


def import_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def import_file_open(path: str | Path) -> IO[str]:
    """The file as text (UTF-8, a BOM dropped), gunzipped if it is gzip, streamed."""
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == _GZIP_MAGIC
    raw = gzip.GzipFile(path, "rb") if gzipped else open(path, "rb")  # noqa: SIM115
    return io.TextIOWrapper(cast(IO[bytes], raw), encoding="utf-8-sig", newline="")


def _header(reader: Iterator[list[str]]) -> dict[str, int]:
    """Known column name -> its position (names trimmed, any case; others ignored)."""
    names = [name.strip().lower() for name in next(reader, [])]
    return {name: names.index(name) for name in COLUMNS if name in names}


def import_file_check(path: Path) -> None:
    """Raise ServiceError(FILE_NOT_CSV) unless the file starts with a CSV header naming
    `email`."""
    try:
        with import_file_open(path) as text:
            columns = _header(csv.reader(text))
    except (UnicodeDecodeError, csv.Error, OSError, EOFError):
        raise ServiceError(FILE_NOT_CSV) from None
    if "email" not in columns:
        raise ServiceError(FILE_NOT_CSV)


def import_campaign_resolve(*, team: Team, identifier: str) -> str:
    """The public id of the team's campaign `identifier` (asked of the app that owns
    campaigns, `subscribers.signals.campaign_resolve`); NotFound(CAMPAIGN_NOT_FOUND) for an
    unknown one or another team's."""
    for _, found in campaign_resolve.send(sender=Subscriber, team=team, identifier=identifier):
        if found:
            return str(found)
    raise NotFound(CAMPAIGN_NOT_FOUND.format(identifier=identifier))


def subscriber_import_create(
    *,
    team: Team,
    file: Any,
    file_name: str,
    size: int,
    on_conflict: str = SubscriberImport.OnConflict.SKIP,
    send_webhooks: bool = False,
    campaign_uuid: str = "",
    publish: bool = True,
) -> SubscriberImport:
    """Keep the uploaded file (`file`: chunks() or read()) and queue its import.

    With `campaign_uuid`, every row that names a subscriber (created, updated or skipped as
    an existing email) also joins that campaign of the team. With `publish` False no task
    is published (the caller runs the import itself; the sweep would still start it if the
    caller never did).
    Raises NotFound(CAMPAIGN_NOT_FOUND) for a campaign the team does not have,
    ServiceError(FILE_TOO_LARGE) over IMPORT_MAX_BYTES, (FILE_NOT_CSV) for a file that is
    not CSV with an `email` column. The task is published when the row commits.
    """
    campaign = import_campaign_resolve(team=team, identifier=campaign_uuid) if campaign_uuid else ""
    if size > int(settings.IMPORT_MAX_BYTES):
        raise ServiceError(FILE_TOO_LARGE)
    subscriber_import = SubscriberImport(
        team=team,
        file_name=file_name[:255],
        on_conflict=on_conflict,
        send_webhooks=send_webhooks,
        campaign_uuid=campaign,
    )
    path = import_dir() / f"{subscriber_import.public_id}.csv"
    with open(path, "wb") as out:
        chunks = file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(1 << 20), b"")
        for chunk in chunks:
            out.write(chunk)
    try:
        import_file_check(path)
    except ServiceError:
        path.unlink(missing_ok=True)
        raise
    subscriber_import.file_path = str(path)
    with transaction.atomic():
        subscriber_import.save()
        if publish:
            transaction.on_commit(_publisher(subscriber_import.pk))
    return subscriber_import


def _publisher(import_id: int) -> Callable[[], None]:
    """The task, published by name (this module is imported by the tasks module)."""

    def publish() -> None:
        current_app.send_task(RUN_TASK, args=[import_id])

    return publish


def _claim(import_id: int) -> str | None:
    """Claim the import for this run (conditional UPDATE); its token, or None if it is done
    or another live run holds it."""
    now = timezone.now()
    stale = now - timedelta(seconds=int(settings.IMPORT_STALE_SECONDS))
    token = secrets.token_hex(16)
    claimable = Q(status=SubscriberImport.Status.QUEUED) | Q(
        Q(run_token="") | Q(heartbeat_at__lt=stale), status=SubscriberImport.Status.RUNNING
    )
    claimed = SubscriberImport.objects.filter(claimable, pk=import_id).update(
        status=SubscriberImport.Status.RUNNING, run_token=token, heartbeat_at=now
    )
    return token if claimed else None


def _count_rows(path: str) -> int:
    with import_file_open(path) as text:
        return sum(1 for _ in csv.reader(text)) - 1


def _row_data(row: list[str], columns: Mapping[str, int]) -> dict[str, str]:
    return {name: row[i] for name, i in columns.items() if i < len(row) and row[i] != ""}


def _conflict(subscriber_import: SubscriberImport, data: Mapping[str, Any]) -> str | None:
    """An existing email's row: skipped, or its name and status updated; an error or None."""
    if subscriber_import.on_conflict != SubscriberImport.OnConflict.UPDATE:
        return "skipped"
    fields = {k: v for k, v in data.items() if k == "name"}
    if data.get("status") in ("confirmed", "unsubscribed"):
        fields["status"] = data["status"]
    subscriber = subscriber_lookup(team=subscriber_import.team, identifier=data["email"])
    if subscriber is None or not fields:
        return "skipped"
    try:
        with transaction.atomic():
            subscriber_update(subscriber=subscriber, **fields)
    except ServiceError as error:
        return error.message
    return "updated"


def _chunk_write(
    subscriber_import: SubscriberImport, token: str, rows: list[tuple[int, dict[str, str]]]
) -> bool:
    """Write one chunk and move the checkpoint past it, in one transaction; False if the
    claim was lost (another run took over: nothing of this chunk is kept).

    On PostgreSQL the chunk's plain new rows go in set-based (`imports_pg`); the others,
    and every row elsewhere, through the batch write path, in file order."""
    counts = {"created": 0, "updated": 0, "skipped": 0}
    failures: list[SubscriberImportFailure] = []
    existing: list[str] = []  # the emails of rows that named a subscriber the team had

    def tally(row: tuple[int, dict[str, str]], outcome: str | None) -> None:
        if outcome in counts:
            counts[str(outcome)] += 1
            existing.append(row[1]["email"])
        else:
            failures.append(_failure(subscriber_import, row, str(outcome)))

    with transaction.atomic():
        rest = rows
        if connection.vendor == "postgresql" and settings.IMPORT_SET_BASED:
            fast = import_chunk_fast(
                team=subscriber_import.team,
                rows=rows,
                origin=ORIGIN_IMPORT,
                send_webhooks=subscriber_import.send_webhooks,
                campaign=subscriber_import.campaign_uuid,
            )
            counts["created"] += fast.created
            for pos in fast.taken:
                tally(rows[pos], _conflict(subscriber_import, rows[pos][1]))
            for pos in fast.code_taken:
                tally(rows[pos], REF_CODE_TAKEN)
            rest = [rows[pos] for pos in fast.rest]
        _rows_write(subscriber_import, rest, counts, tally)
        if subscriber_import.campaign_uuid and existing:
            _campaign_add(subscriber_import, existing)
        SubscriberImportFailure.objects.bulk_create(failures)
        moved = SubscriberImport.objects.filter(pk=subscriber_import.pk, run_token=token).update(
            processed_rows=F("processed_rows") + len(rows),
            checkpoint_rows=F("checkpoint_rows") + len(rows),
            created=F("created") + counts["created"],
            updated=F("updated") + counts["updated"],
            skipped=F("skipped") + counts["skipped"],
            failed=F("failed") + len(failures),
            heartbeat_at=timezone.now(),
        )
        if not moved:
            transaction.set_rollback(True)
    return bool(moved)


def _rows_write(
    subscriber_import: SubscriberImport,
    rows: list[tuple[int, dict[str, str]]],
    counts: dict[str, int],
    tally: Callable[[tuple[int, dict[str, str]], str | None], None],
) -> None:
    """Rows through the API's validation and the batch write path, in order (the created
    ones join the import's campaign, if any, through the batch's announcement)."""
    if not rows:
        return
    parsed = items_validate(SubscriberBatchCreateItemSerializer, [data for _, data in rows])
    valid = [(i, p) for i, p in enumerate(parsed) if not isinstance(p, ItemError)]
    for i, p in enumerate(parsed):
        if isinstance(p, ItemError):
            tally(rows[i], str(p))
    results = subscribers_create_many(
        team=subscriber_import.team,
        items=[p for _, p in valid],
        origin=ORIGIN_IMPORT,
        send_webhooks=subscriber_import.send_webhooks,
        campaign=subscriber_import.campaign_uuid,
    )
    for result in results:
        position = valid[result.index][0]
        if result.status == 201:
            counts["created"] += 1
            continue
        outcome = result.error
        if result.error == EMAIL_TAKEN:
            outcome = _conflict(subscriber_import, rows[position][1])
        tally(rows[position], outcome)


def _campaign_add(subscriber_import: SubscriberImport, emails: list[str]) -> None:
    """The existing subscribers the chunk's rows named (skipped or updated) join the
    import's campaign, after its rows, in its transaction (`subscribers_campaign_add`);
    the created ones joined as they were announced."""
    keys = {email.strip().lower() for email in emails if "\x00" not in email}
    ids = list(
        Subscriber.objects.filter(
            team=subscriber_import.team, email_normalized__in=keys
        ).values_list("pk", flat=True)
    )
    if ids:
        subscribers_campaign_add.send(
            sender=Subscriber,
            team=subscriber_import.team,
            campaign=subscriber_import.campaign_uuid,
            subscriber_ids=ids,
        )


def _failure(
    subscriber_import: SubscriberImport, row: tuple[int, dict[str, str]], error: str
) -> SubscriberImportFailure:
    return SubscriberImportFailure(
        subscriber_import=subscriber_import,
        row=row[0],
        email=row[1].get("email", "")[:1024],
        error=error[:1000],
    )


def _rows(text: IO[str], skip: int) -> tuple[dict[str, int], Iterator[tuple[int, dict[str, str]]]]:
    reader = csv.reader(text)
    columns = _header(reader)
    for _ in itertools.islice(reader, skip):
        pass

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for row in reader:
            yield reader.line_num, _row_data(row, columns)

    return columns, rows()


def subscriber_import_run(
    *,
    import_id: int,
    seconds: float | None = None,
    max_chunks: int | None = None,
    progress: Callable[[SubscriberImport], None] | None = None,
) -> str | None:
    """Run (or resume) an import from its checkpoint. Idempotent.

    Works for at most `seconds` (None: to the end) or `max_chunks` chunks, then hands the
    import back unclaimed and returns "again" (the caller runs it again); returns the final
    status when it ends, None if it was not claimable (done, or held by a live run).
    """
    token = _claim(import_id)
    if token is None:
        return None
    subscriber_import = SubscriberImport.objects.select_related("team").get(pk=import_id)
    started = time.monotonic()
    size = int(settings.IMPORT_CHUNK_ROWS)
    try:
        if subscriber_import.total_rows is None:
            total = _count_rows(subscriber_import.file_path)
            SubscriberImport.objects.filter(pk=import_id).update(total_rows=total)
        with import_file_open(subscriber_import.file_path) as text:
            _, rows = _rows(text, subscriber_import.checkpoint_rows)
            for done, chunk in enumerate(iter(lambda: list(itertools.islice(rows, size)), [])):
                if not _chunk_write(subscriber_import, token, chunk):
                    return None
                if progress is not None:
                    subscriber_import.refresh_from_db()
                    progress(subscriber_import)
                out_of_time = seconds is not None and time.monotonic() - started > seconds
                if out_of_time or (max_chunks is not None and done + 1 >= max_chunks):
                    SubscriberImport.objects.filter(pk=import_id, run_token=token).update(
                        run_token=""
                    )
                    return "again"
    except (UnicodeDecodeError, csv.Error) as error:
        return _end(import_id, token, SubscriberImport.Status.FAILED, _unreadable(error))
    except FileNotFoundError:
        return _end(import_id, token, SubscriberImport.Status.FAILED, "The file is gone")
    except NotFound as error:  # the import's campaign was deleted since
        return _end(import_id, token, SubscriberImport.Status.FAILED, error.message)
    return _end(import_id, token, SubscriberImport.Status.COMPLETED, None)


def _unreadable(error: Exception) -> str:
    return f"The file is not UTF-8 CSV ({error.__class__.__name__})"


def _end(import_id: int, token: str, status: str, error: str | None) -> str | None:
    ended = SubscriberImport.objects.filter(pk=import_id, run_token=token).update(
        status=status, error=error, finished_at=timezone.now(), run_token=""
    )
    if not ended:
        return None
    path = SubscriberImport.objects.filter(pk=import_id).values_list("file_path", flat=True)[0]
    Path(path).unlink(missing_ok=True)
    return status


def subscriber_import_sweep() -> list[int]:
    """Imports to (re)start: queued ones whose task message was lost, running ones whose
    worker died (no heartbeat for IMPORT_STALE_SECONDS). The beat job enqueues them."""
    stale = timezone.now() - timedelta(seconds=int(settings.IMPORT_STALE_SECONDS))
    return list(
        SubscriberImport.objects.filter(
            Q(status=SubscriberImport.Status.QUEUED, created_at__lt=stale)
            | Q(status=SubscriberImport.Status.RUNNING, heartbeat_at__lt=stale)
            | Q(status=SubscriberImport.Status.RUNNING, run_token="")
        ).values_list("pk", flat=True)[:100]
    )
