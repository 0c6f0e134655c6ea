"""Offers and offer submissions (issue 10; owned by the offers subpackage). Imported by
models/__init__.py so that the models defined here are registered.

An offer is an advertiser's (a team's) paid placement: partners send visitors to it through
`/o/<offer_uuid>`, each visit makes a submission, and a submission converts on the click, on
the submitted email (a lead) or when the advertiser confirms it through the API (an action).
Money is integer cents; the wire shows dollars (reference §11.8).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import Cast

from referrals.partners.models.catalog import PartnerProfile, empty_list
from sparkloop.ids import make_public_id
from sparkloop.models import Team


def new_offer_id() -> str:
    return make_public_id("offer_")


def new_submission_id() -> str:
    return make_public_id("submission_")


# An offer's conversion rate counts from this many visits (below: OFFER_UNKNOWN_RATE, as a
# program with too few settled referrals counts ranking.UNKNOWN_RATE).
OFFER_MIN_CLICKS = 20
OFFER_UNKNOWN_RATE = 0.5


def offer_expected_earnings() -> Any:
    """An offer's expected earnings per pick, in cents: CPA x its conversion rate from its
    maintained counters (conversions / visits; OFFER_UNKNOWN_RATE below OFFER_MIN_CLICKS
    visits). One expression for the upscribe's ranking and the index that serves it."""
    rate = Case(
        When(
            clicks_count__gte=OFFER_MIN_CLICKS,
            then=Cast("conversions_count", FloatField()) / Cast("clicks_count", FloatField()),
        ),
        default=Value(OFFER_UNKNOWN_RATE),
        output_field=FloatField(),
    )
    return Cast("cpa_cents", FloatField()) * rate


class Offer(models.Model):
    """An advertiser's offer: what converts (`conversion_type`), what a conversion pays
    (`cpa_cents`) and how much may be spent each calendar month (`monthly_budget_cents`)."""

    class ConversionType(models.TextChoices):
        CLICK = "click"
        LEAD = "lead"
        ACTION = "action"

    class Visibility(models.TextChoices):
        PUBLIC = "public"  # listed in the partner network
        PRIVATE = "private"  # the team's own (internal) placements only

    class Status(models.TextChoices):
        ACTIVE = "active"
        PAUSED = "paused"
        ARCHIVED = "archived"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="offers")
    public_id = models.CharField(max_length=32, unique=True, default=new_offer_id)
    name = models.CharField(max_length=255)
    headline = models.CharField(max_length=255, blank=True, default="")
    description = models.TextField(blank=True, default="")
    callout = models.CharField(max_length=255, blank=True, default="")
    redirect_url = models.URLField(max_length=1000)
    conversion_type = models.CharField(max_length=16, choices=ConversionType.choices)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    landscape_image_url = models.URLField(max_length=1000, blank=True, default="")
    portrait_image_url = models.URLField(max_length=1000, blank=True, default="")
    allow_worldwide_referrals = models.BooleanField(default=True)
    allowed_countries = models.JSONField(default=empty_list, blank=True)  # alpha-2
    blocked_countries = models.JSONField(default=empty_list, blank=True)  # alpha-2
    monthly_budget_cents = models.PositiveIntegerField()
    cpa_cents = models.PositiveIntegerField()
    conversion_event = models.CharField(max_length=255, blank=True, default="")  # action only
    terms = models.TextField(blank=True, default="")  # action only
    # Maintained counters (never recounted per request): visits (submissions) and conversions.
    clicks_count = models.PositiveIntegerField(default=0)
    conversions_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The team's own list, newest first.
            models.Index(
                "team", F("created_at").desc(), F("id").desc(), name="offer_team_list_idx"
            ),
            # The partner network's offers: active public offers, newest first.
            models.Index(
                F("created_at").desc(),
                F("id").desc(),
                name="offer_network_idx",
                condition=Q(status="active", visibility="public"),
            ),
            # An upscribe's offers: active public offers, best expected earnings first (an
            # index scan that stops after `limit` rows, whatever the network's size).
            models.Index(
                offer_expected_earnings().desc(),
                F("created_at").desc(),
                F("id").desc(),
                name="offer_expected_idx",
                condition=Q(status="active", visibility="public"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"


class OfferSubmission(models.Model):
    """One visit to an offer through `/o/<offer_uuid>`. It converts at most once
    (`converted_at`, set by a conditional UPDATE), paid from the offer's monthly budget."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="submissions")
    public_id = models.CharField(max_length=40, unique=True, default=new_submission_id)
    # The partner that sent the visitor, when the link named one (`?partner=`).
    partner_profile = models.ForeignKey(
        PartnerProfile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offer_submissions",
    )
    # The upscribe whose subscribe made it (a visitor's pick of the offer), if any.
    upscribe = models.ForeignKey(
        "partners.Upscribe",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offer_submissions",
    )
    email = models.CharField(max_length=254, blank=True, default="")  # a lead's
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)
    # What the conversion cost (0 when the month's budget could not hold the CPA).
    cpa_cents = models.PositiveIntegerField(default=0)
    payable = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                "offer", F("created_at").desc(), F("id").desc(), name="offersub_offer_idx"
            ),
            # An upscribe's offer picks of the last 30 days (its stats).
            models.Index(
                fields=["upscribe", "created_at"],
                name="offersub_upscribe_idx",
                condition=Q(upscribe__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.public_id


class OfferBudgetMonth(models.Model):
    """An offer's spend in one calendar month (`month` is its first day), raised only by a
    conditional UPDATE that keeps it within the offer's monthly budget under concurrency."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="budget_months")
    month = models.DateField()
    used_cents = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["offer", "month"], name="uniq_offer_budget_month")
        ]

    def __str__(self) -> str:
        return f"{self.offer_id} {self.month:%Y-%m}: {self.used_cents}"
