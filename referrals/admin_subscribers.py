"""What the referrals app adds to other admin pages: a subscriber's campaigns and referrals on
its change page, and the referrals of the week on the admin index (`sparkloop.dashboard`).

The subscribers app cannot know about referrals (it sits below them), so its admin is
extended here, where both are known, and registered again in its place.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from referrals.models import CampaignMembership, Referral
from sparkloop.dashboard import register_column
from subscribers.admin import SubscriberAdmin
from subscribers.models import Subscriber

SHOWN = 20


def _table(headers: tuple[str, ...], rows: list[tuple[Any, ...]], more: str = "") -> SafeString:
    head = format_html_join("", "<th>{}</th>", ((header,) for header in headers))
    cells = "".join("<td>{}</td>" for _ in headers)
    body = format_html_join("", "<tr>" + cells + "</tr>", rows)
    return format_html(
        "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>{}",
        head,
        body,
        format_html("<p>{}</p>", more) if more else "",
    )


def _link(obj: Any, text: str) -> SafeString:
    meta = obj._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text)


class SubscriberWithReferralsAdmin(SubscriberAdmin):
    """The subscriber page, with its campaigns, the referral that brought it and those it
    made (the latest ones, a query each, whatever their number)."""

    extra_fields = ("campaigns", "referred_by", "referrals_made")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*super().get_readonly_fields(request, obj), *self.extra_fields)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        section = ("Campaigns and referrals", {"fields": self.extra_fields})
        return (*super().get_fieldsets(request, obj), section)

    @admin.display(description="campaigns")
    def campaigns(self, obj: Subscriber) -> str:
        memberships = list(
            CampaignMembership.objects.filter(subscriber=obj)
            .select_related("campaign")
            .order_by("-created_at")[:SHOWN]
        )
        if not memberships:
            return "None."
        return _table(
            ("campaign", "membership", "verified referrals", "joined"),
            [
                (
                    _link(m.campaign, m.campaign.name),
                    m.public_id,
                    m.verified_referrals_count,
                    m.created_at.strftime("%Y-%m-%d"),
                )
                for m in memberships
            ],
        )

    @admin.display(description="referred by")
    def referred_by(self, obj: Subscriber) -> str:
        referrals = list(
            Referral.objects.filter(referred=obj)
            .select_related("referrer", "campaign")
            .order_by("-created_at")[:SHOWN]
        )
        if not referrals:
            return "Nobody (not referred)."
        return _table(
            ("referrer", "campaign", "status", "flagged"),
            [
                (
                    _link(r.referrer, r.referrer.email) if r.referrer else "-",
                    r.campaign.name,
                    _link(r, r.status),
                    "yes" if r.flagged else "no",
                )
                for r in referrals
            ],
        )

    @admin.display(description=f"referrals made (latest {SHOWN})")
    def referrals_made(self, obj: Subscriber) -> str:
        referrals = list(
            Referral.objects.filter(referrer=obj)
            .select_related("referred", "campaign")
            .order_by("-created_at")[:SHOWN]
        )
        if not referrals:
            return "None."
        more = ""
        if len(referrals) == SHOWN:
            url = reverse("admin:referrals_referral_changelist")
            more = format_html('<a href="{}?q={}">All of them</a>', url, obj.email_normalized)
        return _table(
            ("referred", "campaign", "status", "when"),
            [
                (
                    _link(r.referred, r.referred.email),
                    r.campaign.name,
                    _link(r, r.status),
                    r.created_at.strftime("%Y-%m-%d %H:%M"),
                )
                for r in referrals
            ],
            more,
        )


admin.site.unregister(Subscriber)
admin.site.register(Subscriber, SubscriberWithReferralsAdmin)


def referrals_this_week(team_ids: list[int]) -> dict[int, int]:
    since = timezone.now() - timedelta(days=7)
    rows = (
        Referral.objects.filter(team_id__in=team_ids, created_at__gte=since)
        .values("team_id")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {row["team_id"]: row["count"] for row in rows}


register_column("referrals this week", referrals_this_week)
