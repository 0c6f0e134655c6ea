"""The partner catalogue: input serializers (shape only, Rails-style error sentences).

The wire objects' renderers are in `catalog/objects.py`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.utils import html

from referrals.partners.models import PartnerProgram
from sparkloop.api.fields import StrictCharField

CATEGORIES = (
    "marketing",
    "tech",
    "food & drink",
    "sports",
    "health & fitness",
    "news",
    "finance",
    "web3.0",
    "TV & movie",
    "literature",
    "science",
    "politics",
    "lifestyle",
    "business",
    "art & design",
    "travel",
    "media",
)
AUDIENCE_GENDERS = ("almost_all_male", "mainly_male", "mixed", "mainly_female", "almost_all_female")
INCOME_LEVELS = (
    "less than $20k",
    "$20k - $50k",
    "$50k - $75k",
    "$75k - $100k",
    "$100k - $150k",
    "$150k+",
)
AGE_RANGES = ("under 18", "18 - 24", "25 - 39", "40 - 59", "60+")
CHANNELS = ("upscribe", "partner_link", "magic_link")
MAX_CATEGORIES = 3
COUNTRY = re.compile(r"^[A-Za-z]{2}$")
LOGO_MAX_BYTES = 1024 * 1024
LOGO_INVALID = "Logo must be a PNG or JPEG image under 1 MB"
CATEGORIES_TOO_LONG = "Categories is too long (maximum is 3)"
NO_FIELD_TO_UPDATE = "You have to update at least 1 field."


INVALID_KEYS = (
    "invalid",
    "invalid_choice",
    "max_length",
    "min_value",
    "max_value",
    "max_digits",
    "max_decimal_places",
    "max_whole_digits",
    "not_a_list",
    "not_a_dict",
    "empty",
)


def label(name: str) -> str:
    """`income_levels` -> `Income levels`: Rails' humanised attribute name."""
    return name.replace("_", " ").capitalize()


def rails(name: str) -> dict[str, Any]:
    """A field's error messages as Rails words them: blank, or invalid for anything else."""
    blank, invalid = f"{label(name)} can't be blank", f"{label(name)} is invalid"
    return {
        "required": blank,
        "null": blank,
        "blank": blank,
        **dict.fromkeys(
            (
                "invalid",
                "invalid_choice",
                "max_length",
                "min_value",
                "max_value",
                "max_digits",
                "max_decimal_places",
                "max_whole_digits",
                "not_a_list",
                "not_a_dict",
                "empty",
            ),
            invalid,
        ),
    }


def text(name: str, max_length: int = 255, **kwargs: Any) -> StrictCharField:
    kwargs.setdefault("required", False)
    if not kwargs["required"]:
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
    return StrictCharField(max_length=max_length, error_messages=rails(name), **kwargs)


def url(name: str) -> serializers.URLField:
    return serializers.URLField(
        max_length=1000,
        required=False,
        allow_blank=True,
        allow_null=True,
        error_messages=rails(name),
    )


def flag(name: str) -> serializers.BooleanField:
    return serializers.BooleanField(required=False, error_messages=rails(name))


class ChoiceListField(serializers.Field[list[str], Sequence[str], list[str], Any]):
    """A list of values from `choices` (a JSON array; repeated keys, `name[]` too, in a
    form): one sentence for any bad value, as Rails says it."""

    def __init__(self, *, choices: Sequence[str], max_items: int | None = None, **kw: Any) -> None:
        self.choices, self.max_items = tuple(choices), max_items
        super().__init__(**kw)

    def get_value(self, dictionary: Any) -> Any:
        if html.is_html_input(dictionary):
            values = dictionary.getlist(self.field_name) or dictionary.getlist(
                f"{self.field_name}[]"
            )
            return values if values else empty
        return dictionary.get(self.field_name, empty)

    def to_internal_value(self, data: Any) -> list[str]:
        if isinstance(data, str):
            data = [data]
        if not isinstance(data, list) or not all(isinstance(v, str) for v in data):
            self.fail("invalid")
        values = list(dict.fromkeys(v.strip() for v in data))
        if self.required and not values:
            self.fail("blank")
        if any(v not in self.choices for v in values):
            self.fail("invalid")
        if self.max_items is not None and len(values) > self.max_items:
            raise serializers.ValidationError(CATEGORIES_TOO_LONG)
        return values

    def to_representation(self, value: list[str]) -> list[str]:
        return list(value)


class CountryListField(ChoiceListField):
    """A list of ISO 3166 alpha-2 codes, any case in, upper case out, sorted."""

    def __init__(self, name: str) -> None:
        super().__init__(choices=(), required=False, allow_null=True, error_messages=rails(name))

    def to_internal_value(self, data: Any) -> list[str]:
        if isinstance(data, str):
            data = [c for c in data.split(",") if c.strip()]
        if not isinstance(data, list) or not all(
            isinstance(c, str) and COUNTRY.match(c.strip()) for c in data
        ):
            self.fail("invalid")
        return sorted({c.strip().upper() for c in data})


class LogoField(serializers.FileField):
    """A PNG or JPEG file under 1 MB, checked by its content (Pillow), not its name."""

    default_error_messages = dict.fromkeys(
        ("invalid", "no_name", "empty", "max_length"), LOGO_INVALID
    )

    def to_internal_value(self, data: Any) -> UploadedFile[bytes]:
        if not isinstance(data, UploadedFile) or not data.size or data.size >= LOGO_MAX_BYTES:
            self.fail("invalid")
        try:
            data.seek(0)
            with Image.open(io.BytesIO(data.read())) as image:
                image_format = image.format
                image.verify()
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            self.fail("invalid")
        if image_format not in ("PNG", "JPEG"):
            self.fail("invalid")
        data.seek(0)
        data.image_format = image_format  # type: ignore[attr-defined]
        return data


