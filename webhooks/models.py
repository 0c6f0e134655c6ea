"""The transactional outbox (events), webhook endpoints, deliveries and their attempts."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from typing import Any

from django.db import models
from django.db.models import Q

from sparkloop.encryption import EncryptedTextField
from sparkloop.fields import BulkJSONField
from sparkloop.ids import make_public_id
from sparkloop.models import Team


def new_event_id() -> str:
    return make_public_id("msg_", 24)


def new_endpoint_id() -> str:
    return make_public_id("webhook_")


def new_delivery_id() -> str:
    return make_public_id("dlv_", 16)


def new_signing_secret() -> str:
    # Standard Webhooks: `whsec_` + base64 of the key bytes (24 random bytes, 192 bits).
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class Event(models.Model):
    """Something a team's webhooks may be told about. `public_id` is the stable webhook-id."""

    class Type(models.TextChoices):
        NEW_REFERRAL = "new_referral"
        NEW_PARTNER_PENDING_REFERRAL = "new_partner_pending_referral"
        NEW_PARTNER_REFERRAL = "new_partner_referral"
        PARTNER_REFERRAL_REJECTED = "partner_referral_rejected"
        NEW_OFFER_LEAD = "new_offer_lead"
        REWARD_UNLOCKED = "reward_unlocked"
        REWARD_REDEEMED = "reward_redeemed"
        SYNC_SUBSCRIBER = "sync_subscriber"
        # Our extensions: a monthly payout made for a partner (partners app),
        PAYOUT_CREATED = "payout_created"
        # an endpoint disabled for failing, "Send test webhook",
        WEBHOOK_DISABLED = "webhook_disabled"
        WEBHOOK_TEST = "webhook_test"
        # and an OAuth app authorized by the team (sparkloop/oauth).
        APP_CONNECTED = "app.connected"

    # Indexed by event_team_created_idx (team first), not again on its own.
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="events", db_index=False)
    # Unique by the constraint in Meta, which (unlike unique=True on PostgreSQL) makes no
    # second, LIKE-pattern index: every event written pays for each index it has.
    public_id = models.CharField(max_length=40, default=new_event_id)
    type = models.CharField(max_length=64, choices=Type.choices)
    payload = BulkJSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    # When its deliveries were made (by the worker, after the recording transaction
    # committed; see webhooks.services.expand); null: not yet.
    expanded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # The name PostgreSQL gave the column's former UNIQUE: the constraint is kept as
            # it was (migration 0009), only the LIKE index beside it was dropped.
            models.UniqueConstraint(fields=["public_id"], name="webhooks_event_public_id_key"),
        ]
        indexes = [
            models.Index(fields=["team", "-created_at"], name="event_team_created_idx"),
            # The sweeper's scan of events left unexpanded, kept small by being partial.
            models.Index(
                fields=["created_at"],
                name="event_unexpanded_idx",
                condition=Q(expanded_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.public_id}"


# The four flags of SparkLoop's API (off unless true), then our extension flags (on unless
# false: SparkLoop sends those events without offering a flag). Reference §12.1.
DOCUMENTED_EVENT_FLAGS: tuple[str, ...] = (
    Event.Type.NEW_REFERRAL.value,
    Event.Type.REWARD_UNLOCKED.value,
    Event.Type.NEW_PARTNER_REFERRAL.value,
    Event.Type.REWARD_REDEEMED.value,
)
EXTENSION_EVENT_FLAGS: tuple[str, ...] = (
    Event.Type.NEW_PARTNER_PENDING_REFERRAL.value,
    Event.Type.PARTNER_REFERRAL_REJECTED.value,
    Event.Type.NEW_OFFER_LEAD.value,
    Event.Type.SYNC_SUBSCRIBER.value,
    Event.Type.WEBHOOK_DISABLED.value,
    Event.Type.PAYOUT_CREATED.value,  # a monthly payout was made for the team as a partner
    Event.Type.APP_CONNECTED.value,  # an OAuth app was authorized by the team
)
EVENT_FLAGS = DOCUMENTED_EVENT_FLAGS + EXTENSION_EVENT_FLAGS
# The documented `new_partner_referral` flag turns all three partner-referral events on or
# off (as SparkLoop's does); the extension flags of the other two can only mute one of them.
PARTNER_REFERRAL_EVENTS: tuple[str, ...] = (
    Event.Type.NEW_PARTNER_PENDING_REFERRAL.value,
    Event.Type.NEW_PARTNER_REFERRAL.value,
    Event.Type.PARTNER_REFERRAL_REJECTED.value,
)


class WebhookEndpoint(models.Model):
    """A URL of a team that receives the event types it is subscribed to."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="webhook_endpoints")
    public_id = models.CharField(max_length=32, unique=True, default=new_endpoint_id)
    url = models.URLField(max_length=2000)
    # {event type: true | false | null}; see DOCUMENTED_EVENT_FLAGS for what null means.
    events = models.JSONField(default=dict, blank=True)
    # An endpoint made under a referral campaign (API v1, where webhooks belong to a
    # campaign) gets none of another campaign's events; empty: the whole team's.
    campaign_uuid = models.CharField(max_length=32, blank=True, default="")
    # Encrypted at rest. After a rotation the old secret also signs until it expires
    # (receivers switch over).
    secret = EncryptedTextField(default=new_signing_secret)
    previous_secret = EncryptedTextField(blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)

    is_enabled = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True, default="")
    # Health: the start of the current run of failures, and the last outcomes.
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "webhook endpoint"
        indexes = [
            models.Index(fields=["team", "-created_at", "-id"], name="endpoint_team_created_idx")
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.url}"

    def subscribes_to(self, event_type: str) -> bool:
        """Whether this endpoint gets `event_type` (by its flags; enabled or not)."""
        value = self.events.get(event_type)
        if event_type in PARTNER_REFERRAL_EVENTS:
            master = self.events.get(Event.Type.NEW_PARTNER_REFERRAL) is True
            return master and (event_type == Event.Type.NEW_PARTNER_REFERRAL or value is not False)
        if event_type in DOCUMENTED_EVENT_FLAGS:
            return value is True
        return value is not False

    def covers(self, payload: Mapping[str, Any]) -> bool:
        """Whether an event is within this endpoint's scope: one made under a campaign gets
        no event whose payload names another campaign (`campaign_id`, as SparkLoop's do);
        events that name no campaign go to it as to any endpoint (by its flags)."""
        campaign_id = payload.get("campaign_id")
        return not self.campaign_uuid or campaign_id is None or campaign_id == self.campaign_uuid


class WebhookDelivery(models.Model):
    """One event for one endpoint: written before anything is enqueued, retried from the DB."""

    class Status(models.TextChoices):
        PENDING = "pending"  # waiting for next_attempt_at
        SENDING = "sending"  # claimed by a worker at claimed_at
        DELIVERED = "delivered"
        FAILED = "failed"  # out of attempts, or the endpoint is gone; resendable

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="webhook_deliveries")
    public_id = models.CharField(max_length=32, unique=True, default=new_delivery_id)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Every claim increments attempt_count; it is also the claim's token (see services).
    attempt_count = models.PositiveIntegerField(default=0)
    # The position in the retry schedule; a resend starts it over.
    retry_step = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When a broker message was last published for it; the sweeper re-publishes lost ones.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint"], name="uniq_delivery_event_endpoint"
            )
        ]
        indexes = [
            models.Index(
                fields=["endpoint", "-created_at", "-id"], name="delivery_endpoint_created_idx"
            ),
            # The sweeper's two scans, kept small by being partial.
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_pending_due_idx",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["claimed_at"], name="delivery_sending_idx", condition=Q(status="sending")
            ),
        ]

    def __str__(self) -> str:
        return self.public_id


class DeliveryAttempt(models.Model):
    """One HTTP request of a delivery, with its outcome."""

    class Outcome(models.TextChoices):
        SUCCESS = "success"
        HTTP_ERROR = "http_error"  # a non-2xx answer
        TIMEOUT = "timeout"
        CONNECTION_ERROR = "connection_error"
        REFUSED = "refused"  # the URL failed the send-time address check (SSRF)
        WORKER_LOST = "worker_lost"  # no result within the time limit; outcome unknown

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")  # a bounded excerpt
    error = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="uniq_attempt_delivery_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id}#{self.number} {self.outcome}"
