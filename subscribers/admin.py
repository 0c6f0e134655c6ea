"""Admin for subscribers and their value events: fast at millions of rows, writes via services."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR
from django.db.models import Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from sparkloop.admin import CappedCountPaginator, short_time
from sparkloop.admin_actions import run_bulk_action
from sparkloop.counters import counter_get
from sparkloop.exceptions import NotFound, ServiceError
from sparkloop.models import Team, TeamCounter
from subscribers.models import Subscriber, SubscriberEvent
from subscribers.selectors import COUNTER_SUBSCRIBERS
from subscribers.services import (
    subscriber_delete,
    subscriber_email_check,
    subscriber_reject,
    subscriber_unsubscribe,
    subscriber_update,
)
from subscribers.transfer.admin_mixins import SubscriberTransferAdminMixin

# Origins offered by the filter; listing them with SELECT DISTINCT would read every row.
KNOWN_ORIGINS = (Subscriber.ORIGIN_API, "signup", "sparkloop-upscribe", "api")
# How many teams the team filter lists; more are reached from a team's "Subscribers" link.
TEAM_FILTER_LIMIT = 30

BAD_TEAM = "The team filter takes a team id"

_MAX_CHAR = "\U0010ffff"  # sorts after every character: prefix <= s < prefix + _MAX_CHAR
# Query parameters of the change list that do not filter it.
_NOT_FILTERS = {PAGE_VAR, ORDER_VAR, "_changelist_filters", "_to_field", "_popup", "e"}


def subscriber_search_q(term: str) -> Q:
    """What a search box term matches, each shape served by a unique index.

    `sub_…` is a uuid (public_id). Any other term is an email prefix, matched on the
    lower-cased `email_normalized` (an exact address is its own prefix), or, without an `@`,
    also a ref_code. The prefix is also a range so that PostgreSQL walks the
    (team, email_normalized) index: LIKE alone can't use it outside the C collation.
    """
    term = term.strip()
    if term.startswith("sub_"):
        return Q(public_id=term)
    prefix = term.lower()
    email = Q(
        email_normalized__gte=prefix,
        email_normalized__lt=prefix + _MAX_CHAR,
        email_normalized__startswith=prefix,
    )
    return email if "@" in term else email | Q(ref_code=term)


def _filter_params(request: HttpRequest) -> dict[str, str]:
    return {
        k: v
        for k, v in request.GET.items()
        if k not in _NOT_FILTERS and isinstance(v, str) and v != ""
    }


def _team_param(request: HttpRequest) -> int | None:
    value = request.GET.get(TeamListFilter.parameter_name, "")
    return int(value) if value.isdigit() else None


RECENT_EVENTS = 10


class TeamListFilter(admin.SimpleListFilter):
    """Filter by team, listing a few teams (and the chosen one) instead of every team."""

    title = "team"
    parameter_name = "team"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        teams = list(Team.objects.order_by("name").values_list("pk", "name")[:TEAM_FILTER_LIMIT])
        chosen = _team_param(request)
        if chosen is not None and chosen not in {pk for pk, _ in teams}:
            teams += Team.objects.filter(pk=chosen).values_list("pk", "name")
        return [(str(pk), name) for pk, name in teams]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            raise IncorrectLookupParameters(BAD_TEAM)  # the admin's "?e=1" page, not a 500
        return queryset.filter(team_id=int(value))


class OriginListFilter(admin.SimpleListFilter):
    title = "origin"
    parameter_name = "origin"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        origins = list(KNOWN_ORIGINS)
        chosen = self.value()
        if chosen and chosen not in origins:
            origins.append(chosen)
        return [(origin, origin) for origin in origins]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(origin=value) if value else queryset


class SubscriberChangeForm(forms.ModelForm[Subscriber]):
    class Meta:
        model = Subscriber
        fields = ("email", "name")

    def clean_email(self) -> str:
        # The update service's own rules, with its own words (the API answers the same).
        try:
            return subscriber_email_check(
                team=self.instance.team, email=self.cleaned_data["email"], exclude=self.instance
            )
        except ServiceError as error:
            raise forms.ValidationError(error.message) from None


@admin.register(Subscriber)
class SubscriberAdmin(SubscriberTransferAdminMixin, admin.ModelAdmin[Subscriber]):
    form = SubscriberChangeForm
    # Six narrow columns fit 1,400 px; the uuid, ref code, source and counts are on the page.
    list_display = (
        "email",
        "team",
        "status",
        "referral_status",
        "verified_referrals",
        "created",
    )
    list_filter = (TeamListFilter, "status", "referral_status", OriginListFilter)
    list_select_related = ("team",)
    # A custom get_search_results does the matching; this only turns the search box on.
    search_fields = ("email_normalized",)
    search_help_text = "An email (exact, any case), an email prefix, a uuid (sub_…) or a ref code."
    raw_id_fields = ("team", "referrer")
    # Sorting by another column would sort every row of the team; the lists are newest first.
    sortable_by = ()
    show_full_result_count = False
    list_per_page = 50
    actions = ("unsubscribe", "reject_referral")
    readonly_fields = (
        "team",
        "public_id",
        "ref_code",
        "status",
        "referrer",
        "referrer_code",
        "referred",
        "referral_status",
        "referrals_count",
        "verified_referrals_count",
        "origin",
        "ip_address",
        "user_agent",
        "country_code",
        "cpa_cents",
        "utm_source",
        "utm_campaign",
        "created_at",
        "updated_at",
        "confirmed_at",
        "unsubscribed_at",
        "recent_events",
    )
    fieldsets = (
        (None, {"fields": ("team", "public_id", "email", "name", "status", "ref_code")}),
        (
            "Referral",
            {
                "fields": (
                    "referrer",
                    "referrer_code",
                    "referred",
                    "referral_status",
                    "referrals_count",
                    "verified_referrals_count",
                )
            },
        ),
        (
            "Source",
            {
                "fields": (
                    "origin",
                    "ip_address",
                    "user_agent",
                    "country_code",
                    "cpa_cents",
                    "utm_source",
                    "utm_campaign",
                )
            },
        ),
        ("Dates", {"fields": ("created_at", "updated_at", "confirmed_at", "unsubscribed_at")}),
        ("Value events", {"fields": ("recent_events",)}),
    )

    @admin.display(description="created", ordering="created_at")
    def created(self, obj: Subscriber) -> str:
        return short_time(obj.created_at)

    @admin.display(description="referrals", ordering="verified_referrals_count")
    def verified_referrals(self, obj: Subscriber) -> int:
        return obj.verified_referrals_count

    @admin.display(description=f"latest {RECENT_EVENTS}")
    def recent_events(self, obj: Subscriber) -> str:
        """The latest value events, in one query (the index on subscriber, -created_at)."""
        events = list(obj.events.order_by("-created_at")[:RECENT_EVENTS])
        if not events:
            return "None."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    event.created_at.strftime("%Y-%m-%d %H:%M"),
                    Decimal(event.value_cents) / 100,
                    event.description or "-",
                    event.campaign_uuid or "-",
                )
                for event in events
            ),
        )
        link = reverse("admin:subscribers_subscriberevent_changelist") + (f"?q={obj.public_id}")
        return format_html(
            "<table><thead><tr><th>when</th><th>value</th><th>description</th>"
            "<th>campaign</th></tr></thead><tbody>{}</tbody></table>"
            '<p><a href="{}">All of its events</a></p>',
            rows,
            link,
        )

    # --- the change list at millions of rows ------------------------------------------------

    def get_ordering(self, request: HttpRequest) -> tuple[str, ...]:
        # Within a team, (team, -created_at, -id) is the index every list uses. Across teams
        # no index has created_at first, so newest rows first is the primary key's order.
        if _team_param(request) is not None:
            return ("-created_at", "-id")
        return ("-id",)

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet[Subscriber],
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> CappedCountPaginator:
        return CappedCountPaginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            known_count=self._known_total(request),
        )

    def _known_total(self, request: HttpRequest) -> int | None:
        """The exact total from the maintained counters when the list is one they count."""
        params = _filter_params(request)
        if not params:
            total = TeamCounter.objects.filter(name=COUNTER_SUBSCRIBERS).aggregate(v=Sum("value"))[
                "v"
            ]
            return int(total or 0)
        team_id = _team_param(request)
        if set(params) == {TeamListFilter.parameter_name} and team_id is not None:
            return counter_get(team=team_id, name=COUNTER_SUBSCRIBERS)
        return None

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Subscriber], search_term: str
    ) -> tuple[QuerySet[Subscriber], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        queryset = queryset.filter(subscriber_search_q(term))
        if _team_param(request) is None and not term.startswith("sub_"):
            # The email and ref_code indexes lead with the team: naming every team turns a
            # scan of all rows into one index probe per team (`team_id = ANY(...)`).
            queryset = queryset.filter(team_id__in=list(Team.objects.values_list("pk", flat=True)))
        return queryset, False

    # --- writes go through the services -----------------------------------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # subscribers arrive through the API, which attributes referrals

    def save_model(
        self, request: HttpRequest, obj: Subscriber, form: forms.ModelForm[Subscriber], change: bool
    ) -> None:
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        if changes:
            subscriber_update(subscriber=obj, **changes)
            obj.refresh_from_db()

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        deleted, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        # The delete service erases a subscriber with what hangs off it (events, referral
        # records), as the API's DELETE does. That those rows are read-only on their own
        # admin pages must not stop staff who may delete the subscriber itself.
        return deleted, model_count, set(), protected

    def delete_model(self, request: HttpRequest, obj: Subscriber) -> None:
        with contextlib.suppress(NotFound):  # erased meanwhile: what staff asked for
            subscriber_delete(subscriber=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        for subscriber in queryset.order_by("pk").iterator():
            with contextlib.suppress(NotFound):
                subscriber_delete(subscriber=subscriber)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # A rule a form cannot see in advance (an email taken concurrently) is a message.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(description="Unsubscribe", permissions=("change",))
    def unsubscribe(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        run_bulk_action(
            self,
            request,
            queryset,
            verb="Unsubscribed",
            call=lambda s: subscriber_unsubscribe(subscriber=s, identifier=s.email),
        )

    @admin.action(description="Reject pending referral", permissions=("change",))
    def reject_referral(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        run_bulk_action(
            self,
            request,
            queryset,
            verb="Rejected the pending referral of",
            call=lambda s: subscriber_reject(subscriber=s, identifier=s.email),
        )


@admin.register(SubscriberEvent)
class SubscriberEventAdmin(admin.ModelAdmin[SubscriberEvent]):
    """Value events are facts recorded through the API: staff read them, never edit them."""

    list_display = ("public_id", "subscriber", "team", "value", "campaign_uuid", "created_at")
    list_select_related = ("subscriber", "team")
    search_fields = ("=public_id", "=subscriber__public_id")
    sortable_by = ()
    show_full_result_count = False
    ordering = ("-id",)
    raw_id_fields = ("team", "subscriber")

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet[SubscriberEvent],
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> CappedCountPaginator:
        return CappedCountPaginator(queryset, per_page, orphans, allow_empty_first_page)

    @admin.display(description="value")
    def value(self, obj: SubscriberEvent) -> str:
        return f"{Decimal(obj.value_cents) / 100:.2f}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
