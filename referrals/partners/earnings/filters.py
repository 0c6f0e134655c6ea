"""Partner earnings: the django-filter FilterSet of the program referrals list."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import django_filters
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError

from referrals.partners.models import PartnerReferral

INVALID_DATE = "Invalid date format, expected YYYY-MM-DD"
STATUS_INVALID = "Status is invalid"
DATE_FORMATS = ["%Y-%m-%d"]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class PartnerReferralFilter(django_filters.FilterSet):
    """`referred_after` / `referred_before` (`YYYY-MM-DD`, inclusive, UTC days) and
    `status`. Ranges on `created_at` itself (not its date), so the list's index serves them."""

    referred_after = django_filters.DateFilter(method="filter_after", input_formats=DATE_FORMATS)
    referred_before = django_filters.DateFilter(method="filter_before", input_formats=DATE_FORMATS)
    status = django_filters.ChoiceFilter(choices=PartnerReferral.Status.choices)

    class Meta:
        model = PartnerReferral
        fields = ["referred_after", "referred_before", "status"]

    def filter_after(
        self, queryset: QuerySet[PartnerReferral], name: str, value: date
    ) -> QuerySet[PartnerReferral]:
        return queryset.filter(created_at__gte=_midnight(value))

    def filter_before(
        self, queryset: QuerySet[PartnerReferral], name: str, value: date
    ) -> QuerySet[PartnerReferral]:
        return queryset.filter(created_at__lt=_midnight(value + timedelta(days=1)))


FILTER_NAMES = ("referred_after", "referred_before", "status")


def partner_referrals_filter(
    queryset: QuerySet[PartnerReferral], params: Any
) -> QuerySet[PartnerReferral]:
    """`queryset` filtered by the query's filters; a bad one: 400 with the contract's string."""
    filterset = PartnerReferralFilter(params, queryset=queryset)
    if not filterset.is_valid():
        bad = filterset.errors
        raise ValidationError(
            INVALID_DATE if "referred_after" in bad or "referred_before" in bad else STATUS_INVALID
        )
    filtered: QuerySet[PartnerReferral] = filterset.qs
    return filtered


def has_filters(params: Any) -> bool:
    return any(params.get(name) not in (None, "") for name in FILTER_NAMES)
