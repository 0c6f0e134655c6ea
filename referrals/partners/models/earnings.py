"""Partner referrals, the append-only earnings ledger, payouts and the monthly budget rows.

A partner's balance is `SUM(amount_cents)` of its `EarningsEntry` rows: anyone can audit it.
Money is integer cents, currency USD.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from referrals.partners.models.catalog import PartnerCampaign, PartnerProfile, PartnerProgram
from referrals.partners.models.offers import OfferSubmission
from sparkloop.fields import BulkJSONField
from sparkloop.ids import make_public_id
from sparkloop.models import Team
from subscribers.models import Subscriber


def new_partner_referral_id() -> str:
    return make_public_id("partner_referral_")


def new_payout_id() -> str:
    return make_public_id("payout_")


class PartnerReferral(models.Model):
    """One person a partner campaign sent to the recommended team: `pending` for the
    program's pending duration, then `confirmed` (payable: the partner earns the CPA) or
    `rejected` with a reason. Rejected at once when not acceptable."""

    class Status(models.TextChoices):
        PENDING = "pending"
        CONFIRMED = "confirmed"
        REJECTED = "rejected"

    class RejectionReason(models.TextChoices):
        ALREADY_SUBSCRIBED = "already_subscribed"
        COUNTRY_NOT_ALLOWED = "country_not_allowed"
        BUDGET_EXHAUSTED = "budget_exhausted"
        UNSUBSCRIBED = "unsubscribed"
        REJECTED_BY_PUBLISHER = "rejected_by_publisher"
        DELETED = "deleted"

    class Origin(models.TextChoices):
        UPSCRIBE = "upscribe"
        MAGIC_LINK = "magic_link"
        PARTNER_LINK = "partner_link"

    # RESTRICT, not CASCADE: a partner referral is an auditable fact (the ledger's lines point
    # at it), so deleting its publication (hence its program and campaigns) is refused while
    # it has any; deleting a whole team still takes them (through `team`).
    campaign = models.ForeignKey(
        PartnerCampaign, on_delete=models.RESTRICT, related_name="referrals"
    )
    # Null for a free recommendation's referral (never payable).
    program = models.ForeignKey(
        PartnerProgram, on_delete=models.RESTRICT, null=True, blank=True, related_name="referrals"
    )
    # Who sees it: the partner (its own referrals) and the recommended team (all of its
    # program's). Both are copies of the campaign's, for the lists' indexes.
    partner_profile = models.ForeignKey(
        PartnerProfile, on_delete=models.CASCADE, related_name="referrals"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    # The recommended team's subscriber; kept as a fact (without it) when it is erased.
    subscriber = models.ForeignKey(
        Subscriber,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partner_referrals",
    )
    public_id = models.CharField(max_length=40, unique=True, default=new_partner_referral_id)
    email = models.CharField(max_length=254)
    name = models.CharField(max_length=255, null=True, blank=True)
    country_code = models.CharField(max_length=2, null=True, blank=True)
    region_code = models.CharField(max_length=16, null=True, blank=True)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.UPSCRIBE)
    utm_source = models.CharField(max_length=255, null=True, blank=True)
    utm_campaign = models.CharField(max_length=255, null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    rejection_reason = models.CharField(
        max_length=32, choices=RejectionReason.choices, null=True, blank=True
    )
    # The CPA at the time of the referral (0 for free), and whether it is (to be) paid.
    cpa_cents = models.PositiveIntegerField(default=0)
    payable = models.BooleanField(default=False)
    # The month (its first day) whose budget the referral reserved, if it reserved any.
    budget_month = models.DateField(null=True, blank=True)
    # Screening flags of referrals/ ([{"code", "reason"}]).
    signals = BulkJSONField(default=list, blank=True)
    pending_until = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)  # confirmed_at or rejected_at
    created_at = models.DateTimeField(auto_now_add=True)  # referred_at

    class Meta:
        indexes = [
            # Settlement: pending referrals whose pending period is over.
            models.Index(
                fields=["pending_until"],
                name="preferral_due_idx",
                condition=Q(status="pending"),
            ),
            # A program's referrals, newest first (with referred_after/before ranges).
            models.Index(
                "program", F("created_at").desc(), F("id").desc(), name="preferral_program_idx"
            ),
            # A partner's own referrals, newest first.
            models.Index(
                "partner_profile",
                F("created_at").desc(),
                F("id").desc(),
                name="preferral_partner_idx",
            ),
            # A campaign's referrals (recommendation counters, the partner campaign's page).
            models.Index(
                "campaign", F("created_at").desc(), F("id").desc(), name="preferral_campaign_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.status})"


class Payout(models.Model):
    """A monthly payment of a partner's confirmed, unpaid earnings."""

    class Status(models.TextChoices):
        PENDING = "pending"
        PAID = "paid"
        FAILED = "failed"

    partner_profile = models.ForeignKey(
        PartnerProfile, on_delete=models.CASCADE, related_name="payouts"
    )
    public_id = models.CharField(max_length=32, unique=True, default=new_payout_id)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="USD")
    period_start = models.DateField()
    period_end = models.DateField()
    referrals_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reference = models.CharField(max_length=255, blank=True, default="")  # transfer reference
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One payout per partner per period: the payout job may run twice.
            models.UniqueConstraint(
                fields=["partner_profile", "period_end"], name="uniq_payout_profile_period"
            )
        ]
        indexes = [
            models.Index(
                "partner_profile",
                F("created_at").desc(),
                F("id").desc(),
                name="payout_profile_list_idx",
            ),
            models.Index(fields=["status", "created_at"], name="payout_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.status})"


class EarningsEntry(models.Model):
    """One append-only line of a partner's ledger; amounts are signed cents and the balance
    is their sum. `earned` (+CPA, a confirmed referral or a payable offer conversion that a
    partner sent: `referral` or `offer_submission`), `paid_out` (-amount, a payout made),
    `reversed` (undoes an earlier line: +amount for a failed payout's `paid_out`)."""

    class Kind(models.TextChoices):
        EARNED = "earned"
        REVERSED = "reversed"
        PAID_OUT = "paid_out"

    partner_profile = models.ForeignKey(
        PartnerProfile, on_delete=models.CASCADE, related_name="earnings_entries"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount_cents = models.BigIntegerField()
    referral = models.ForeignKey(
        PartnerReferral, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    offer_submission = models.ForeignKey(
        OfferSubmission, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payout = models.ForeignKey(
        Payout, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "earnings entries"
        constraints = [
            # Exactly once, whatever runs at the same time: one `earned` line per referral,
            # one per converted offer submission, one `paid_out` and at most one `reversed`
            # line per payout.
            models.UniqueConstraint(
                fields=["referral"], condition=Q(kind="earned"), name="uniq_entry_earned"
            ),
            models.UniqueConstraint(
                fields=["offer_submission"],
                condition=Q(kind="earned", offer_submission__isnull=False),
                name="uniq_entry_earned_offer",
            ),
            models.UniqueConstraint(
                fields=["payout", "kind"],
                condition=Q(payout__isnull=False),
                name="uniq_entry_payout_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["partner_profile", "created_at"], name="entry_profile_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_cents} ({self.partner_profile_id})"


class ProgramBudgetMonth(models.Model):
    """A program's spend in one month, maintained by conditional UPDATEs so that budgets
    hold under concurrency: `reserved_cents` (pending payable referrals) and `used_cents`
    (confirmed). A reservation succeeds only while reserved + used + CPA <= the budget."""

    program = models.ForeignKey(PartnerProgram, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # its first day
    reserved_cents = models.BigIntegerField(default=0)
    used_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "month"], name="uniq_program_month")
        ]

    def __str__(self) -> str:
        return f"{self.program_id} {self.month:%Y-%m}"


class CampaignBudgetMonth(models.Model):
    """A partner campaign's spend in one month, against the program's `max_payout` (the
    per-partner monthly cap); kept like ProgramBudgetMonth."""

    campaign = models.ForeignKey(PartnerCampaign, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    reserved_cents = models.BigIntegerField(default=0)
    used_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "month"], name="uniq_campaign_month")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.month:%Y-%m}"
