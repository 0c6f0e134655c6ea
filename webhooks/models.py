"""The transactional outbox: events written in the same transaction as their cause."""

from __future__ import annotations

from django.db import models

from sparkloop.ids import make_public_id
from sparkloop.models import Team


def new_event_id() -> str:
    return make_public_id("msg_", 24)


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

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="events")
    public_id = models.CharField(max_length=40, unique=True, default=new_event_id)
    type = models.CharField(max_length=64, choices=Type.choices)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["team", "-created_at"], name="event_team_created_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.public_id}"
