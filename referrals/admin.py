"""Admin of referral campaigns: campaigns with rewards, the review queue, grants, blocklist.

Every state change goes through referrals.services, one transaction per row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from referrals import services
from referrals.models import (
    BlocklistEntry,
    Campaign,
    Referral,
    ReferralReview,
    Reward,
    RewardCoupon,
    RewardGrant,
)
from referrals.serializers import MAX_COUPON_CODES
from sparkloop.admin import CappedCountPaginator
from sparkloop.exceptions import ServiceError

# An action runs one service transaction per row inside one web request.
ACTION_LIMIT = 1000
TOO_MANY_SELECTED = "Select at most {limit} rows for this action."
ACTION_DONE = "{verb} {count} row(s)."
ACTION_FAILED = "{count} row(s) were left unchanged: {errors}"
MAX_COUPON_CODE_CHARS = 255
COUPON_CODES_TOO_MANY_AT_ONCE = f"Add at most {MAX_COUPON_CODES} codes at a time."
COUPON_CODE_TOO_LONG = f"A coupon code has at most {MAX_COUPON_CODE_CHARS} characters."


def _run_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    verb: str,
    call: Callable[[Any], object],
) -> None:
    rows = list(queryset[: ACTION_LIMIT + 1])
    if len(rows) > ACTION_LIMIT:
        modeladmin.message_user(
            request, TOO_MANY_SELECTED.format(limit=ACTION_LIMIT), messages.ERROR
        )
        return
    done, errors = 0, []
    for row in rows:
        try:
            call(row)
            done += 1
        except ServiceError as exc:
            errors.append(exc.message)
    if done:
        modeladmin.message_user(request, ACTION_DONE.format(verb=verb, count=done))
    if errors:
        modeladmin.message_user(
            request,
            ACTION_FAILED.format(count=len(errors), errors="; ".join(sorted(set(errors)))),
            messages.WARNING,
        )


def _staff(request: HttpRequest) -> str:
    return str(getattr(request.user, "get_username", lambda: "staff")())


class RewardInline(admin.TabularInline):
    model = Reward
    fields = ("name", "referrals", "recurring", "requires_approval", "public_id")
    readonly_fields = ("public_id",)
    extra = 0
    show_change_link = True


class CampaignAdmin(admin.ModelAdmin):
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
        self, request: HttpRequest, obj: Campaign, form: ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            services.campaign_update(
                campaign=obj,
                name=data["name"],
                landing_url=data["landing_url"],
                verification=data["verification"],
                holding_days=data["holding_days"],
            )
        else:
            created = services.campaign_create(
                team=data["team"],
                name=data["name"],
                landing_url=data["landing_url"],
                verification=data["verification"],
                holding_days=data["holding_days"],
            )
            obj.pk, obj.public_id, obj.created_at = (
                created.pk,
                created.public_id,
                created.created_at,
            )
        # Screening settings are plain configuration, read when a referral is recorded.
        Campaign.objects.filter(pk=obj.pk).update(
            screening_enabled=data["screening_enabled"],
            referrer_velocity_limit=data["referrer_velocity_limit"],
            ip_velocity_limit=data["ip_velocity_limit"],
        )

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        if formset.model is not Reward:
            super().save_formset(request, form, formset, change)
            return
        campaign = form.instance
        # The admin's change message reads these three lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for reward_form in formset.forms:
            data = getattr(reward_form, "cleaned_data", None)
            if not data:
                continue
            if data.get("DELETE") and reward_form.instance.pk:
                formset.deleted_objects.append(reward_form.instance)
                reward_form.instance.delete()
            elif reward_form.instance.pk is None:
                reward = services.reward_create(
                    campaign=campaign,
                    name=data["name"],
                    referrals=data["referrals"],
                    recurring=data["recurring"],
                    requires_approval=data["requires_approval"],
                )
                formset.new_objects.append(reward)
            elif reward_form.has_changed():
                # Applies to unlocks from now on; grants already made stay as they are.
                formset.changed_objects.append((reward_form.save(), reward_form.changed_data))

    def has_delete_permission(self, request: HttpRequest, obj: Campaign | None = None) -> bool:
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)


class RewardAdminForm(forms.ModelForm):
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


class RewardAdmin(admin.ModelAdmin):
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

    def save_model(self, request: HttpRequest, obj: Reward, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        codes = form.cleaned_data.get("add_coupon_codes", [])
        existing = set(
            RewardCoupon.objects.filter(reward=obj, code__in=codes).values_list("code", flat=True)
        )
        RewardCoupon.objects.bulk_create(
            [RewardCoupon(reward=obj, code=c) for c in dict.fromkeys(codes) if c not in existing]
        )


class ReferralAdmin(admin.ModelAdmin):
    """The review queue: filter on flagged + pending, then approve or reject in bulk."""

    list_display = (
        "referred",
        "referrer",
        "campaign",
        "status",
        "flagged",
        "reasons",
        "created_at",
    )
    list_filter = ("status", "flagged", "campaign__verification")
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
        _run_action(
            self,
            request,
            queryset,
            "Approved",
            lambda r: services.referral_approve(referral=r, decided_by=staff),
        )

    @admin.action(description="Reject the selected referrals", permissions=("change",))
    def reject_referrals(self, request: HttpRequest, queryset: QuerySet[Referral]) -> None:
        staff = _staff(request)
        _run_action(
            self,
            request,
            queryset,
            "Rejected",
            lambda r: services.referral_reject(referral=r, decided_by=staff),
        )


class ReferralReviewAdmin(ReferralAdmin):
    """Only what waits for a decision: flagged and pending, oldest first."""

    list_filter = ("campaign__verification",)
    ordering = ("created_at", "id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Referral]:
        return super().get_queryset(request).filter(status=Referral.Status.PENDING, flagged=True)


class RewardGrantAdmin(admin.ModelAdmin):
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
        _run_action(
            self,
            request,
            queryset,
            "Approved",
            lambda g: services.grant_approve(grant=g, decided_by=staff),
        )

    @admin.action(
        description="Refuse the selected rewards waiting for approval", permissions=("change",)
    )
    def reject_grants(self, request: HttpRequest, queryset: QuerySet[RewardGrant]) -> None:
        staff = _staff(request)
        _run_action(
            self,
            request,
            queryset,
            "Refused",
            lambda g: services.grant_reject(grant=g, decided_by=staff),
        )

    @admin.action(description="Mark the selected rewards as redeemed", permissions=("change",))
    def redeem_grants(self, request: HttpRequest, queryset: QuerySet[RewardGrant]) -> None:
        staff = _staff(request)
        _run_action(
            self,
            request,
            queryset,
            "Redeemed",
            lambda g: services.grant_redeem(grant=g, decided_by=staff),
        )


class BlocklistEntryAdmin(admin.ModelAdmin):
    list_display = ("pattern", "kind", "team", "note", "created_at")
    list_filter = ("kind",)
    search_fields = ("pattern", "team__name")
    raw_id_fields = ("team",)

    def save_model(
        self, request: HttpRequest, obj: BlocklistEntry, form: ModelForm, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        entry = services.blocklist_entry_create(
            team=obj.team, kind=obj.kind, pattern=obj.pattern, note=obj.note
        )
        obj.pk = entry.pk


admin.site.register(Campaign, CampaignAdmin)
admin.site.register(Reward, RewardAdmin)
admin.site.register(Referral, ReferralAdmin)
admin.site.register(ReferralReview, ReferralReviewAdmin)
admin.site.register(RewardGrant, RewardGrantAdmin)
admin.site.register(BlocklistEntry, BlocklistEntryAdmin)
