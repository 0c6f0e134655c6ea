"""Wire shapes of subscribers (input validation of shape only; rules live in services)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator, validate_email
from rest_framework import serializers

from sparkloop.api.fields import StrictCharField, TimestampField, cents_to_dollars, iso_z
from sparkloop.models import Team
from subscribers.expansions import expansions_apply
from subscribers.models import Subscriber, SubscriberEvent
from subscribers.services import (
    EMAIL_INVALID,
    EMAIL_REQUIRED,
    INVALID_STATUS,
    REF_CODE_INVALID,
    REF_CODE_PATTERN,
)

NO_FIELD_TO_UPDATE = "You have to update at least 1 field."
IDENTIFIER_BLANK = "Subscriber uuid or email blank!"
VALUE_REQUIRED = "You have to provide a value"
VALUE_INVALID = "Value must be a number"
LIST_TYPE_INVALID = "Type must be one of all, referrals, advocates"


def _optional(max_length: int, **kwargs: Any) -> StrictCharField:
    return StrictCharField(
        required=False, allow_null=True, allow_blank=True, max_length=max_length, **kwargs
    )


class EmailField(StrictCharField):
    default_error_messages = {
        "required": EMAIL_REQUIRED,
        "null": EMAIL_REQUIRED,
        "blank": EMAIL_REQUIRED,
        "invalid": EMAIL_INVALID,
        "max_length": EMAIL_INVALID,
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=254, trim_whitespace=True, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            validate_email(value)
        except DjangoValidationError:
            self.fail("invalid")
        return value


class RefCodeField(StrictCharField):
    """A subscriber's own `ref_code` (spec bulk.md, an extension): 4-16 of `A-Z a-z 0-9 _ -`.

    Anything else, a number or a boolean included, is `Ref code is invalid`; whether the
    team has it already is the service's business (`REF_CODE_TAKEN`)."""

    default_error_messages = {"invalid": REF_CODE_INVALID}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(RegexValidator(REF_CODE_PATTERN, message=REF_CODE_INVALID))


class SubscriberCreateInputSerializer(serializers.Serializer[Any]):
    email = EmailField()
    name = _optional(255)
    # Blank or null: a code is generated, as without one.
    ref_code = RefCodeField(required=False, allow_null=True, allow_blank=True)
    referrer_code = _optional(64)
    status = serializers.ChoiceField(
        choices=Subscriber.Status.choices,
        required=False,
        allow_null=True,
        error_messages={"invalid_choice": INVALID_STATUS},
    )
    ip_address = _optional(64)
    user_agent = _optional(1024)
    utm_source = _optional(255)
    utm_campaign = _optional(255)
    country_code = serializers.RegexField(
        r"^[A-Za-z]{2}$",
        required=False,
        allow_null=True,
        allow_blank=True,
        error_messages={"invalid": "Country code must be an ISO 3166-1 alpha-2 code"},
    )
    created_at = TimestampField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Blank optional strings mean "not given".
        return {k: v for k, v in attrs.items() if v not in ("", None)}


class SubscriberUpdateInputSerializer(serializers.Serializer[Any]):
    email = EmailField(required=False)
    name = _optional(255)
    status = StrictCharField(
        required=False,
        allow_blank=True,
        error_messages={"invalid": INVALID_STATUS, "null": INVALID_STATUS},
    )

    def validate_status(self, value: str) -> str:
        if value not in (Subscriber.Status.CONFIRMED, Subscriber.Status.UNSUBSCRIBED):
            raise serializers.ValidationError(INVALID_STATUS)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(NO_FIELD_TO_UPDATE)
        return attrs


class SubscriberListInputSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(
        choices=["all", "referrals", "advocates"],
        required=False,
        default="all",
        error_messages={"invalid_choice": LIST_TYPE_INVALID},
    )
    expand = serializers.CharField(required=False, allow_blank=True, default="")


