"""Offers and their submissions in the admin: what converts and what it cost. Read-only
pages; every change is an action that calls a service (permissions checked on each)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from referrals.partners.models.offers import Offer, OfferSubmission
from referrals.partners.offers.services import offer_conversion_track, offer_update
from sparkloop.admin_actions import run_bulk_action
from sparkloop.api.fields import cents_to_dollars


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Rows are made through the API and the hosted pages; changed by the actions."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [field.name for field in self.model._meta.fields] + list(self.readonly_fields)


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "name",
        "team",
        "conversion_type",
        "visibility",
        "status",
        "cpa",
        "monthly_budget",
        "clicks_count",
        "conversions_count",
        "conversion_rate",
        "created_at",
    )
    list_filter = ("status", "conversion_type", "visibility")
    list_select_related = ("team",)
    search_fields = ("=public_id", "name", "team__name")
    readonly_fields = ("conversion_rate",)
    actions = ("pause_offers", "activate_offers", "archive_offers")

    @admin.display(description="CPA ($)")
    def cpa(self, obj: Offer) -> float | None:
        return cents_to_dollars(obj.cpa_cents)

    @admin.display(description="monthly budget ($)")
    def monthly_budget(self, obj: Offer) -> float | None:
        return cents_to_dollars(obj.monthly_budget_cents)

    @admin.display(description="conversion rate")
    def conversion_rate(self, obj: Offer) -> str:
        if not obj.clicks_count:
            return "-"
        return f"{100 * obj.conversions_count / obj.clicks_count:.1f}%"

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Offer], status: str) -> None:
        run_bulk_action(
            self,
            request,
            queryset,
            verb=f"Set to {status}",
            noun="offer",
            call=lambda offer: offer_update(offer=offer, status=status),
        )

    @admin.action(description="Pause", permissions=("change",))
    def pause_offers(self, request: HttpRequest, queryset: QuerySet[Offer]) -> None:
        self._set_status(request, queryset, Offer.Status.PAUSED)

    @admin.action(description="Activate", permissions=("change",))
    def activate_offers(self, request: HttpRequest, queryset: QuerySet[Offer]) -> None:
        self._set_status(request, queryset, Offer.Status.ACTIVE)

    @admin.action(description="Archive", permissions=("change",))
    def archive_offers(self, request: HttpRequest, queryset: QuerySet[Offer]) -> None:
        self._set_status(request, queryset, Offer.Status.ARCHIVED)


@admin.register(OfferSubmission)
class OfferSubmissionAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "offer",
        "partner_profile",
        "upscribe",
        "email",
        "converted_at",
        "cpa",
        "payable",
        "created_at",
    )
    list_filter = (
        "offer__conversion_type",
        "payable",
        ("converted_at", admin.EmptyFieldListFilter),
    )
    list_select_related = ("offer", "partner_profile", "upscribe")
    search_fields = ("=public_id", "=offer__public_id", "email")
    actions = ("track_conversions",)

    @admin.display(description="CPA ($)")
    def cpa(self, obj: OfferSubmission) -> float | None:
        return cents_to_dollars(obj.cpa_cents)

    @admin.action(description="Track the conversion (action offers)", permissions=("change",))
    def track_conversions(self, request: HttpRequest, queryset: QuerySet[OfferSubmission]) -> None:
        run_bulk_action(
            self,
            request,
            queryset.select_related("offer"),
            verb="Converted",
            noun="submission",
            call=lambda submission: offer_conversion_track(submission=submission),
        )
