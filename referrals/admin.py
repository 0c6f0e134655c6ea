"""Admin of referral campaigns: campaigns with rewards, the review queue, grants, blocklist.

Every write goes through referrals.services (bulk actions through `run_bulk_action`, one
service transaction per row); a rule a service refuses is shown to staff as its message.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

# Registers the subscriber page with its campaigns and referrals, and an admin index column.
from referrals import (
    admin_subscribers,  # noqa: F401
    services,
)
from referrals.models import (
    BlocklistEntry,
    Campaign,
    Referral,
    ReferralReview,
    Reward,
    RewardGrant,
)
from referrals.serializers import MAX_COUPON_CODES
from sparkloop.admin import CappedCountPaginator
from sparkloop.admin_actions import run_bulk_action
from sparkloop.exceptions import ServiceError

MAX_COUPON_CODE_CHARS = 255
COUPON_CODES_TOO_MANY_AT_ONCE = f"Add at most {MAX_COUPON_CODES} codes at a time."
COUPON_CODE_TOO_LONG = f"A coupon code has at most {MAX_COUPON_CODE_CHARS} characters."
COUPONS_ADDED = "Added {count} coupon code(s) to the pool."


def _staff(request: HttpRequest) -> str:
    return str(getattr(request.user, "get_username", lambda: "staff")())


def _adopt(obj: models.Model, saved: models.Model) -> None:
    """Make the admin's unsaved instance the row a service created (for the next steps)."""
    for field in type(saved)._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


M = TypeVar("M", bound=models.Model)


