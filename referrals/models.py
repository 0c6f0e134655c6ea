"""Referral campaigns: memberships, referrals with their screening, rewards and grants."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from sparkloop.fields import BulkJSONField
from sparkloop.ids import make_public_id
from sparkloop.models import Team
from subscribers.models import Subscriber


def new_campaign_id() -> str:
    return make_public_id("MF", 10)


def new_membership_id() -> str:
    return make_public_id("membership_")


def new_reward_id() -> str:
    return make_public_id("reward_")


def new_grant_id() -> str:
    return make_public_id("grant_")


class Campaign(models.Model):
    """A referral program of a team. Every team has exactly one default campaign."""

    class Verification(models.TextChoices):
        ON_CONFIRMATION = "on_confirmation", "When the referred subscriber confirms"
        HOLDING_PERIOD = "holding_period", "After a holding period, if still subscribed"
        STAFF = "staff", "By staff in the admin"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="campaigns")
    public_id = models.CharField(max_length=32, unique=True, default=new_campaign_id)
    name = models.CharField(max_length=255)
    # The base of referral links: `<landing_url>?rh_ref=<ref_code>` (reference §12.2).
    landing_url = models.URLField(max_length=1000, blank=True, default="")
    is_default = models.BooleanField(default=False)
    verification = models.CharField(
        max_length=32, choices=Verification.choices, default=Verification.ON_CONFIRMATION
    )
    holding_days = models.PositiveIntegerField(default=7)
    # Screening: a referral with any fraud signal stays pending for staff review.
    screening_enabled = models.BooleanField(default=True)
    referrer_velocity_limit = models.PositiveIntegerField(
        default=50, help_text="Referrals of one referrer per hour before they are flagged."
    )
    ip_velocity_limit = models.PositiveIntegerField(
        default=20, help_text="Referrals from one IP address per hour before they are flagged."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team"], condition=Q(is_default=True), name="uniq_campaign_team_default"
            )
        ]
        indexes = [models.Index(fields=["team", "created_at"], name="campaign_team_created_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"


class CampaignMembership(models.Model):
    """A subscriber's place in a campaign, with its maintained referral counters."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="memberships")
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="campaign_memberships"
    )
    public_id = models.CharField(max_length=32, unique=True, default=new_membership_id)
    # Referred within this campaign.
    referred = models.BooleanField(default=False)
    # Maintained: referrals made in this campaign that are not rejected, and those verified
    # (`tot_referrals`). Never recounted per request.
    referrals_count = models.PositiveIntegerField(default=0)
    verified_referrals_count = models.PositiveIntegerField(default=0)
    # When verified_referrals_count last changed: leaderboard ties go to the earliest.
    score_reached_at = models.DateTimeField(null=True, blank=True)
    # Copy of the subscriber's created_at (never changes), so that the member list has an
    # index in its own order (newest first) without a join.
    subscriber_created_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "subscriber"], name="uniq_membership_campaign_subscriber"
            )
        ]
        indexes = [
            models.Index(
                "campaign",
                models.F("subscriber_created_at").desc(),
                models.F("id").desc(),
                name="membership_campaign_list_idx",
            ),
            models.Index(
                "campaign",
                models.F("subscriber_created_at").desc(),
                models.F("id").desc(),
                name="membership_referred_idx",
                condition=Q(referred=True),
            ),
            models.Index(
                "campaign",
                models.F("subscriber_created_at").desc(),
                models.F("id").desc(),
                name="membership_advocate_idx",
                condition=Q(referrals_count__gt=0),
            ),
            # The leaderboard's order; only members with a verified referral are ranked.
            models.Index(
                "campaign",
                models.F("verified_referrals_count").desc(),
                "score_reached_at",
                "id",
                name="membership_leaderboard_idx",
                condition=Q(verified_referrals_count__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber_id} in {self.campaign_id}"


class Referral(models.Model):
    """One referral within one campaign, with its screening signals and its decision."""

    class Status(models.TextChoices):
        PENDING = "pending"
        VERIFIED = "verified"
        REJECTED = "rejected"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="referrals")
    # Kept (without its referrer) when the referrer is erased: the referral is still a fact.
    referrer = models.ForeignKey(
        Subscriber,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaign_referrals_made",
    )
    referred = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="campaign_referrals"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Fraud signals: [{"code": "...", "reason": "..."}]. Any signal holds the referral
    # pending until staff decide.
    flagged = models.BooleanField(default=False)
    signals = BulkJSONField(default=list, blank=True)
    ip_address = models.CharField(max_length=64, null=True, blank=True)
    # Holding-period campaigns verify at this time if the referred is still subscribed.
    verify_after = models.DateTimeField(null=True, blank=True)
    # Staff approval clears the flag (the signals stay, as the record of why it was held);
    # the referral is then verified as its campaign's policy says, once the referred
    # subscriber is confirmed.
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.CharField(max_length=150, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "referred"], name="uniq_referral_campaign_referred"
            )
        ]
        indexes = [
            models.Index(
                "campaign",
                "referrer",
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="referral_referrer_list_idx",
            ),
            models.Index(
                fields=["team", "ip_address", "created_at"], name="referral_ip_velocity_idx"
            ),
            models.Index(
                fields=["verify_after"],
                name="referral_holding_due_idx",
                condition=Q(status="pending", flagged=False, verify_after__isnull=False),
            ),
            models.Index(
                fields=["team", "created_at"],
                name="referral_review_idx",
                condition=Q(status="pending", flagged=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referred_id} via {self.referrer_id} ({self.status})"


class Reward(models.Model):
    """A milestone: unlocked at `referrals` verified referrals (again every `referrals`
    more when recurring), optionally with a coupon code and/or staff approval."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="rewards")
    public_id = models.CharField(max_length=32, unique=True, default=new_reward_id)
    name = models.CharField(max_length=255)
    referrals = models.PositiveIntegerField()
    recurring = models.BooleanField(default=False)
    requires_approval = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["referrals", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(referrals__gte=1), name="reward_referrals_positive")
        ]

    def __str__(self) -> str:
        return f"{self.name} at {self.referrals}"


class RewardGrant(models.Model):
    """A reward unlocked by a subscriber (once per reward, or per occurrence if recurring)."""

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval"
        UNLOCKED = "unlocked"
        REDEEMED = "redeemed"
        REJECTED = "rejected"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="grants")
    reward = models.ForeignKey(Reward, on_delete=models.CASCADE, related_name="grants")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=32, unique=True, default=new_grant_id)
    # 1 for the first unlock; n for the n-th of a recurring reward.
    occurrence = models.PositiveIntegerField(default=1)
    referrals = models.PositiveIntegerField()
    status = models.CharField(max_length=32, choices=Status.choices)
    coupon_code = models.CharField(max_length=255, null=True, blank=True)
    reward_variant_name = models.CharField(max_length=255, null=True, blank=True)
    reward_variant_sku = models.CharField(max_length=255, null=True, blank=True)
    shipping_details = models.JSONField(null=True, blank=True)
    unlocked_at = models.DateTimeField(null=True, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Exactly once per subscriber, reward and occurrence, whatever the concurrency.
            models.UniqueConstraint(
                fields=["reward", "subscriber", "occurrence"], name="uniq_grant_reward_occurrence"
            )
        ]
        indexes = [
            models.Index(
                fields=["subscriber", "campaign", "-created_at"], name="grant_subscriber_idx"
            ),
            models.Index(fields=["team", "status", "-created_at"], name="grant_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reward_id} #{self.occurrence} for {self.subscriber_id} ({self.status})"


class RewardCoupon(models.Model):
    """One unique code of a reward's coupon pool; handed out to at most one grant."""

    reward = models.ForeignKey(Reward, on_delete=models.CASCADE, related_name="coupons")
    code = models.CharField(max_length=255)
    grant = models.OneToOneField(
        RewardGrant, on_delete=models.SET_NULL, null=True, blank=True, related_name="coupon"
    )
    # Set when handed out; stays set when the grant is erased with its subscriber, so that
    # a code is never handed out twice.
    handed_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reward", "code"], name="uniq_coupon_reward_code")
        ]
        indexes = [
            models.Index(
                fields=["reward", "id"],
                name="coupon_unused_idx",
                condition=Q(handed_out_at=None),
            )
        ]

    def __str__(self) -> str:
        return self.code


class BlocklistEntry(models.Model):
    """A team's blocked emails, domains or IPs; `*` and `?` wildcards (fnmatch)."""

    class Kind(models.TextChoices):
        EMAIL = "email"
        DOMAIN = "domain"
        IP = "ip"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    pattern = models.CharField(max_length=255)
    note = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "blocklist entries"
        constraints = [
            models.UniqueConstraint(
                fields=["team", "kind", "pattern"], name="uniq_blocklist_team_kind_pattern"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.pattern}"


class ReferralReview(Referral):
    """The admin's review queue: flagged referrals still pending."""

    class Meta:
        proxy = True
        verbose_name = "referral to review"
        verbose_name_plural = "review queue"
