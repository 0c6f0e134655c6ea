"""Wire formats of connected and registered apps."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from sparkloop.api.fields import StrictCharField, TimestampField
from sparkloop.oauth.models import Application, Connection

GRANT_TYPES = {
    "authorization_code": Application.GRANT_AUTHORIZATION_CODE,
    "client_credentials": Application.GRANT_CLIENT_CREDENTIALS,
}
GRANT_TYPE_NAMES = {value: key for key, value in GRANT_TYPES.items()}
REDIRECT_URIS_REQUIRED = "Redirect uris are required for the authorization_code grant"
CLIENT_CREDENTIALS_CONFIDENTIAL = "The client_credentials grant needs a confidential client"


class ConnectionOutputSerializer(serializers.ModelSerializer[Connection]):
    id = serializers.CharField(source="public_id")
    app_name = serializers.CharField(source="application.name")
    client_id = serializers.CharField(source="application.client_id")
    scopes = serializers.SerializerMethodField()
    connected_at = TimestampField()

    class Meta:
        model = Connection
        fields = ["id", "app_name", "client_id", "scopes", "connected_at"]

    def get_scopes(self, connection: Connection) -> list[str]:
        return connection.scope.split()


class ApplicationOutputSerializer(serializers.ModelSerializer[Application]):
    grant_type = serializers.SerializerMethodField()
    redirect_uris = serializers.SerializerMethodField()
    created_at = TimestampField(source="created")

    class Meta:
        model = Application
        fields = ["name", "client_id", "client_type", "grant_type", "redirect_uris", "created_at"]

    def get_grant_type(self, application: Application) -> str:
        grant_type: str = application.authorization_grant_type
        return GRANT_TYPE_NAMES.get(grant_type) or grant_type

    def get_redirect_uris(self, application: Application) -> list[str]:
        uris: str = application.redirect_uris
        return uris.split()


class ApplicationCreateInputSerializer(serializers.Serializer[Any]):
    name = StrictCharField(max_length=255)
    grant_type = serializers.ChoiceField(choices=list(GRANT_TYPES))
    client_type = serializers.ChoiceField(
        choices=Application.CLIENT_TYPES, default=Application.CLIENT_CONFIDENTIAL
    )
    redirect_uris = serializers.ListField(
        child=serializers.URLField(max_length=1000), default=list, max_length=20
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        grant = attrs.pop("grant_type")
        if grant == "authorization_code" and not attrs["redirect_uris"]:
            raise serializers.ValidationError(REDIRECT_URIS_REQUIRED)
        if grant == "client_credentials" and attrs["client_type"] != "confidential":
            raise serializers.ValidationError(CLIENT_CREDENTIALS_CONFIDENTIAL)
        attrs["authorization_grant_type"] = GRANT_TYPES[grant]
        attrs["redirect_uris"] = " ".join(attrs["redirect_uris"])
        return attrs
