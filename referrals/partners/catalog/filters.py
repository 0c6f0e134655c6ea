"""The partner catalogue: a django-filter FilterSet for each list's query filters.

Each filter's error is a Rails-style sentence (`Sort is invalid`); `filtered` applies a
FilterSet to a queryset and raises the first error as a 400.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

from referrals.partners.models import PartnerCampaign, PartnerProgram, Publication

ORDERS = [("asc", "asc"), ("desc", "desc")]
CHANNELS = [(c, c) for c in ("upscribe", "partner_link", "magic_link")]
COUNTRY = re.compile(r"^[A-Za-z]{2}$")
MAX_QUERY_WORDS = 8


def _invalid(field: str) -> dict[str, str]:
    message = f"{field} is invalid"
    return {"invalid_choice": message, "invalid": message}


def filtered(
    filterset: type[django_filters.FilterSet], data: Mapping[str, Any], queryset: QuerySet[Any]
) -> QuerySet[Any]:
    """`queryset` narrowed by `filterset` over the query `data`; a bad value is a 400."""
    bound = filterset(data=dict(data.items()), queryset=queryset)
    if not bound.is_valid():
        raise ValidationError(next(iter(bound.errors.values()))[0])
    return bound.qs


def _ordered(queryset: QuerySet[Any], data: Mapping[str, Any], sort: str | None) -> QuerySet[Any]:
    prefix = "" if data.get("order") == "asc" else "-"
    key = sort or "created_at"
    return queryset.order_by(f"{prefix}{key}", f"{prefix}id")


class PartnerCampaignFilter(django_filters.FilterSet):
    """`status` of the partner profile's campaigns and of a program's partners list."""

    status = django_filters.ChoiceFilter(
        choices=PartnerCampaign.Status.choices, error_messages=_invalid("Status")
    )

    class Meta:
        model = PartnerCampaign
        fields: list[str] = []


class NetworkPublicationFilter(django_filters.FilterSet):
    """`query` (every word in the name, description, language or categories), `sort`
    (`name`, `created_at`), `order` (`asc`, `desc`; default `desc`)."""

    query = django_filters.CharFilter(method="search", max_length=200)
    sort = django_filters.ChoiceFilter(
        choices=[("name", "name"), ("created_at", "created_at")],
        method="sort_by",
        error_messages=_invalid("Sort"),
    )
    order = django_filters.ChoiceFilter(
        choices=ORDERS, method="no_op", error_messages=_invalid("Order")
    )

    class Meta:
        model = Publication
        fields: list[str] = []

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        # The generated column is lower-cased, so a case-sensitive LIKE per word matches
        # any case and is what the trigram GIN index serves (EXPLAIN in bench/README.md).
        for word in value.lower().split()[:MAX_QUERY_WORDS]:
            queryset = queryset.filter(search_document__contains=word)
        return queryset

    def sort_by(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset  # applied in `qs`, after the other filters

    def no_op(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset

    @property
    def qs(self) -> QuerySet[Any]:
        return _ordered(super().qs, self.form.cleaned_data, self.form.cleaned_data.get("sort"))


class _Countries(django_filters.CharFilter):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(method="accepting", max_length=300, **kwargs)


class NetworkProgramFilter(django_filters.FilterSet):
    """`cpa` and `max_payout` (minimums, dollars), `accepted_countries` (comma-separated
    alpha-2: programs that accept every one), `can_be_recommended_via`, `sort` (`cpa`,
    `max_payout`, `created_at`), `order`."""

    cpa = django_filters.NumberFilter(
        field_name="cpa_cents", method="at_least", error_messages=_invalid("Cpa")
    )
    max_payout = django_filters.NumberFilter(
        field_name="max_payout_cents", method="at_least", error_messages=_invalid("Max payout")
    )
    accepted_countries = _Countries()
    can_be_recommended_via = django_filters.ChoiceFilter(
        choices=CHANNELS, method="via", error_messages=_invalid("Can be recommended via")
    )
    sort = django_filters.ChoiceFilter(
        choices=[("cpa", "cpa"), ("max_payout", "max_payout"), ("created_at", "created_at")],
        method="no_op",
        error_messages=_invalid("Sort"),
    )
    order = django_filters.ChoiceFilter(
        choices=ORDERS, method="no_op", error_messages=_invalid("Order")
    )

    class Meta:
        model = PartnerProgram
        fields: list[str] = []

    def at_least(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset.filter(**{f"{name}__gte": round(value * 100)})

    def via(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        # JSON containment is PostgreSQL-only; the list's text (`["upscribe", ...]`) holds
        # the quoted value on every backend.
        listed: QuerySet[Any] = queryset.alias(_via=Cast("can_be_recommended_via", TextField()))
        return listed.filter(_via__contains=f'"{value}"')

    def accepting(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        codes = [c.strip().upper() for c in value.split(",") if c.strip()]
        if not all(COUNTRY.match(c) for c in codes):
            raise ValidationError("Accepted countries is invalid")
        queryset = queryset.alias(
            _allowed=Cast("allowed_countries", TextField()),
            _blocked=Cast("blocked_countries", TextField()),
        )
        for code in codes:
            # The rules of selectors.program_accepts_location, as SQL: not blocked, and
            # worldwide or allowed (a restricted program with no allow list takes the rest).
            queryset = queryset.exclude(_blocked__contains=f'"{code}"').filter(
                Q(allow_worldwide_referrals=True)
                | Q(_allowed__contains=f'"{code}"')
                | Q(allowed_countries=[])
            )
        return queryset

    def no_op(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset

    @property
    def qs(self) -> QuerySet[Any]:
        data = self.form.cleaned_data
        sort = {"cpa": "cpa_cents", "max_payout": "max_payout_cents"}.get(
            data.get("sort") or "", data.get("sort") or None
        )
        return _ordered(super().qs, data, sort)
