"""Admin for teams and their API keys, and the paginator shared by admins of big tables."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from axes import admin as axes_admin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db.models import BigIntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import PeriodicTask

from sparkloop.admin_actions import action_with_permissions, run_bulk_action
from sparkloop.counters import TEAM_SUBSCRIBERS, counter_get
from sparkloop.models import ApiKey, Team, TeamCounter, TeamMembership
from sparkloop.services import api_key_create, api_key_revoke, team_create

KEY_CREATED = "The API key “{name}” of {team} is: {raw} — copy it now, it will not be shown again."
KEYS_ALREADY_REVOKED = "{count} selected key(s) were already revoked."


def short_time(value: Any) -> str:
    """A list column's timestamp, short: `2021-03-24 11:55` (UTC)."""
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


class CappedCountPaginator(Paginator[Any]):
    """A paginator that never counts a whole big table.

    It takes a total known without counting rows (a maintained counter) when there is one;
    otherwise it counts at most `cap + 1` rows (`COUNT(*)` over a `LIMIT` subquery), so a
    filter matching millions costs as much as one matching `cap`. Pages past the cap are
    unreachable: staff narrow the list with a filter or a search instead.
    """

    object_list: QuerySet[Any]

    def __init__(
        self,
        object_list: QuerySet[Any],
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
        *,
        known_count: int | None = None,
        cap: int = 10_000,
    ) -> None:
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.known_count = known_count
        self.cap = cap

    @cached_property
    def count(self) -> int:
        if self.known_count is not None:
            return max(self.known_count, 0)
        # Without ORDER BY the database may stop at the first cap + 1 rows it finds.
        return min(self.object_list.order_by()[: self.cap + 1].count(), self.cap)


def _subscriber_total() -> Coalesce:
    total = Subquery(
        TeamCounter.objects.filter(team=OuterRef("pk"), name=TEAM_SUBSCRIBERS)
        .values("team")
        .annotate(total=Sum("value"))
        .values("total")
    )
    return Coalesce(total, 0, output_field=BigIntegerField())


