"""Subscribers of a team and the value events recorded for them."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from sparkloop.ids import make_public_id
from sparkloop.models import Team


def new_subscriber_id() -> str:
    return make_public_id("sub_")


def new_ref_code() -> str:
    return secrets.token_hex(4)


def new_event_id() -> str:
    return make_public_id("event_")


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        CONFIRMED = "confirmed"
        UNSUBSCRIBED = "unsubscribed"

    class ReferralStatus(models.TextChoices):
        PENDING = "pending"
        VERIFIED = "verified"
        REJECTED = "rejected"

    ORIGIN_API = "sparkloop-api"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="subscribers")
    public_id = models.CharField(max_length=32, unique=True, default=new_subscriber_id)
    email = models.CharField(max_length=254)
    # Lower-cased copy: email is unique per team case-insensitively (DESIGN.md, Identity).
    email_normalized = models.CharField(max_length=254, editable=False)
    name = models.CharField(max_length=255, null=True, blank=True)
    ref_code = models.CharField(max_length=16, default=new_ref_code)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)

    referrer = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals"
    )
    # Kept after the referrer is erased: the referral itself is still a fact.
    referrer_code = models.CharField(max_length=16, null=True, blank=True)
    referred = models.BooleanField(default=False)
    referral_status = models.CharField(
        max_length=16, choices=ReferralStatus.choices, null=True, blank=True
    )
    # Maintained counters: referrals made that are not rejected, and those verified.
    referrals_count = models.PositiveIntegerField(default=0)
    verified_referrals_count = models.PositiveIntegerField(default=0)

    ip_address = models.CharField(max_length=64, null=True, blank=True)
    user_agent = models.CharField(max_length=1024, null=True, blank=True)
    origin = models.CharField(max_length=64, default=ORIGIN_API)
    country_code = models.CharField(max_length=2, null=True, blank=True)
    cpa_cents = models.IntegerField(null=True, blank=True)
    utm_source = models.CharField(max_length=255, null=True, blank=True)
    utm_campaign = models.CharField(max_length=255, null=True, blank=True)

    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "email_normalized"], name="uniq_subscriber_team_email"
            ),
            models.UniqueConstraint(
                fields=["team", "ref_code"], name="uniq_subscriber_team_ref_code"
            ),
            # Own ref codes (a create's, a batch item's, an import row's) are taken
            # case-insensitively (spec bulk.md), also by concurrent writers.
            models.UniqueConstraint(
                "team", Lower("ref_code"), name="uniq_subscriber_team_ref_code_ci"
            ),
        ]
        indexes = [
            # Each list (all / referrals / advocates) has an index in its own order,
            # newest first with the id as tie-breaker (spec: Conventions, ordering).
            models.Index(
                "team",
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="subscriber_team_created_idx",
            ),
            models.Index(
                "team",
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="subscriber_referred_idx",
                condition=Q(referred=True),
            ),
            models.Index(
                "team",
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="subscriber_advocate_idx",
                condition=Q(referrals_count__gt=0),
            ),
            models.Index(
                "referrer",
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="subscriber_referrer_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.email


class SubscriberEvent(models.Model):
    """A value event (a purchase, a conversion) recorded for a subscriber."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="subscriber_events")
    public_id = models.CharField(max_length=32, unique=True, default=new_event_id)
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="events")
    value_cents = models.BigIntegerField()
    description = models.CharField(max_length=1000, null=True, blank=True)
    campaign_uuid = models.CharField(max_length=32, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["subscriber", "-created_at"], name="subevent_sub_created_idx")
        ]

    def __str__(self) -> str:
        return f"{self.subscriber_id}: {self.value_cents}"