class _PublicationFields(serializers.Serializer[Any]):
    description = text("description", 10_000)
    list_id = text("list_id")
    status = serializers.ChoiceField(
        choices=["active", "archived"], required=False, error_messages=rails("status")
    )
    publication_url = url("publication_url")
    language = text("language", 64)
    send_frequency = text("send_frequency", 64)
    audience_gender = serializers.ChoiceField(
        choices=AUDIENCE_GENDERS,
        required=False,
        allow_null=True,
        allow_blank=True,
        error_messages=rails("audience_gender"),
    )
    income_levels = ChoiceListField(
        choices=INCOME_LEVELS, required=False, error_messages=rails("income_levels")
    )
    age_ranges = ChoiceListField(
        choices=AGE_RANGES, required=False, error_messages=rails("age_ranges")
    )
    auto_pilot = flag("auto_pilot")
    logo = LogoField(required=False)
    logo_url = url("logo_url")


class PublicationCreateInputSerializer(_PublicationFields):
    name = text("name", required=True)
    categories = ChoiceListField(
        choices=CATEGORIES, max_items=MAX_CATEGORIES, error_messages=rails("categories")
    )


class PublicationUpdateInputSerializer(_PublicationFields):
    name = text("name", required=False, allow_blank=False, allow_null=False)
    categories = ChoiceListField(
        choices=CATEGORIES,
        max_items=MAX_CATEGORIES,
        required=False,
        error_messages=rails("categories"),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(NO_FIELD_TO_UPDATE)
        if "categories" in attrs and not attrs["categories"]:
            raise serializers.ValidationError({"categories": "Categories can't be blank"})
        return attrs


def dollars(name: str, *, required: bool = False) -> serializers.DecimalField:
    """An amount in dollars on the wire; `cents` below turns it into integer cents."""
    return serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(0),
        required=required,
        coerce_to_string=False,
        error_messages=rails(name),
    )


MONEY = {"cpa": "cpa_cents", "max_payout": "max_payout_cents", "total_budget": "total_budget_cents"}


class _ProgramFields(serializers.Serializer[Any]):
    cpa = dollars("cpa")
    max_payout = dollars("max_payout")
    total_budget = dollars("total_budget")
    redirect_url = url("redirect_url")
    thankyou_page_url = url("thankyou_page_url")
    terms = text("terms", 20_000)
    resources_url = url("resources_url")
    ideal_subscriber = text("ideal_subscriber", 5_000)
    slug = serializers.SlugField(
        max_length=255,
        required=False,
        allow_blank=True,
        allow_null=True,
        error_messages=rails("slug"),
    )
    show_in_directory = flag("show_in_directory")
    referral_pending_duration_enabled = flag("referral_pending_duration_enabled")
    referral_pending_duration = serializers.IntegerField(
        min_value=0,
        max_value=365,
        required=False,
        error_messages=rails("referral_pending_duration"),
    )
    allow_worldwide_referrals = flag("allow_worldwide_referrals")
    allowed_countries = CountryListField("allowed_countries")
    blocked_countries = CountryListField("blocked_countries")
    allowed_regions = serializers.ListField(
        child=serializers.CharField(max_length=16),
        required=False,
        allow_null=True,
        error_messages=rails("allowed_regions"),
    )
    can_be_recommended_via = ChoiceListField(
        choices=CHANNELS, required=False, error_messages=rails("can_be_recommended_via")
    )
    requires_approval = flag("requires_approval")
    pilot_phase = flag("pilot_phase")
    status = serializers.ChoiceField(
        choices=PartnerProgram.Status.choices, required=False, error_messages=rails("status")
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for wire, cents in MONEY.items():
            if wire in attrs:
                value = attrs.pop(wire)
                if value is None:
                    raise serializers.ValidationError({wire: f"{label(wire)} can't be blank"})
                attrs[cents] = int(value * 100)
        for name in ("allowed_countries", "blocked_countries", "allowed_regions"):
            if name in attrs and attrs[name] is None:
                attrs[name] = []
        return attrs


class ProgramCreateInputSerializer(_ProgramFields):
    publication_uuid = text("publication_uuid", 64, required=True)
    cpa = dollars("cpa", required=True)
    max_payout = dollars("max_payout", required=True)
    total_budget = dollars("total_budget", required=True)
    redirect_url = serializers.URLField(max_length=1000, error_messages=rails("redirect_url"))


class ProgramUpdateInputSerializer(_ProgramFields):
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(NO_FIELD_TO_UPDATE)
        if "redirect_url" in attrs and not attrs["redirect_url"]:
            raise serializers.ValidationError({"redirect_url": "Redirect url can't be blank"})
        return super().validate(attrs)


class PartnerProfileUpdateInputSerializer(serializers.Serializer[Any]):
    name = text("name", required=False, allow_blank=False, allow_null=False)
    website_url = url("website_url")
    logo_url = url("logo_url")
    payout_email = serializers.EmailField(
        required=False, allow_blank=True, allow_null=True, error_messages=rails("payout_email")
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(NO_FIELD_TO_UPDATE)
        return {k: ("" if v is None else v) for k, v in attrs.items()}


class PartnerCampaignJoinInputSerializer(serializers.Serializer[Any]):
    reason_for_recommending = text("reason_for_recommending", 5_000, required=True)
