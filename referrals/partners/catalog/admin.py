"""The partner catalogue: admin pages (writes through the services; permissions on every action).

Publications, programs and partner campaigns are read-only forms here: every change goes
through an action that calls a service (pause/activate a program, approve/reject a join
request), offered only to staff with the model's `change` permission. Lists never count a
whole table (CappedCountPaginator, no full result count).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest

from referrals.partners.catalog import selectors, services
from referrals.partners.models import PartnerCampaign, PartnerProgram, Publication
from sparkloop.admin import CappedCountPaginator
from sparkloop.admin_actions import run_bulk_action


class _ReadOnly(admin.ModelAdmin[Any]):
    paginator = CappedCountPaginator
    show_full_result_count = False
    ordering = ("-created_at", "-id")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Publication)
class PublicationAdmin(_ReadOnly):
    list_display = ("public_id", "name", "team", "status", "language", "created_at")
    list_filter = ("status",)
    list_select_related = ("team",)
    search_fields = ("=public_id", "name")
    actions = ("archive",)

    @admin.action(description="Archive the selected publications", permissions=("change",))
    def archive(self, request: HttpRequest, queryset: QuerySet[Publication]) -> None:
        run_bulk_action(
            self,
            request,
            queryset,
            verb="Archived",
            noun="publication",
            call=lambda p: services.publication_update(publication=p, status="archived"),
        )


class _BudgetChangeList(ChangeList):
    """The page's programs get this month's budget use in one query (program_facts)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        facts = selectors.program_facts(self.result_list)
        for program in self.result_list:
            program.budget_facts = facts.get(program.pk)


@admin.register(PartnerProgram)
class PartnerProgramAdmin(_ReadOnly):
    list_display = (
        "public_id",
        "publication",
        "team",
        "status",
        "cpa_cents",
        "total_budget_cents",
        "budget_used_this_month",
        "requires_approval",
        "show_in_directory",
        "created_at",
    )
    list_filter = ("status", "requires_approval", "show_in_directory")
    list_select_related = ("publication", "team")
    search_fields = ("=public_id", "=slug")
    actions = ("pause", "activate")

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return _BudgetChangeList

    @admin.display(description="used this month (¢, pending reserved)")
    def budget_used_this_month(self, program: PartnerProgram) -> int | None:
        facts = getattr(program, "budget_facts", None)
        return None if facts is None else facts.budget.total_cents

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Any], status: str) -> None:
        run_bulk_action(
            self,
            request,
            queryset,
            verb="Set to " + status,
            noun="program",
            call=lambda p: services.program_update(program=p, status=status),
        )

    @admin.action(description="Pause the selected programs", permissions=("change",))
    def pause(self, request: HttpRequest, queryset: QuerySet[PartnerProgram]) -> None:
        self._set_status(request, queryset, PartnerProgram.Status.PAUSED)

    @admin.action(description="Activate the selected programs", permissions=("change",))
    def activate(self, request: HttpRequest, queryset: QuerySet[PartnerProgram]) -> None:
        self._set_status(request, queryset, PartnerProgram.Status.ACTIVE)


class JoinRequestFilter(admin.SimpleListFilter):
    """The join-request queue: pending campaigns of programs that ask for approval."""

    title = "join requests"
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("pending", "Awaiting approval")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "pending":
            return queryset.filter(status=PartnerCampaign.Status.PENDING)
        return queryset


@admin.register(PartnerCampaign)
class PartnerCampaignAdmin(_ReadOnly):
    list_display = (
        "public_id",
        "partner_profile",
        "publication",
        "campaign_type",
        "status",
        "ref_code",
        "pending_count",
        "confirmed_count",
        "created_at",
    )
    list_filter = (JoinRequestFilter, "status", "campaign_type")
    list_select_related = ("partner_profile", "publication")
    search_fields = ("=public_id", "=ref_code")
    actions = ("approve", "reject")

    @admin.action(description="Approve the selected join requests", permissions=("change",))
    def approve(self, request: HttpRequest, queryset: QuerySet[PartnerCampaign]) -> None:
        run_bulk_action(
            self,
            request,
            queryset,
            verb="Approved",
            noun="join request",
            call=lambda c: services.partner_campaign_approve(campaign=c),
        )

    @admin.action(description="Reject the selected join requests", permissions=("change",))
    def reject(self, request: HttpRequest, queryset: QuerySet[PartnerCampaign]) -> None:
        run_bulk_action(
            self,
            request,
            queryset,
            verb="Rejected",
            noun="join request",
            call=lambda c: services.partner_campaign_reject(campaign=c),
        )
