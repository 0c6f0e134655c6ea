"""A stored idempotency key: who sent it, what it was sent with, and what was answered."""

from __future__ import annotations

from django.db import models

from sparkloop.models import Team


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` of one caller, while it is kept (IDEMPOTENCY_KEY_TTL_SECONDS).

    `status_code` is null while the first request runs (the key is claimed); then the
    response's status, body and content type are stored for replays.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    # The API key or OAuth application that sent it (`key:<id>`, `app:<id>`).
    caller = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    # sha256 of method, path and body: a repeat must match it.
    fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=1024)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=255, blank=True, default="")
    body = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField()
    # A claim this old whose request never finished (its process died) may be taken over.
    locked_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "caller", "key"], name="uniq_idempotency_key")
        ]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_expires_idx")]

    def __str__(self) -> str:
        return f"{self.caller}: {self.key}"