class SubscriberEventInputSerializer(serializers.Serializer[Any]):
    value = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        coerce_to_string=False,
        error_messages={
            "required": VALUE_REQUIRED,
            "null": VALUE_REQUIRED,
            "invalid": VALUE_INVALID,
            "max_digits": VALUE_INVALID,
            "max_decimal_places": VALUE_INVALID,
            "max_whole_digits": VALUE_INVALID,
            "max_string_length": VALUE_INVALID,
        },
    )
    description = _optional(1000)
    campaign_uuid = _optional(32)

    def to_internal_value(self, data: Any) -> Any:
        # Both documented shapes: flat, and wrapped in "event"; and the legacy
        # "descripton" spelling (reference §3).
        if isinstance(data.get("event"), dict):
            data = {**data, **data["event"]}
        if "description" not in data and "descripton" in data:
            data = {**data, "description": data["descripton"]}
        if isinstance(data.get("value"), bool):
            raise serializers.ValidationError({"value": [VALUE_INVALID]})
        return super().to_internal_value(data)


class SubscriberOutputSerializer(serializers.Serializer[Subscriber]):
    """The Subscriber Object (reference §11.1) plus `status`.

    A plain Serializer, not a ModelSerializer: DRF rebuilds a ModelSerializer's fields from
    the model on every instantiation, a measurable share of a GET (bench/README.md, P1).
    """

    uuid = serializers.CharField(source="public_id")
    email = serializers.CharField()
    name = serializers.CharField(allow_null=True)
    ref_code = serializers.CharField()
    referrer_code = serializers.CharField(allow_null=True)
    referred = serializers.BooleanField()
    referral_status = serializers.ChoiceField(
        choices=Subscriber.ReferralStatus.choices, allow_null=True
    )
    status = serializers.ChoiceField(choices=Subscriber.Status.choices)
    ip_address = serializers.CharField(allow_null=True)
    user_agent = serializers.CharField(allow_null=True)
    origin = serializers.CharField()
    country_code = serializers.CharField(allow_null=True)
    cpa = serializers.SerializerMethodField()
    utm_source = serializers.CharField(allow_null=True)
    utm_campaign = serializers.CharField(allow_null=True)
    created_at = TimestampField()

    def get_cpa(self, obj: Subscriber) -> float | None:
        return cents_to_dollars(obj.cpa_cents)


def subscriber_object(s: Subscriber) -> dict[str, Any]:
    """The Subscriber Object: what `SubscriberOutputSerializer` renders (and describes in
    the schema), built by hand. It is the most read object of the API, and DRF's field by
    field rendering cost more than the rest of a GET (bench/README.md, hot paths);
    tests/subscribers/test_rendering.py holds the two equal."""
    return {
        "uuid": s.public_id,
        "email": s.email,
        "name": s.name,
        "ref_code": s.ref_code,
        "referrer_code": s.referrer_code,
        "referred": s.referred,
        "referral_status": None if s.referral_status is None else str(s.referral_status),
        "status": str(s.status),
        "ip_address": s.ip_address,
        "user_agent": s.user_agent,
        "origin": s.origin,
        "country_code": s.country_code,
        "cpa": cents_to_dollars(s.cpa_cents),
        "utm_source": s.utm_source,
        "utm_campaign": s.utm_campaign,
        "created_at": iso_z(s.created_at),
    }


def subscriber_objects(
    subscribers: Sequence[Subscriber], *, team: Team, expand: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Subscriber objects, with what `expand=` asks for (`referral_programs`): the one
    renderer of the subscriber object for every endpoint that returns subscribers."""
    items = [subscriber_object(s) for s in subscribers]
    return expansions_apply(items, subscribers, team=team, names=expand)


class SubscriberEventOutputSerializer(serializers.ModelSerializer[SubscriberEvent]):
    uuid = serializers.CharField(source="public_id")
    # Not `get_value`: that name is Field.get_value, which a nesting serializer would call.
    value = serializers.SerializerMethodField(method_name="value_in_dollars")
    subscriber_uuid = serializers.CharField(source="subscriber.public_id")
    created_at = TimestampField()

    class Meta:
        model = SubscriberEvent
        fields = ["uuid", "value", "description", "campaign_uuid", "subscriber_uuid", "created_at"]

    def value_in_dollars(self, obj: SubscriberEvent) -> float | int:
        dollars = cents_to_dollars(obj.value_cents) or 0.0
        return int(dollars) if dollars == int(dollars) else dollars
