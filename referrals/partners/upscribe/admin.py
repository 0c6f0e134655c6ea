"""Upscribes: admin pages (writes through the services; permissions on every action).

An upscribe's page shows its recommendation settings inline (pinned, position, reason,
paused; saved through `recommendation_setting_update`) and its last 30 days per
recommendation: impressions, picks, the picks' referrals by status and earnings.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from referrals.partners.models.upscribe import Upscribe, UpscribeRecommendation
from referrals.partners.offers.selectors import upscribe_offer_stats
from referrals.partners.upscribe import selectors, services
from referrals.partners.upscribe.serializers import stats_add
from sparkloop.admin_actions import run_bulk_action
from sparkloop.exceptions import ServiceError

NOT_A_RECOMMENDATION = "{ref_code} is not one of this upscribe's recommendations."


class RecommendationSettingFormSet(BaseInlineFormSet[Any, Upscribe, ModelForm[Any]]):
    def clean(self) -> None:
        super().clean()
        upscribe = self.instance
        for row in self.forms:
            campaign = getattr(row, "cleaned_data", {}).get("campaign")
            if campaign is None or not row.has_changed():
                continue
            try:
                selectors.recommendation_get(upscribe=upscribe, identifier=campaign.public_id)
            except ServiceError:
                raise ValidationError(
                    NOT_A_RECOMMENDATION.format(ref_code=campaign.ref_code)
                ) from None


class RecommendationSettingInline(admin.TabularInline[UpscribeRecommendation, Upscribe]):
    model = UpscribeRecommendation
    formset = RecommendationSettingFormSet
    extra = 0
    can_delete = False
    raw_id_fields = ("campaign",)
    fields = ("campaign", "pinned", "position", "reason", "paused")
    readonly_fields = ("position",)
    verbose_name = "recommendation setting"

    def get_readonly_fields(
        self, request: HttpRequest, obj: Upscribe | None = None
    ) -> tuple[str, ...]:
        return self.readonly_fields


def _money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


@admin.register(Upscribe)
class UpscribeAdmin(admin.ModelAdmin[Upscribe]):
    list_display = (
        "public_id",
        "team",
        "publication",
        "active",
        "auto_pilot",
        "show_offers",
        "created_at",
    )
    list_filter = ("active", "auto_pilot", "show_offers")
    search_fields = ("public_id", "team__name", "publication__name")
    list_select_related = ("team", "publication")
    raw_id_fields = ("team", "publication")
    readonly_fields = ("public_id", "created_at", "updated_at", "last_30_days")
    inlines = (RecommendationSettingInline,)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "team",
                    "publication",
                    "public_id",
                    "active",
                    "auto_pilot",
                    "show_offers",
                )
            },
        ),
        (
            "Widget",
            {
                "fields": (
                    "after_submission_behaviour",
                    "redirect_url",
                    "visibility_rules",
                    "after_submission_rules",
                )
            },
        ),
        ("Last 30 days", {"fields": ("last_30_days",)}),
        (None, {"fields": ("created_at", "updated_at")}),
    )

    def get_readonly_fields(
        self, request: HttpRequest, obj: Upscribe | None = None
    ) -> tuple[str, ...]:
        return (*self.readonly_fields, "team", "publication") if obj else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Upscribe | None = None) -> bool:
        return False  # its picks keep the referrals' history: deactivate it instead

    @admin.display(description="Impressions, picks, referrals and earnings")
    def last_30_days(self, obj: Upscribe) -> SafeString | str:
        if obj._state.adding:
            return "-"
        total, per = selectors.upscribe_stats(upscribe=obj)
        campaigns = selectors.stats_campaigns(upscribe=obj, campaign_ids=per)
        labelled = [(c.publication.name, c.ref_code, per[c.pk]) for c in campaigns]
        offers = upscribe_offer_stats(upscribe=obj)  # offers: their rows, in the totals
        labelled += [(f"Offer: {o.name}", o.public_id, stats) for o, stats in offers]
        total = stats_add(total, *(stats for _, stats in offers))
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td><td>{}</td></tr>",
            (
                (
                    label,
                    code,
                    stats.impressions,
                    stats.picks,
                    stats.pending,
                    stats.confirmed,
                    stats.rejected,
                    _money(stats.earnings_cents),
                )
                for label, code, stats in labelled
            ),
        )
        return format_html(
            "<table><thead><tr><th>recommendation</th><th>ref code</th><th>impressions</th>"
            "<th>picks</th><th>pending</th><th>confirmed</th><th>rejected</th>"
            "<th>earnings</th></tr></thead><tbody>{}</tbody><tfoot><tr><th>all</th><th></th>"
            "<th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></tfoot>"
            "</table>",
            rows,
            total.impressions,
            total.picks,
            total.pending,
            total.confirmed,
            total.rejected,
            _money(total.earnings_cents),
        )

    def save_model(
        self, request: HttpRequest, obj: Upscribe, form: ModelForm[Upscribe], change: bool
    ) -> None:
        fields = {field: form.cleaned_data[field] for field in services.UPSCRIBE_FIELDS}
        if change:
            services.upscribe_update(upscribe=obj, **fields)
            return
        made = services.upscribe_create(
            team=form.cleaned_data["team"], publication=form.cleaned_data["publication"], **fields
        )
        obj.pk, obj.public_id = made.pk, made.public_id  # the admin redirects to it

    def save_formset(
        self,
        request: HttpRequest,
        form: ModelForm[Upscribe],
        formset: BaseInlineFormSet[Any, Upscribe, ModelForm[Any]],
        change: bool,
    ) -> None:
        upscribe = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.forms:
            data = getattr(row, "cleaned_data", None)
            if not data or not row.has_changed():
                continue
            setting = services.recommendation_setting_update(
                upscribe=upscribe,
                campaign=data["campaign"],
                pinned=data["pinned"],
                paused=data["paused"],
                reason=data["reason"] or None,
            )
            if row.instance._state.adding:
                formset.new_objects.append(setting)
            else:
                formset.changed_objects.append((setting, row.changed_data))


@admin.register(UpscribeRecommendation)
class UpscribeRecommendationAdmin(admin.ModelAdmin[UpscribeRecommendation]):
    list_display = ("upscribe", "campaign", "pinned", "position", "paused", "updated_at")
    list_filter = ("pinned", "paused")
    search_fields = ("upscribe__public_id", "campaign__public_id", "campaign__ref_code")
    list_select_related = ("upscribe", "campaign")
    readonly_fields = ("upscribe", "campaign", "pinned", "position", "reason", "paused")
    actions = ("pin", "unpin", "pause", "unpause")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made from the upscribe's page, or by the API

    def has_delete_permission(
        self, request: HttpRequest, obj: UpscribeRecommendation | None = None
    ) -> bool:
        return False

    def _set(
        self,
        request: HttpRequest,
        queryset: QuerySet[UpscribeRecommendation],
        verb: str,
        **change: Any,
    ) -> None:
        run_bulk_action(
            self,
            request,
            queryset.select_related("upscribe", "campaign"),
            verb=verb,
            noun="recommendation",
            call=lambda row: services.recommendation_setting_update(
                upscribe=row.upscribe, campaign=row.campaign, **change
            ),
        )

    @admin.action(description="Pin the selected recommendations", permissions=("change",))
    def pin(self, request: HttpRequest, queryset: QuerySet[UpscribeRecommendation]) -> None:
        self._set(request, queryset, "Pinned", pinned=True)

    @admin.action(description="Unpin the selected recommendations", permissions=("change",))
    def unpin(self, request: HttpRequest, queryset: QuerySet[UpscribeRecommendation]) -> None:
        self._set(request, queryset, "Unpinned", pinned=False)

    @admin.action(description="Pause the selected recommendations", permissions=("change",))
    def pause(self, request: HttpRequest, queryset: QuerySet[UpscribeRecommendation]) -> None:
        self._set(request, queryset, "Paused", paused=True)

    @admin.action(description="Unpause the selected recommendations", permissions=("change",))
    def unpause(self, request: HttpRequest, queryset: QuerySet[UpscribeRecommendation]) -> None:
        self._set(request, queryset, "Unpaused", paused=False)
