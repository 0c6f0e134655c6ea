"""Wire shapes of webhooks (reference §11.11 and §12.1); validation of shape only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.utils.timezone import now
from rest_framework import serializers

from sparkloop.api.fields import StrictCharField, TimestampField, iso_z
from sparkloop.models import Team
from webhooks.models import (
    EVENT_FLAGS,
    DeliveryAttempt,
    Event,
    WebhookDelivery,
    WebhookEndpoint,
)
from webhooks.services.events import event_payload

URL_REQUIRED = "Url can't be blank"
NO_FIELD_TO_UPDATE = "You have to update at least 1 field."
FLAG_INVALID = "{name} must be true or false"
GRACE_INVALID = "Grace hours must be an integer from 0 to 168"


def _flag_attr(name: str) -> str:
    return name.replace(".", "__")


class EventFlagField(serializers.BooleanField):
    """A flag: true/false/null, also as strings (the docs type two flags as "String")."""

    def __init__(self, name: str) -> None:
        # A dot in a source means a nested attribute to DRF ("app.connected").
        super().__init__(
            source=_flag_attr(name) if "." in name else None,
            required=False,
            allow_null=True,
            error_messages={
                "invalid": FLAG_INVALID.format(name=name.replace("_", " ").capitalize())
            },
        )


class _EventFlagsMixin(serializers.Serializer[Any]):
    # One optional flag per event type that has one, before the other fields. API v1's
    # serializers name only the two flags it knew.
    flag_names: ClassVar[tuple[str, ...]] = EVENT_FLAGS

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        flags: dict[str, serializers.Field[Any, Any, Any, Any]] = {
            name: EventFlagField(name) for name in self.flag_names
        }
        return {**flags, **super().get_fields()}

    def to_internal_value(self, data: Any) -> Any:
        # Flags come flat (documented) or nested in "events" (the shape of the object).
        if isinstance(data, Mapping) and isinstance(data.get("events"), dict):
            data = {**data["events"], **{k: v for k, v in data.items() if k != "events"}}
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        events = {
            str(name): attrs.pop(_flag_attr(name))
            for name in self.flag_names
            if _flag_attr(name) in attrs
        }
        if events:
            attrs["events"] = events
        return attrs


class WebhookCreateInputSerializer(_EventFlagsMixin):
    url = StrictCharField(
        max_length=2000,
        error_messages={"required": URL_REQUIRED, "null": URL_REQUIRED, "blank": URL_REQUIRED},
    )


class WebhookUpdateInputSerializer(_EventFlagsMixin):
    url = StrictCharField(
        required=False,
        max_length=2000,
        error_messages={"null": URL_REQUIRED, "blank": URL_REQUIRED},
    )
    enabled = serializers.BooleanField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if not attrs:
            raise serializers.ValidationError(NO_FIELD_TO_UPDATE)
        return attrs


class WebhookRotateSecretInputSerializer(serializers.Serializer[Any]):
    grace_hours = serializers.IntegerField(
        required=False,
        default=24,
        min_value=0,
        max_value=168,
        error_messages={
            "invalid": GRACE_INVALID,
            "min_value": GRACE_INVALID,
            "max_value": GRACE_INVALID,
        },
    )


class WebhookTokenRotateInputSerializer(WebhookRotateSecretInputSerializer):
    """The grace during which the previous token is still shown and sent."""


class WebhookOutputSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    uuid = serializers.CharField(source="public_id")
    events = serializers.SerializerMethodField()
    enabled = serializers.BooleanField(source="is_enabled")
    campaign_uuid = serializers.SerializerMethodField()
    created_at = TimestampField()

    class Meta:
        model = WebhookEndpoint
        fields = [
            "uuid",
            "url",
            "events",
            "enabled",
            "disabled_reason",
            "campaign_uuid",
            "created_at",
        ]

    def get_events(self, obj: WebhookEndpoint) -> dict[str, bool | None]:
        return {name: obj.events.get(name) for name in EVENT_FLAGS}

    def get_campaign_uuid(self, obj: WebhookEndpoint) -> str | None:
        """The campaign whose events alone it gets (made through API v1); null: the team's."""
        return obj.campaign_uuid or None


class WebhookWithSecretOutputSerializer(WebhookOutputSerializer):
    """The endpoint with its signing secret: only when it is created or rotated."""

    secret = serializers.CharField()

    class Meta(WebhookOutputSerializer.Meta):
        fields = [*WebhookOutputSerializer.Meta.fields, "secret"]


class WebhookTokenOutputSerializer(serializers.Serializer[Team]):
    """The team's webhook token, and the previous one while its grace runs."""

    token = serializers.CharField(source="webhook_token")
    previous_token = serializers.SerializerMethodField()
    previous_token_expires_at = serializers.SerializerMethodField()

    def _in_grace(self, team: Team) -> bool:
        expires = team.previous_webhook_token_expires_at
        return bool(team.previous_webhook_token) and expires is not None and expires > now()

    def get_previous_token(self, team: Team) -> str | None:
        return team.previous_webhook_token if self._in_grace(team) else None

    def get_previous_token_expires_at(self, team: Team) -> str | None:
        return iso_z(team.previous_webhook_token_expires_at) if self._in_grace(team) else None


class EventPayloadField(serializers.Field[Event, Any, dict[str, Any], Any]):
    """An event's body exactly as it is sent (with its `id`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="event", read_only=True, **kwargs)

    def to_representation(self, event: Event) -> dict[str, Any]:
        return event_payload(public_id=event.public_id, type=event.type, payload=event.payload)


class DeliveryAttemptOutputSerializer(serializers.ModelSerializer[DeliveryAttempt]):
    started_at = TimestampField()

    class Meta:
        model = DeliveryAttempt
        fields = [
            "number",
            "outcome",
            "started_at",
            "duration_ms",
            "response_status_code",
            "response_body",
            "error",
        ]


class DeliveryOutputSerializer(serializers.ModelSerializer[WebhookDelivery]):
    id = serializers.CharField(source="public_id")
    webhook_id = serializers.CharField(source="event.public_id")
    type = serializers.CharField(source="event.type")
    next_attempt_at = TimestampField()
    delivered_at = TimestampField()
    created_at = TimestampField()

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook_id",
            "type",
            "status",
            "attempt_count",
            "next_attempt_at",
            "delivered_at",
            "last_status_code",
            "last_error",
            "created_at",
        ]


class DeliveryDetailOutputSerializer(DeliveryOutputSerializer):
    payload = EventPayloadField()
    attempts = DeliveryAttemptOutputSerializer(many=True)

    class Meta(DeliveryOutputSerializer.Meta):
        fields = [*DeliveryOutputSerializer.Meta.fields, "payload", "attempts"]
