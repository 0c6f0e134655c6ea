"""Partner earnings: admin pages (writes through the services; permissions on every action).

Partner referrals are read-only here (they change through settlement and the owner's
reject); payouts are marked paid (with the transfer reference typed beside the action) or
failed by permitted staff, and a month's payouts download as CSV.
"""

from __future__ import annotations

import csv
from datetime import date
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

from referrals.partners.earnings import services
from referrals.partners.models import EarningsEntry, PartnerReferral, Payout
from sparkloop.admin import CappedCountPaginator
from sparkloop.admin_actions import run_bulk_action

CSV_MONTH_INVALID = "Give the month as ?month=YYYY-MM."
CSV_COLUMNS = (
    "payout",
    "partner",
    "payout_email",
    "amount_cents",
    "amount_dollars",
    "currency",
    "period_start",
    "period_end",
    "referrals",
    "status",
    "reference",
    "created_at",
    "paid_at",
)


@admin.register(PartnerReferral)
class PartnerReferralAdmin(admin.ModelAdmin[PartnerReferral]):
    """Every partner referral, filtered by status, program and reason; never an exact COUNT
    of a million rows (the capped paginator)."""

    list_display = (
        "public_id",
        "email",
        "campaign",
        "status",
        "rejection_reason",
        "payable",
        "cpa_cents",
        "created_at",
        "pending_until",
    )
    list_filter = ("status", "rejection_reason", "payable", "program")
    list_select_related = ("campaign",)
    search_fields = ("=public_id", "=email")
    raw_id_fields = ("campaign", "program", "partner_profile", "team", "subscriber")
    ordering = ("-created_at", "-id")
    paginator = CappedCountPaginator
    show_full_result_count = False
    actions = None

    def get_readonly_fields(
        self, request: HttpRequest, obj: PartnerReferral | None = None
    ) -> list[str]:
        return [field.name for field in PartnerReferral._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: PartnerReferral | None = None
    ) -> bool:
        return False


@admin.register(EarningsEntry)
class EarningsEntryAdmin(admin.ModelAdmin[EarningsEntry]):
    """The append-only ledger, read-only: each line with what it comes from (a partner
    referral, an offer conversion a partner sent, a payout)."""

    list_display = ("id", "partner_profile", "kind", "amount_cents", "source", "created_at")
    list_filter = ("kind",)
    list_select_related = ("partner_profile", "referral", "offer_submission__offer", "payout")
    search_fields = ("=partner_profile__public_id",)
    raw_id_fields = ("partner_profile", "referral", "offer_submission", "payout")
    ordering = ("-created_at", "-id")
    paginator = CappedCountPaginator
    show_full_result_count = False
    actions = None

    @admin.display(description="from")
    def source(self, obj: EarningsEntry) -> str:
        if obj.referral is not None:
            return f"Partner referral {obj.referral.public_id}"
        if obj.offer_submission is not None:
            submission = obj.offer_submission
            return f"Offer {submission.offer.name} ({submission.public_id})"
        if obj.payout is not None:
            return f"Payout {obj.payout.public_id}"
        return "-"

    def get_readonly_fields(
        self, request: HttpRequest, obj: EarningsEntry | None = None
    ) -> list[str]:
        return [field.name for field in EarningsEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: EarningsEntry | None = None) -> bool:
        return False


class PayoutActionForm(ActionForm):
    reference = forms.CharField(
        required=False, label="Transfer reference (for “mark paid”)", max_length=255
    )


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin[Payout]):
    """Payouts: mark paid with the transfer reference, mark failed (the amount returns to
    the partner's balance), and `csv/?month=YYYY-MM` for a month's payouts."""

    list_display = (
        "public_id",
        "partner_profile",
        "amount_cents",
        "period_start",
        "period_end",
        "referrals_count",
        "status",
        "reference",
        "created_at",
        "paid_at",
    )
    list_filter = ("status", "period_end")
    list_select_related = ("partner_profile",)
    search_fields = ("=public_id", "=reference")
    raw_id_fields = ("partner_profile",)
    ordering = ("-created_at", "-id")
    action_form = PayoutActionForm
    actions = ("mark_paid", "mark_failed")
    paginator = CappedCountPaginator
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Payout | None = None) -> list[str]:
        return [field.name for field in Payout._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Payout | None = None) -> bool:
        return False

    @admin.action(
        description="Mark the selected payouts paid (with the transfer reference)",
        permissions=("change",),
    )
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[Payout]) -> None:
        reference = request.POST.get("reference", "")
        run_bulk_action(
            self,
            request,
            queryset,
            verb="Marked paid",
            noun="payout",
            call=lambda p: services.payout_mark_paid(payout=p, reference=reference),
        )

    @admin.action(
        description="Mark the selected payouts failed (back to the balance)",
        permissions=("change",),
    )
    def mark_failed(self, request: HttpRequest, queryset: QuerySet[Payout]) -> None:
        run_bulk_action(
            self,
            request,
            queryset,
            verb="Marked failed",
            noun="payout",
            call=lambda p: services.payout_mark_failed(payout=p),
        )

    def get_urls(self) -> list[URLPattern]:
        csv_view = self.admin_site.admin_view(self.csv_view)
        return [
            path("csv/", csv_view, name="partners_payout_csv"),
            *super().get_urls(),
        ]

    def csv_view(self, request: HttpRequest) -> HttpResponse:
        """The payouts of one month (by `period_end`), as CSV, for staff who may view them."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            year, month = (int(part) for part in request.GET.get("month", "").split("-"))
            start = date(year, month, 1)
        except ValueError:
            self.message_user(request, CSV_MONTH_INVALID, messages.ERROR)
            return HttpResponse(CSV_MONTH_INVALID, status=400, content_type="text/plain")
        end = date(year + month // 12, month % 12 + 1, 1)
        payouts = (
            Payout.objects.filter(period_end__gte=start, period_end__lt=end)
            .select_related("partner_profile")
            .order_by("period_end", "id")
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="payouts-{start:%Y-%m}.csv"'
        writer = csv.writer(response)
        writer.writerow(CSV_COLUMNS)
        for payout in payouts.iterator():
            writer.writerow(_row(payout))
        return response


def _cell(text: str) -> str:
    # A spreadsheet would run a cell that starts like a formula: make it text.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def _row(payout: Payout) -> list[Any]:
    return [
        payout.public_id,
        payout.partner_profile.public_id,
        _cell(payout.partner_profile.payout_email),
        payout.amount_cents,
        f"{payout.amount_cents / 100:.2f}",
        payout.currency,
        payout.period_start.isoformat(),
        payout.period_end.isoformat(),
        payout.referrals_count,
        payout.status,
        _cell(payout.reference),
        payout.created_at.isoformat(),
        payout.paid_at.isoformat() if payout.paid_at else "",
    ]
