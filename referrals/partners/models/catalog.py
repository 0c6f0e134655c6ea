"""The partner network's catalogue: publications, partner programs, partner profiles and
partner campaigns (a.k.a. recommendations).

Money is integer cents; the wire shows dollars or cents as partners.md says, converted by the
serializers. Public identifiers are random prefixed hex, never the primary key.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q, TextField, Value
from django.db.models.functions import Cast, Concat, Lower

from sparkloop.ids import make_public_id
from sparkloop.models import Team


def new_publication_id() -> str:
    return make_public_id("pub_")


def new_program_id() -> str:
    return make_public_id("partner_program_")


def new_profile_id() -> str:
    return make_public_id("partner_")


def new_partner_campaign_id() -> str:
    return make_public_id("partner_campaign_")


def new_partner_ref_code() -> str:
    """The 10-hex code of a partner campaign: in `/p/<ref_code>`, `/r/<ref_code>` and the
    upscribe subscribe call. Unique across the deployment."""
    return make_public_id("", 10)


def empty_list() -> list[str]:
    return []


def all_channels() -> list[str]:
    return ["upscribe", "partner_link", "magic_link"]


class Publication(models.Model):
    """A team's newsletter. It may run one partner program and be recommended by others."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        ACTIVE = "active"
        ARCHIVED = "archived"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="publications")
    public_id = models.CharField(max_length=32, unique=True, default=new_publication_id)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    # 1-3 of the reference's category list; shown as `partner_categories`.
    categories = models.JSONField(default=empty_list, blank=True)
    list_id = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    publication_url = models.URLField(max_length=1000, blank=True, default="")
    language = models.CharField(max_length=64, blank=True, default="")
    send_frequency = models.CharField(max_length=64, blank=True, default="")
    audience_gender = models.CharField(max_length=32, blank=True, default="")
    income_levels = models.JSONField(default=empty_list, blank=True)
    age_ranges = models.JSONField(default=empty_list, blank=True)
    auto_pilot = models.BooleanField(default=False)
    # An uploaded logo (stored through Django's storage API) or an external URL; the wire's
    # `logo_url` is the file's URL when there is one, else `logo_url`.
    logo = models.FileField(upload_to="partners/logos/", blank=True, default="")
    logo_url = models.URLField(max_length=1000, blank=True, default="")
    # What the network's `query` searches (name, description, language, categories),
    # lower-cased, kept by the database itself. On PostgreSQL a trigram GIN index
    # (migration 0003_catalog_network_search) serves `LIKE '%word%'` on it.
    search_document = models.GeneratedField(
        expression=Lower(
            Concat(
                "name",
                Value(" "),
                "description",
                Value(" "),
                "language",
                Value(" "),
                Cast("categories", output_field=TextField()),
                output_field=TextField(),
            )
        ),
        output_field=TextField(),
        db_persist=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The team's own list, newest first.
            models.Index(
                "team", F("created_at").desc(), F("id").desc(), name="publication_team_list_idx"
            ),
            # The network listing's search (name, description, language, categories) gets a
            # PostgreSQL full-text/trigram GIN index from the catalog, in its own migration.
            # The network listing's two sorts (`name`, `created_at`; `id` breaks ties), read
            # forwards or backwards for `order`: a page of a broad listing walks the index
            # instead of sorting every listed publication.
            models.Index(fields=["name", "id"], name="publication_name_idx"),
            models.Index(fields=["created_at", "id"], name="publication_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"


class PartnerProgram(models.Model):
    """What a publication pays partners: a CPA per confirmed referral, within a monthly
    total budget and a monthly cap per partner (`max_payout`), under geo rules."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        PAUSED = "paused"
        ARCHIVED = "archived"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="partner_programs")
    # One program per publication ("Publication already has a partner program").
    publication = models.OneToOneField(
        Publication, on_delete=models.CASCADE, related_name="partner_program"
    )
    public_id = models.CharField(max_length=40, unique=True, default=new_program_id)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    cpa_cents = models.PositiveIntegerField()
    max_payout_cents = models.PositiveIntegerField()
    total_budget_cents = models.PositiveIntegerField()
    redirect_url = models.URLField(max_length=1000)
    thankyou_page_url = models.URLField(max_length=1000, blank=True, default="")
    terms = models.TextField(blank=True, default="")
    resources_url = models.URLField(max_length=1000, blank=True, default="")
    ideal_subscriber = models.TextField(blank=True, default="")
    slug = models.SlugField(max_length=255, unique=True, null=True, blank=True)
    show_in_directory = models.BooleanField(default=True)
    referral_pending_duration_enabled = models.BooleanField(default=True)
    referral_pending_duration = models.PositiveIntegerField(default=14)  # days
    allow_worldwide_referrals = models.BooleanField(default=True)
    allowed_countries = models.JSONField(default=empty_list, blank=True)  # alpha-2
    blocked_countries = models.JSONField(default=empty_list, blank=True)  # alpha-2
    allowed_regions = models.JSONField(default=empty_list, blank=True)
    can_be_recommended_via = models.JSONField(default=all_channels, blank=True)
    requires_approval = models.BooleanField(default=False)
    pilot_phase = models.BooleanField(default=False)
    # The confirmation rate over the last 90 days, maintained by the hourly settlement job
    # (earnings/rates.py `program_rates_refresh`, right after it settles): its
    # referrals settled in the window (confirmed or rejected, rejections at the door not
    # counted), the confirmed ones, the rate (None below CONFIRMATION_MIN_SETTLED) and when
    # they were computed (None: never, or never with settled referrals in the window).
    # (db_default: code that predates the columns can still insert programs.)
    rate_settled_count = models.PositiveIntegerField(default=0, db_default=0)
    rate_confirmed_count = models.PositiveIntegerField(default=0, db_default=0)
    confirmation_rate = models.FloatField(null=True, blank=True)
    rates_computed_at = models.DateTimeField(null=True, blank=True)
    # The same job's count over the last 30 days, every settled referral counted (rejections
    # at the door too): what a recommendation shows as `last_30_days_confirmation_rate`.
    recent_settled_count = models.PositiveIntegerField(default=0, db_default=0)
    recent_confirmed_count = models.PositiveIntegerField(default=0, db_default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                "team", F("created_at").desc(), F("id").desc(), name="program_team_list_idx"
            ),
            # The network's programs: other teams' active, listed programs.
            models.Index(
                F("created_at").desc(),
                F("id").desc(),
                name="program_network_idx",
                condition=Q(status="active", show_in_directory=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.publication_id})"


class PartnerProfile(models.Model):
    """A team's identity as a partner that recommends other teams' publications. Every team
    has exactly one, made with the team (the `team_created` receiver)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="partner_profile")
    public_id = models.CharField(max_length=32, unique=True, default=new_profile_id)
    name = models.CharField(max_length=255)
    website_url = models.URLField(max_length=1000, blank=True, default="")
    logo_url = models.URLField(max_length=1000, blank=True, default="")
    payout_email = models.EmailField(max_length=254, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"


class PartnerCampaign(models.Model):
    """A partner profile's recommendation of another team's publication: paid (it joined
    the publication's program) or free. It carries the 10-hex `ref_code` and counters."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending approval"
        ACTIVE = "active"
        PAUSED = "paused"
        ARCHIVED = "archived"
        REJECTED = "rejected"

    class Type(models.TextChoices):
        PARTNER_PROGRAM = "partner_program"  # paid; `type` "paid" on a recommendation
        FREE = "free"

    # The partner's team (tenancy of the partner's own endpoints); the profile's team.
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    partner_profile = models.ForeignKey(
        PartnerProfile, on_delete=models.CASCADE, related_name="partner_campaigns"
    )
    # The recommended publication (another team's) and, when paid, its program.
    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="partner_campaigns"
    )
    program = models.ForeignKey(
        PartnerProgram,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="partner_campaigns",
    )
    # The partner's own publication that recommends (the referral object's
    # `recommending_publication`), when it has one.
    recommending_publication = models.ForeignKey(
        Publication, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    public_id = models.CharField(max_length=40, unique=True, default=new_partner_campaign_id)
    ref_code = models.CharField(max_length=16, unique=True, default=new_partner_ref_code)
    campaign_type = models.CharField(max_length=16, choices=Type.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    reason_for_recommending = models.TextField(blank=True, default="")
    accepted_terms_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)  # approval or rejection
    # Maintained counters (never recounted per request): partner-link clicks, referrals by
    # status, all-time confirmed earnings in cents.
    clicks_count = models.PositiveIntegerField(default=0)
    pending_count = models.PositiveIntegerField(default=0)
    confirmed_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    earnings_cents = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # "You have already joined this partner program".
            models.UniqueConstraint(
                fields=["partner_profile", "program"],
                condition=Q(program__isnull=False),
                name="uniq_partner_campaign_program",
            ),
            # "This partner campaign already exists" (a free recommendation, again).
            models.UniqueConstraint(
                fields=["partner_profile", "publication"],
                condition=Q(campaign_type="free"),
                name="uniq_partner_campaign_free",
            ),
        ]
        indexes = [
            # The partner's campaigns, newest first.
            models.Index(
                "partner_profile",
                F("created_at").desc(),
                F("id").desc(),
                name="pcampaign_profile_list_idx",
            ),
            # A program's partners list, newest first.
            models.Index(
                "program", F("created_at").desc(), F("id").desc(), name="pcampaign_program_idx"
            ),
            # The join-request queue (approval).
            models.Index(
                fields=["program", "created_at"],
                name="pcampaign_pending_idx",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.ref_code})"
