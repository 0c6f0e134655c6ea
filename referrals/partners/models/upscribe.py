"""Upscribes, their per-upscribe recommendation settings and impressions (issue 10; owned
by the upscribe subpackage). Imported by models/__init__.py so that the
models defined here are registered."""

from __future__ import annotations

from django.db import models
from django.db.models import F

from referrals.partners.models.catalog import PartnerCampaign, Publication
from referrals.partners.models.earnings import PartnerReferral
from referrals.partners.models.offers import Offer
from sparkloop.ids import make_public_id
from sparkloop.models import Team


def new_upscribe_id() -> str:
    return make_public_id("upscribe_")


def no_rules() -> list[object]:
    return []


class Upscribe(models.Model):
    """The widget a team shows on its signup thank-you page: its recommendations to a new
    subscriber (the team's partner campaigns, with settings of their own per upscribe)."""

    class Behaviour(models.TextChoices):
        REDIRECT = "redirect"
        HIDE_WIDGET = "hide_widget"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="upscribes")
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="upscribes")
    public_id = models.CharField(max_length=32, unique=True, default=new_upscribe_id)
    active = models.BooleanField(default=True)
    after_submission_behaviour = models.CharField(
        max_length=16, choices=Behaviour.choices, default=Behaviour.HIDE_WIDGET
    )
    redirect_url = models.URLField(max_length=1000, null=True, blank=True)
    # URLs with `*` wildcards (empty: every page); rules: [{behaviour, current_url,
    # redirect_url}] (reference §11.5).
    visibility_rules = models.JSONField(default=no_rules, blank=True)
    after_submission_rules = models.JSONField(default=no_rules, blank=True)
    # Generate also offers listed network programs the team has not joined yet.
    auto_pilot = models.BooleanField(default=False)
    # Generate also ranks other teams' active public offers in (docs/upscribe.md).
    show_offers = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                "team", F("created_at").desc(), F("id").desc(), name="upscribe_team_list_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.public_id


class UpscribeRecommendation(models.Model):
    """One partner campaign as one upscribe shows it: pinned (and where), its reason, paused.
    A row exists only once something was set; without one the campaign's own values hold."""

    upscribe = models.ForeignKey(
        Upscribe, on_delete=models.CASCADE, related_name="recommendation_settings"
    )
    campaign = models.ForeignKey(PartnerCampaign, on_delete=models.CASCADE, related_name="+")
    pinned = models.BooleanField(default=False)
    position = models.PositiveIntegerField(null=True, blank=True)
    reason = models.TextField(null=True, blank=True)  # null: the campaign's own reason
    paused = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["upscribe", "campaign"], name="uniq_upscribe_recommendation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.upscribe_id}/{self.campaign_id}"


class UpscribeImpressionDay(models.Model):
    """How often one upscribe showed one recommendation on one day (UTC). Each generate
    adds to the rows of what it showed with one multi-row upsert, never a write per row."""

    upscribe = models.ForeignKey(Upscribe, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(PartnerCampaign, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    impressions = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["upscribe", "campaign", "day"], name="uniq_upscribe_impression_day"
            )
        ]
        indexes = [models.Index(fields=["upscribe", "day"], name="upscribe_impression_idx")]

    def __str__(self) -> str:
        return f"{self.upscribe_id}/{self.campaign_id} {self.day}: {self.impressions}"


class UpscribePick(models.Model):
    """A recommendation a visitor picked through one upscribe's subscribe: the partner
    referral it made, so that an upscribe's stats follow the referrals' outcomes."""

    upscribe = models.ForeignKey(Upscribe, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(PartnerCampaign, on_delete=models.CASCADE, related_name="+")
    referral = models.OneToOneField(
        PartnerReferral, on_delete=models.CASCADE, related_name="upscribe_pick"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["upscribe", "created_at"], name="upscribe_pick_idx")]

    def __str__(self) -> str:
        return f"{self.upscribe_id}/{self.campaign_id} {self.referral_id}"


class UpscribeOfferImpressionDay(models.Model):
    """How often one upscribe showed one offer on one day (UTC); kept as
    UpscribeImpressionDay is, by one multi-row upsert per generate."""

    upscribe = models.ForeignKey(Upscribe, on_delete=models.CASCADE, related_name="+")
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    impressions = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["upscribe", "offer", "day"], name="uniq_upscribe_offer_impression_day"
            )
        ]
        indexes = [models.Index(fields=["upscribe", "day"], name="upscribe_offer_impr_idx")]

    def __str__(self) -> str:
        return f"{self.upscribe_id}/{self.offer_id} {self.day}: {self.impressions}"
