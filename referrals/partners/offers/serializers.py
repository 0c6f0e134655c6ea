"""Wire shapes of offers (reference §11.8: money in dollars) and of their inputs (shape only;
the rules live in the services). Errors are one Rails-style sentence, as the partner side's."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from rest_framework import serializers

from referrals.partners.models.offers import Offer
from sparkloop.api.fields import TimestampField, cents_to_dollars

NO_FIELD_TO_UPDATE = "You have to update at least 1 field."
COUNTRY = re.compile(r"^[A-Za-z]{2}$")


def _blank(label: str) -> dict[str, Any]:
    message = f"{label} can't be blank"
    return {"required": message, "null": message, "blank": message}


def _invalid(label: str) -> dict[str, Any]:
    message = f"{label} is invalid"
    return {
        "invalid": message,
        "invalid_choice": message,
        "max_length": message,
        "max_digits": message,
        "max_decimal_places": message,
        "max_whole_digits": message,
        "min_value": message,
        "max_value": message,
        "not_a_list": message,
    }


def _text(label: str, max_length: int | None = None, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=max_length,
        error_messages=_invalid(label),
        **kwargs,
    )


def _url(label: str, **kwargs: Any) -> serializers.URLField:
    return serializers.URLField(
        max_length=1000, error_messages={**_invalid(label), **_blank(label)}, **kwargs
    )


def _dollars(label: str, **kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(10_000_000),
        error_messages={**_invalid(label), **_blank(label)},
        **kwargs,
    )


def _choice(label: str, choices: Any, **kwargs: Any) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=choices, error_messages={**_invalid(label), **_blank(label)}, **kwargs
    )


class CountryListField(serializers.ListField):
    """Alpha-2 codes, as a list or a comma-separated string; stored upper case."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        self.message = f"{label} is invalid"
        super().__init__(child=serializers.CharField(), required=False, **kwargs)

    def to_internal_value(self, data: Any) -> list[str]:
        if isinstance(data, str):
            data = [part for part in (p.strip() for p in data.split(",")) if part]
        if not isinstance(data, list) or not all(
            isinstance(code, str) and COUNTRY.match(code) for code in data
        ):
            raise serializers.ValidationError(self.message)
        return sorted({code.upper() for code in data})


class OfferCreateInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(
        max_length=255, error_messages={**_blank("Name"), **_invalid("Name")}
    )
    headline = _text("Headline", 255)
    description = _text("Description")
    callout = _text("Callout", 255)
    redirect_url = _url("Redirect url")
    conversion_type = _choice("Conversion type", Offer.ConversionType.choices)
    visibility = _choice("Visibility", Offer.Visibility.choices, required=False)
    status = _choice("Status", Offer.Status.choices, required=False)
    landscape_image_url = _url("Landscape image url", required=False, allow_blank=True)
    portrait_image_url = _url("Portrait image url", required=False, allow_blank=True)
    allow_worldwide_referrals = serializers.BooleanField(
        required=False, error_messages=_invalid("Allow worldwide referrals")
    )
    allowed_countries = CountryListField("Allowed countries")
    blocked_countries = CountryListField("Blocked countries")
    monthly_budget = _dollars("Monthly budget")
    cpa = _dollars("Cpa")
    conversion_event = _text("Conversion event", 255)
    terms = _text("Terms")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The wire's dollars are stored as cents.
        for wire, field in (("cpa", "cpa_cents"), ("monthly_budget", "monthly_budget_cents")):
            if wire in attrs:
                attrs[field] = int(attrs.pop(wire) * 100)
        return attrs


class OfferUpdateInputSerializer(OfferCreateInputSerializer):
    """Any create field, each optional; at least one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(NO_FIELD_TO_UPDATE)
        return super().validate(attrs)


def _geo(offer: Offer) -> dict[str, Any]:
    return {
        "allow_worldwide_referrals": offer.allow_worldwide_referrals,
        "allowed_countries": offer.allowed_countries,
        "blocked_countries": offer.blocked_countries,
    }


def offer_link(offer: Offer) -> str:
    """The offer's hosted click link, `<SITE_URL>/o/<offer_uuid>`."""
    return f"{settings.SITE_URL}/o/{offer.public_id}"


def remaining_budget_cents(offer: Offer) -> int:
    used = int(getattr(offer, "budget_used_cents", 0) or 0)
    return max(0, offer.monthly_budget_cents - used)


class OfferOutputSerializer(serializers.ModelSerializer[Offer]):
    """The Offer Object (reference §11.8), plus our extensions: `offer_url`, this month's
    `budget_used_this_month` and `remaining_budget_dollars`, `clicks` and `conversions`."""

    uuid = serializers.CharField(source="public_id")
    created_at = TimestampField()
    geo_restrictions = serializers.SerializerMethodField()
    monthly_budget = serializers.SerializerMethodField()
    cpa = serializers.SerializerMethodField()
    offer_url = serializers.SerializerMethodField()
    budget_used_this_month = serializers.SerializerMethodField()
    remaining_budget_dollars = serializers.SerializerMethodField()
    clicks = serializers.IntegerField(source="clicks_count")
    conversions = serializers.IntegerField(source="conversions_count")

    class Meta:
        model = Offer
        fields = (
            "uuid",
            "name",
            "headline",
            "description",
            "callout",
            "redirect_url",
            "conversion_type",
            "visibility",
            "status",
            "created_at",
            "landscape_image_url",
            "portrait_image_url",
            "geo_restrictions",
            "monthly_budget",
            "cpa",
            "conversion_event",
            "terms",
            "offer_url",
            "budget_used_this_month",
            "remaining_budget_dollars",
            "clicks",
            "conversions",
        )

    def get_geo_restrictions(self, offer: Offer) -> dict[str, Any]:
        return _geo(offer)

    def get_monthly_budget(self, offer: Offer) -> float | None:
        return cents_to_dollars(offer.monthly_budget_cents)

    def get_cpa(self, offer: Offer) -> float | None:
        return cents_to_dollars(offer.cpa_cents)

    def get_offer_url(self, offer: Offer) -> str:
        return offer_link(offer)

    def get_budget_used_this_month(self, offer: Offer) -> float | None:
        return cents_to_dollars(int(getattr(offer, "budget_used_cents", 0) or 0))

    def get_remaining_budget_dollars(self, offer: Offer) -> float | None:
        return cents_to_dollars(remaining_budget_cents(offer))


class NetworkOfferOutputSerializer(serializers.ModelSerializer[Offer]):
    """Another team's offer as the partner network shows it: its public terms only (no
    budget, no counters), and the viewer's own link to send visitors through."""

    uuid = serializers.CharField(source="public_id")
    created_at = TimestampField()
    geo_restrictions = serializers.SerializerMethodField()
    cpa = serializers.SerializerMethodField()
    offer_url = serializers.SerializerMethodField()

    class Meta:
        model = Offer
        fields = (
            "uuid",
            "name",
            "headline",
            "description",
            "callout",
            "conversion_type",
            "status",
            "created_at",
            "landscape_image_url",
            "portrait_image_url",
            "geo_restrictions",
            "cpa",
            "conversion_event",
            "terms",
            "offer_url",
        )

    def get_geo_restrictions(self, offer: Offer) -> dict[str, Any]:
        return _geo(offer)

    def get_cpa(self, offer: Offer) -> float | None:
        return cents_to_dollars(offer.cpa_cents)

    def get_offer_url(self, offer: Offer) -> str:
        partner = self.context.get("partner_id")
        return offer_link(offer) + (f"?partner={partner}" if partner else "")