class ApiKeyInline(admin.TabularInline[ApiKey, Team]):
    """A team's keys, read-only: a key is created on its own page, which shows it once."""

    model = ApiKey
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("prefix", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    ordering = ("-created_at",)

    def has_add_permission(self, request: HttpRequest, obj: Team | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Team | None = None) -> bool:
        return False


# The site's name in its own words, and the whole width for the lists: the app sidebar would
# take 300 of 1,400 px from every change list (the index and breadcrumbs still lead anywhere).
admin.site.site_header = "Newsletter referrals administration"
admin.site.site_title = "Newsletter referrals"
admin.site.enable_nav_sidebar = False

admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
    """django-celery-beat's own, with its actions (enable, disable, toggle, run now) offered
    only to staff who may change periodic tasks, not to every staff user who can see them."""

    actions = tuple(
        action_with_permissions(getattr(beat_admin.PeriodicTaskAdmin, name), "change")
        for name in beat_admin.PeriodicTaskAdmin.actions
    )


admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    """django-axes' own, its clean-up of expired attempts offered only to staff who may delete
    them (unlocking an address or account is deleting its attempts)."""

    actions = tuple(
        action_with_permissions(getattr(axes_admin.AccessAttemptAdmin, name), "delete")
        for name in axes_admin.AccessAttemptAdmin.actions
    )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ("name", "public_id", "rate_limit_tier", "subscriber_count", "created_at")
    list_filter = ("rate_limit_tier",)
    search_fields = ("name", "=public_id")
    ordering = ("name",)
    readonly_fields = (
        "public_id",
        "webhook_token_hint",
        "created_at",
        "subscriber_count",
        "links",
    )
    fieldsets = (
        (None, {"fields": ("name", "public_id", "created_at", "subscriber_count", "links")}),
        ("Rate limits", {"fields": ("rate_limit_tier", "custom_rate_limit", "custom_rate_period")}),
        ("Webhooks", {"fields": ("webhook_token_hint",)}),
    )
    inlines = (ApiKeyInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        # One subquery per page for the maintained counter instead of a query per row.
        return super().get_queryset(request).annotate(subscriber_total=_subscriber_total())

    # Encrypted at rest and shown by a prefix only; the team reads it with its key
    # (`GET /v2/webhooks/token`).
    @admin.display(description="webhook token (SparkLoop-Token)")
    def webhook_token_hint(self, obj: Team) -> str:
        return obj.webhook_token[:6] + "…" if obj.webhook_token else "-"

    @admin.display(description="subscribers")
    def subscriber_count(self, obj: Team) -> int:
        if not obj.pk:  # the add page
            return 0
        total = getattr(obj, "subscriber_total", None)
        return counter_get(team=obj, name=TEAM_SUBSCRIBERS) if total is None else total

    @admin.display(description="")
    def links(self, obj: Team) -> str:
        if not obj.pk:  # the add page
            return "-"
        subscribers = reverse("admin:subscribers_subscriber_changelist") + f"?team={obj.pk}"
        add_key = reverse("admin:sparkloop_apikey_add") + f"?team={obj.pk}"
        return format_html(
            '<a href="{}">Subscribers</a> · <a href="{}">Add an API key</a>',
            subscribers,
            add_key,
        )

    def save_model(
        self, request: HttpRequest, obj: Team, form: ModelForm[Team], change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new team starts like one made anywhere else (its default campaign and so on).
        team = team_create(name=obj.name, rate_limit_tier=obj.rate_limit_tier)
        for field in ("pk", "public_id", "webhook_token", "created_at"):
            setattr(obj, field, getattr(team, field))
        obj._state.adding = False
        obj._state.db = team._state.db
        obj.save(update_fields=["custom_rate_limit", "custom_rate_period"])

    # Deleting a team cascades over all its subscribers, possibly millions of rows, and the
    # confirmation page would list them all; that is a job for a shell, not a web request.
    def has_delete_permission(self, request: HttpRequest, obj: Team | None = None) -> bool:
        return False


class ApiKeyAddForm(ModelForm[ApiKey]):
    class Meta:
        model = ApiKey
        fields = ("team", "name")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    list_display = ("prefix", "name", "team", "created_at", "last_used_at", "revoked")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("team",)
    search_fields = ("=prefix", "name", "team__name")
    raw_id_fields = ("team",)
    ordering = ("-created_at", "-id")
    actions = ("revoke_keys",)
    # key_hash is never shown nor editable; the raw key exists only in the add response.
    fields = ("team", "name", "prefix", "created_at", "last_used_at", "revoked_at")

    def get_readonly_fields(
        self, request: HttpRequest, obj: ApiKey | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ()
        return ("team", "prefix", "created_at", "last_used_at", "revoked_at")

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("team", "name")
        return self.fields

    def get_form(
        self, request: HttpRequest, obj: ApiKey | None = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm[ApiKey]]:
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(boolean=True, description="revoked", ordering="revoked_at")
    def revoked(self, obj: ApiKey) -> bool:
        return obj.revoked_at is not None

    def save_model(
        self, request: HttpRequest, obj: ApiKey, form: ModelForm[ApiKey], change: bool
    ) -> None:
        if change:
            obj.save(update_fields=["name"])  # the only editable field of an existing key
            return
        key, raw = api_key_create(team=obj.team, name=obj.name)
        for field in ApiKey._meta.concrete_fields:
            setattr(obj, field.attname, getattr(key, field.attname))
        obj._state.adding = False
        obj._state.db = key._state.db
        obj._raw_key = raw  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None
    ) -> HttpResponse:
        raw = getattr(obj, "_raw_key", None)
        if raw is not None:
            # A message is shown on the next page and then dropped: the key is seen once.
            messages.warning(request, KEY_CREATED.format(name=obj.name, team=obj.team, raw=raw))
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description="Revoke selected keys", permissions=("change",))
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        already = queryset.filter(revoked_at__isnull=False).count()
        run_bulk_action(
            self,
            request,
            queryset.filter(revoked_at__isnull=True),
            verb="Revoked",
            noun="API key",
            call=lambda key: api_key_revoke(key=key),
        )
        if already:
            self.message_user(request, KEYS_ALREADY_REVOKED.format(count=already), messages.INFO)


@admin.register(TeamMembership)
class TeamMembershipAdmin(admin.ModelAdmin[TeamMembership]):
    list_display = ("user", "team", "created_at")
    search_fields = ("user__username", "team__name")
    raw_id_fields = ("user", "team")