class ServiceErrorsAsMessages(admin.ModelAdmin[M]):
    """A rule a service refuses on save (a row taken concurrently) is a message, not a 500."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as error:  # the change was rolled back with its transaction
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class RewardInline(admin.TabularInline[Reward, Campaign]):
    model = Reward
    fields = ("name", "referrals", "recurring", "requires_approval", "public_id")
    readonly_fields = ("public_id",)
    extra = 0
    show_change_link = True


@admin.register(Campaign)
class CampaignAdmin(ServiceErrorsAsMessages[Campaign]):
    list_display = ("name", "public_id", "team", "is_default", "verification", "created_at")
    list_filter = ("verification", "is_default")
    search_fields = ("public_id", "name", "team__name")
    list_select_related = ("team",)
    raw_id_fields = ("team",)
    readonly_fields = ("public_id", "is_default", "created_at", "updated_at")
    inlines = (RewardInline,)
    fieldsets = (
        (None, {"fields": ("team", "name", "public_id", "is_default", "landing_url")}),
        ("Verification", {"fields": ("verification", "holding_days")}),
        (
            "Screening",
            {"fields": ("screening_enabled", "referrer_velocity_limit", "ip_velocity_limit")},
        ),
        (None, {"fields": ("created_at", "updated_at")}),
    )

    def get_readonly_fields(
        self, request: HttpRequest, obj: Campaign | None = None
    ) -> tuple[str, ...]:
        return (*self.readonly_fields, "team") if obj else self.readonly_fields

    def save_model(
        self, request: HttpRequest, obj: Campaign, form: ModelForm[Campaign], change: bool
    ) -> None:
        settings = {field: form.cleaned_data[field] for field in services.CAMPAIGN_FIELDS}
        if change:
            services.campaign_update(campaign=obj, **settings)
        else:
            _adopt(obj, services.campaign_create(team=form.cleaned_data["team"], **settings))

    def save_formset(
        self,
        request: HttpRequest,
        form: ModelForm[Campaign],
        formset: BaseInlineFormSet[Any, Campaign, ModelForm[Any]],
        change: bool,
    ) -> None:
        if formset.model is not Reward:
            super().save_formset(request, form, formset, change)
            return
        campaign = form.instance
        # The admin's change message reads these three lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for reward_form in formset.forms:
            data = getattr(reward_form, "cleaned_data", None)
            reward = reward_form.instance
            if not data:
                continue
            if data.get("DELETE") and reward.pk:
                services.reward_delete(reward=reward)
                formset.deleted_objects.append(reward)
            elif data.get("DELETE"):
                continue
            elif reward.pk is None:
                fields = {field: data[field] for field in services.REWARD_FIELDS}
                formset.new_objects.append(services.reward_create(campaign=campaign, **fields))
            elif reward_form.has_changed():
                changed = {
                    field: data[field]
                    for field in reward_form.changed_data
                    if field in services.REWARD_FIELDS
                }
                services.reward_update(reward=reward, **changed)
                formset.changed_objects.append((reward, reward_form.changed_data))

    def has_delete_permission(self, request: HttpRequest, obj: Campaign | None = None) -> bool:
        # A team's default campaign is kept (every new subscriber joins it); a bulk delete
        # that selects one is refused as a whole (and campaign_delete refuses it too).
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: Campaign) -> None:
        services.campaign_delete(campaign=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        for campaign in queryset.order_by("pk"):
            services.campaign_delete(campaign=campaign)


class RewardAdminForm(forms.ModelForm[Reward]):
    add_coupon_codes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One code per line; added to the pool (duplicates are ignored).",
    )

    class Meta:
        model = Reward
        fields = ("name", "referrals", "recurring", "requires_approval")

    def clean_add_coupon_codes(self) -> list[str]:
        codes = [c.strip() for c in self.cleaned_data["add_coupon_codes"].splitlines()]
        codes = [c for c in codes if c]
        if len(codes) > MAX_COUPON_CODES:
            raise forms.ValidationError(COUPON_CODES_TOO_MANY_AT_ONCE)
        if any(len(c) > MAX_COUPON_CODE_CHARS for c in codes):
            raise forms.ValidationError(COUPON_CODE_TOO_LONG)
        return codes


@admin.register(Reward)
class RewardAdmin(ServiceErrorsAsMessages[Reward]):
    form = RewardAdminForm
    list_display = ("name", "campaign", "referrals", "recurring", "requires_approval", "coupons")
    list_select_related = ("campaign",)
    search_fields = ("public_id", "name", "campaign__public_id")
    readonly_fields = ("public_id", "campaign")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Reward]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                free=Count("coupons", filter=Q(coupons__handed_out_at__isnull=True)),
                total=Count("coupons"),
            )
        )

    @admin.display(description="coupons free / total")
    def coupons(self, obj: Reward) -> str:
        return f"{getattr(obj, 'free', 0)} / {getattr(obj, 'total', 0)}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rewards are added on their campaign

    def save_model(
        self, request: HttpRequest, obj: Reward, form: ModelForm[Reward], change: bool
    ) -> None:
        changed = {
            f: form.cleaned_data[f] for f in form.changed_data if f in services.REWARD_FIELDS
        }
        services.reward_update(reward=obj, **changed)
        codes = form.cleaned_data.get("add_coupon_codes", [])
        if codes:
            added = services.reward_coupons_add(reward=obj, codes=codes)
            self.message_user(request, COUPONS_ADDED.format(count=added), messages.SUCCESS)

    def delete_model(self, request: HttpRequest, obj: Reward) -> None:
        services.reward_delete(reward=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Reward]) -> None:
        for reward in queryset.order_by("pk"):
            services.reward_delete(reward=reward)


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin[Referral]):
    """Every referral; approve or reject pending ones in bulk (the queue: ReferralReview)."""

    list_display = (
        "referred",
        "referrer",
        "campaign",
        "status",
        "flagged",
        "reasons",
        "created_at",
    )
    list_filter = ["status", "flagged", "campaign__verification"]
    list_select_related = ("referred", "referrer", "campaign")
    search_fields = ("referred__email_normalized", "referrer__email_normalized")
    raw_id_fields = ("referred", "referrer", "campaign", "team")
    readonly_fields = (
        "team",
        "campaign",
        "referrer",
        "referred",
        "status",
        "flagged",
        "signals",
        "ip_address",
        "verify_after",
        "approved_at",
        "approved_by",
        "decided_at",
        "decided_by",
        "created_at",
    )
    paginator = CappedCountPaginator
    show_full_result_count = False
    actions = ("approve_referrals", "reject_referrals")

    @admin.display(description="reasons")
    def reasons(self, obj: Referral) -> str:
        return "; ".join(s.get("reason", s.get("code", "")) for s in obj.signals)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Referral | None = None) -> bool:
        return False

    @admin.action(
        description="Approve the selected referrals (verified once their subscriber confirms)",
        permissions=("change",),
    )
    def approve_referrals(self, request: HttpRequest, queryset: QuerySet[Referral]) -> None:
        staff = _staff(request)
        run_bulk_action(
            self,
            request,
            queryset,
            verb="Approved",
            call=lambda r: services.referral_approve(referral=r, decided_by=staff),
        )

    @admin.action(description="Reject the selected referrals", permissions=("change",))
    def reject_referrals(self, request: HttpRequest, queryset: QuerySet[Referral]) -> None:
        staff = _staff(request)
        run_bulk_action(
            self,
            request,
            queryset,
            verb="Rejected",
            call=lambda r: services.referral_reject(referral=r, decided_by=staff),
        )


@admin.register(ReferralReview)
class ReferralReviewAdmin(ReferralAdmin):
    """Only what waits for a decision: flagged and pending, oldest first."""

    list_filter = ["campaign__verification"]
    ordering = ("created_at", "id")

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        title = "Flagged referrals waiting for your decision (oldest first)"
        return super().changelist_view(request, {**(extra_context or {}), "title": title})

    def get_queryset(self, request: HttpRequest) -> QuerySet[Referral]:
        return super().get_queryset(request).filter(status=Referral.Status.PENDING, flagged=True)


@admin.register(RewardGrant)
class RewardGrantAdmin(admin.ModelAdmin[RewardGrant]):
    list_display = (
        "public_id",
        "reward",
        "subscriber",
        "occurrence",
        "status",
        "coupon_code",
        "unlocked_at",
        "redeemed_at",
    )
    list_filter = ("status",)
    list_select_related = ("reward", "subscriber")
    search_fields = ("public_id", "subscriber__email_normalized", "coupon_code")
    readonly_fields = tuple(
        f.name for f in RewardGrant._meta.get_fields() if getattr(f, "concrete", False)
    )
    paginator = CappedCountPaginator
    show_full_result_count = False
    actions = ("approve_grants", "reject_grants", "redeem_grants")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: RewardGrant | None = None) -> bool:
        return False

    @admin.action(
        description="Approve the selected rewards (unlock, hand out a coupon)",
        permissions=("change",),
    )
    def approve_grants(self, request: HttpRequest, queryset: QuerySet[RewardGrant]) -> None:
        staff = _staff(request)
        run_bulk_action(
            self,
            request,
            queryset,
            verb="Approved",
            call=lambda g: services.grant_approve(grant=g, decided_by=staff),
        )

    @admin.action(
        description="Refuse the selected rewards waiting for approval", permissions=("change",)
    )
    def reject_grants(self, request: HttpRequest, queryset: QuerySet[RewardGrant]) -> None:
        staff = _staff(request)
        run_bulk_action(
            self,
            request,
            queryset,
            verb="Refused",
            call=lambda g: services.grant_reject(grant=g, decided_by=staff),
        )

    @admin.action(description="Mark the selected rewards as redeemed", permissions=("change",))
    def redeem_grants(self, request: HttpRequest, queryset: QuerySet[RewardGrant]) -> None:
        staff = _staff(request)
        run_bulk_action(
            self,
            request,
            queryset,
            verb="Redeemed",
            call=lambda g: services.grant_redeem(grant=g, decided_by=staff),
        )


@admin.register(BlocklistEntry)
class BlocklistEntryAdmin(ServiceErrorsAsMessages[BlocklistEntry]):
    list_display = ("pattern", "kind", "team", "note", "created_at")
    list_filter = ("kind",)
    search_fields = ("pattern", "team__name")
    raw_id_fields = ("team",)

    def get_readonly_fields(
        self, request: HttpRequest, obj: BlocklistEntry | None = None
    ) -> tuple[str, ...]:
        return ("team",) if obj else ()

    def save_model(
        self,
        request: HttpRequest,
        obj: BlocklistEntry,
        form: ModelForm[BlocklistEntry],
        change: bool,
    ) -> None:
        data = form.cleaned_data
        if change:
            services.blocklist_entry_update(
                entry=obj, kind=data["kind"], pattern=data["pattern"], note=data["note"]
            )
            return
        entry = services.blocklist_entry_create(
            team=data["team"], kind=data["kind"], pattern=data["pattern"], note=data["note"]
        )
        _adopt(obj, entry)

    def delete_model(self, request: HttpRequest, obj: BlocklistEntry) -> None:
        services.blocklist_entry_delete(entry=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[BlocklistEntry]) -> None:
        for entry in queryset.order_by("pk"):
            services.blocklist_entry_delete(entry=entry)
