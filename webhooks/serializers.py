"""Wire shapes of webhooks (reference §11.11 and §12.1); validation of shape only."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from sparkloop.api.fields import StrictCharField, TimestampField
from webhooks.models import EVENT_FLAGS, DeliveryAttempt, WebhookDelivery, WebhookEndpoint

URL_REQUIRED = "Url can't be blank"
NO_FIELD_TO_UPDATE = "You have to update at least 1 field."
FLAG_INVALID = "{name} must be true or false"
GRACE_INVALID = "Grace hours must be an integer from 0 to 168"


class EventFlagField(serializers.BooleanField):
    """A flag: true/false/null, also as strings (the docs type two flags as "String")."""

    def __init__(self, name: str) -> None:
        super().__init__(
            required=False,
            allow_null=True,
            error_messages={
                "invalid": FLAG_INVALID.format(name=name.replace("_", " ").capitalize())
            },
        )


class _EventFlagsMixin(serializers.Serializer):
    new_referral = EventFlagField("new_referral")
    reward_unlocked = EventFlagField("reward_unlocked")
    new_partner_referral = EventFlagField("new_partner_referral")
    reward_redeemed = EventFlagField("reward_redeemed")
    new_partner_pending_referral = EventFlagField("new_partner_pending_referral")
    partner_referral_rejected = EventFlagField("partner_referral_rejected")
    new_offer_lead = EventFlagField("new_offer_lead")
    sync_subscriber = EventFlagField("sync_subscriber")
    webhook_disabled = EventFlagField("webhook_disabled")

    def to_internal_value(self, data: Any) -> Any:
        # Flags come flat (documented) or nested in "events" (the shape of the object).
        if isinstance(data.get("events"), dict):
            data = {**data["events"], **{k: v for k, v in data.items() if k != "events"}}
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        events = {name: attrs.pop(name) for name in EVENT_FLAGS if name in attrs}
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


class WebhookRotateSecretInputSerializer(serializers.Serializer):
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


class WebhookOutputSerializer(serializers.ModelSerializer):
    uuid = serializers.CharField(source="public_id")
    events = serializers.SerializerMethodField()
    enabled = serializers.BooleanField(source="is_enabled")
    created_at = TimestampField()

    class Meta:
        model = WebhookEndpoint
        fields = ["uuid", "url", "events", "enabled", "disabled_reason", "created_at"]

    def get_events(self, obj: WebhookEndpoint) -> dict[str, bool | None]:
        return {name: obj.events.get(name) for name in EVENT_FLAGS}


class WebhookWithSecretOutputSerializer(WebhookOutputSerializer):
    """The endpoint with its signing secret: only when it is created or rotated."""

    secret = serializers.CharField()

    class Meta(WebhookOutputSerializer.Meta):
        fields = [*WebhookOutputSerializer.Meta.fields, "secret"]


class DeliveryAttemptOutputSerializer(serializers.ModelSerializer):
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


class DeliveryOutputSerializer(serializers.ModelSerializer):
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
    payload = serializers.JSONField(source="event.payload")
    attempts = DeliveryAttemptOutputSerializer(many=True)

    class Meta(DeliveryOutputSerializer.Meta):
        fields = [*DeliveryOutputSerializer.Meta.fields, "payload", "attempts"]
