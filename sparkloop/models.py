"""Teams (publisher accounts), the people who act for them, their API keys and counters."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models

from sparkloop.encryption import EncryptedTextField
from sparkloop.ids import make_public_id


def new_team_id() -> str:
    return make_public_id("team_")


def new_webhook_token() -> str:
    return secrets.token_hex(16)


class Team(models.Model):
    """A publisher account. Every row that belongs to a publisher points at one."""

    class RateLimitTier(models.TextChoices):
        DEFAULT = "default", "Default (120 requests / 60 s)"
        STANDARD = "standard", "Standard (1,000 requests / hour)"
        PARTNER = "partner", "Partner (10,000 requests / hour, with burst)"
        CUSTOM = "custom", "Custom"

    public_id = models.CharField(max_length=32, unique=True, default=new_team_id, editable=False)
    name = models.CharField(max_length=200, unique=True)
    # Sent as `SparkLoop-Token` with every webhook; encrypted at rest. After a rotation the
    # previous one is shown (and sent as `SparkLoop-Token-Previous`) until it expires.
    webhook_token = EncryptedTextField(default=new_webhook_token)
    previous_webhook_token = EncryptedTextField(blank=True, default="")
    previous_webhook_token_expires_at = models.DateTimeField(null=True, blank=True)
    rate_limit_tier = models.CharField(
        max_length=16, choices=RateLimitTier.choices, default=RateLimitTier.DEFAULT
    )
    custom_rate_limit = models.PositiveIntegerField(null=True, blank=True)
    custom_rate_period = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seconds; used with the custom tier."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    # A team is the principal of an API request (request.user); DRF asks this.
    @property
    def is_authenticated(self) -> bool:
        return True


class TeamMembership(models.Model):
    """A person (Django user) who may act for a team, e.g. consent to apps on its behalf."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Moved here from the oauth app without touching its table (migration
        # sparkloop 0002): the table keeps the name it was created with.
        db_table = "oauth_teammembership"
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="uniq_teammembership_user_team")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.team}"


def hash_api_key(raw_key: str) -> str:
    # Keys are 128 random bits, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKey(models.Model):
    """A team's API key. The raw key is shown once; only its hash and a prefix are kept."""

    PREFIX_LENGTH = 8

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=PREFIX_LENGTH, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class TeamCounter(models.Model):
    """A sharded, maintained counter (total subscribers, referred, advocates) of a team.

    Exact list totals come from here instead of COUNT(*) over millions of rows. Writers add
    to a random shard so concurrent creates don't queue on one hot row; readers sum them.
    """

    SHARDS = 8

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="counters")
    name = models.CharField(max_length=64)
    shard = models.PositiveSmallIntegerField()
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "name", "shard"], name="uniq_teamcounter_team_name_shard"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team_id}:{self.name}[{self.shard}]={self.value}"
