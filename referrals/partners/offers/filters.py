"""Offers: a django-filter FilterSet for each list's query filters (bad values: 400, one
Rails-style sentence)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError

from referrals.partners.models.offers import Offer


def _invalid(label: str) -> dict[str, str]:
    message = f"{label} is invalid"
    return {
        "invalid_choice": message,
        "invalid": message,
        "max_digits": message,
        "min_value": message,
    }


class OfferFilter(django_filters.FilterSet):
    """`GET /v2/offers`: `status`, `conversion_type`, `visibility`."""

    status = django_filters.ChoiceFilter(
        choices=Offer.Status.choices, error_messages=_invalid("Status")
    )
    conversion_type = django_filters.ChoiceFilter(
        choices=Offer.ConversionType.choices, error_messages=_invalid("Conversion type")
    )
    visibility = django_filters.ChoiceFilter(
        choices=Offer.Visibility.choices, error_messages=_invalid("Visibility")
    )

    class Meta:
        model = Offer
        fields = ("status", "conversion_type", "visibility")


class NetworkOfferFilter(django_filters.FilterSet):
    """`GET /v2/partner_network/offers`: `conversion_type`, `cpa` (a minimum, dollars) and
    `query` (name, headline or description contains it, any case)."""

    conversion_type = django_filters.ChoiceFilter(
        choices=Offer.ConversionType.choices, error_messages=_invalid("Conversion type")
    )
    cpa = django_filters.NumberFilter(
        method="filter_cpa", min_value=Decimal(0), error_messages=_invalid("Cpa")
    )
    query = django_filters.CharFilter(method="filter_query", max_length=200)

    class Meta:
        model = Offer
        fields = ("conversion_type",)

    def filter_cpa(self, qs: QuerySet[Offer], name: str, value: Decimal) -> QuerySet[Offer]:
        return qs.filter(cpa_cents__gte=int(value * 100))

    def filter_query(self, qs: QuerySet[Offer], name: str, value: str) -> QuerySet[Offer]:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(name__icontains=value)
            | Q(headline__icontains=value)
            | Q(description__icontains=value)
        )


def filter_list(
    filterset: type[django_filters.FilterSet], params: Any, queryset: QuerySet[Any]
) -> QuerySet[Any]:
    """`queryset` narrowed by the request's query `params`; a bad value is a 400."""
    found = filterset(params, queryset=queryset)
    if not found.is_valid():
        field, messages = next(iter(found.errors.items()))
        raise ValidationError({field: [str(messages[0])]})
    filtered: QuerySet[Any] = found.qs
    return filtered
