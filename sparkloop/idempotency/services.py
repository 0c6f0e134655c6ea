"""Claiming, finishing and forgetting idempotency keys; the database is the arbiter.

A key is claimed by INSERTing its row (the unique constraint lets exactly one request of
any process win); the winner runs, then stores its answer in the row (or deletes the row
after a 5xx, so that the client may retry). A row left claimed by a process that died is
taken over after IDEMPOTENCY_LOCK_SECONDS, an expired one at once, each by a conditional
UPDATE whose token is the `locked_at` that was read, so two takers cannot both win.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from sparkloop.exceptions import ServiceError
from sparkloop.idempotency.models import IdempotencyKey

KEY_TOO_LONG = "Idempotency key is too long (maximum is 255)"
KEY_INVALID = "Idempotency key must be 1 to 255 printable characters"
KEY_REUSED = "Idempotency key reused with different parameters"
KEY_IN_PROGRESS = "A request with this idempotency key is in progress"
KEY_MAX_LENGTH = 255


class KeyReused(ServiceError):
    status_code = 422


class KeyInProgress(ServiceError):
    status_code = 409


def idempotency_key_check(key: str) -> None:
    """Raise ServiceError(KEY_TOO_LONG / KEY_INVALID) for a key the contract refuses."""
    if len(key) > KEY_MAX_LENGTH:
        raise ServiceError(KEY_TOO_LONG)
    if not key or not key.isprintable() or not key.isascii():
        raise ServiceError(KEY_INVALID)


def _ttl() -> timedelta:
    return timedelta(seconds=int(settings.IDEMPOTENCY_KEY_TTL_SECONDS))


def _takeover(existing: IdempotencyKey, fingerprint: str, now: datetime) -> bool:
    """Take over an expired row, or a claim abandoned by a dead process; False if another
    request took it first (or it is neither)."""
    lock = timedelta(seconds=int(settings.IDEMPOTENCY_LOCK_SECONDS))
    expired = existing.expires_at <= now
    abandoned = existing.status_code is None and existing.locked_at <= now - lock
    if not (expired or abandoned):
        return False
    return bool(
        IdempotencyKey.objects.filter(pk=existing.pk, locked_at=existing.locked_at).update(
            fingerprint=fingerprint,
            status_code=None,
            content_type="",
            body=b"",
            created_at=now,
            locked_at=now,
            expires_at=now + _ttl(),
        )
    )


def idempotency_claim(
    *, team_id: int, caller: str, key: str, method: str, path: str, fingerprint: str
) -> tuple[IdempotencyKey, bool]:
    """Claim `key` for this request: `(row, True)` to run it, `(row, False)` to replay the
    answer stored in `row`. Raises KeyReused (another method, path or body) or KeyInProgress
    (the first request with this key has not finished)."""
    for _attempt in range(3):
        now = timezone.now()
        row = IdempotencyKey(
            team_id=team_id,
            caller=caller,
            key=key,
            fingerprint=fingerprint,
            method=method,
            path=path[:1024],
            created_at=now,
            locked_at=now,
            expires_at=now + _ttl(),
        )
        try:
            with transaction.atomic():
                row.save(force_insert=True)
            return row, True
        except IntegrityError:
            pass
        existing = IdempotencyKey.objects.filter(team_id=team_id, caller=caller, key=key).first()
        if existing is None:  # swept between the two statements: claim again
            continue
        if _takeover(existing, fingerprint, now):
            existing.refresh_from_db()
            return existing, True
        existing.refresh_from_db()
        if existing.fingerprint != fingerprint:
            raise KeyReused(KEY_REUSED)
        if existing.status_code is None:
            raise KeyInProgress(KEY_IN_PROGRESS)
        return existing, False
    raise KeyInProgress(KEY_IN_PROGRESS)  # pragma: no cover - claimed and swept 3 times


def idempotency_finish(
    *, row: IdempotencyKey, status_code: int, content_type: str, body: bytes
) -> None:
    """Store the answer of the request that claimed `row`; a 5xx is not stored (the row
    goes, so that a retry runs again). Nothing happens if the claim was taken over."""
    claimed = IdempotencyKey.objects.filter(pk=row.pk, locked_at=row.locked_at)
    if status_code >= 500:
        claimed.delete()
        return
    claimed.update(status_code=status_code, content_type=content_type[:255], body=body)


def idempotency_release(*, row: IdempotencyKey) -> None:
    """Forget a claim whose request failed without an answer (an exception)."""
    IdempotencyKey.objects.filter(pk=row.pk, locked_at=row.locked_at).delete()


def idempotency_keys_expire(*, batch: int = 5000) -> int:
    """Delete expired keys (beat job), `batch` at a time; returns how many went."""
    deleted = 0
    while True:
        ids = list(
            IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).values_list(
                "pk", flat=True
            )[:batch]
        )
        if not ids:
            return deleted
        deleted += IdempotencyKey.objects.filter(
            pk__in=ids, expires_at__lte=timezone.now()
        ).delete()[0]
