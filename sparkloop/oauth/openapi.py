"""OpenAPI descriptions of the connected-apps and app-registration endpoints.

Kept outside the views (as sparkloop/api/openapi.py does for the others) so that the views
stay parse-call-render; imported by sparkloop.oauth.api_urls.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from sparkloop.api.schema import envelope
from sparkloop.oauth.serializers import (
    ApplicationCreateInputSerializer,
    ApplicationOutputSerializer,
    ConnectionOutputSerializer,
)
from sparkloop.oauth.views import ApplicationViewSet, ConnectionViewSet

API_KEY_ONLY = "Takes the team's API key only: no OAuth scope grants it."


class ConnectionSerializer(ConnectionOutputSerializer):
    scopes = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]

    class Meta(ConnectionOutputSerializer.Meta):
        read_only_fields = ConnectionOutputSerializer.Meta.fields


class ApplicationSerializer(ApplicationOutputSerializer):
    grant_type = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["authorization_code", "client_credentials"]
    )
    redirect_uris = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]

    class Meta(ApplicationOutputSerializer.Meta):
        read_only_fields = ApplicationOutputSerializer.Meta.fields


class RegisteredApplicationSerializer(ApplicationSerializer):
    client_secret = serializers.CharField(help_text="Shown once; only its hash is kept.")

    class Meta(ApplicationSerializer.Meta):
        fields = [*ApplicationSerializer.Meta.fields, "client_secret"]
        read_only_fields = fields


extend_schema_view(
    list=extend_schema(
        summary="List the apps connected to the team",
        description=API_KEY_ONLY,
        responses={
            200: envelope("ConnectionListResponse", connections=ConnectionSerializer(many=True))
        },
    ),
    destroy=extend_schema(
        summary="Disconnect an app: revoke every token it holds for the team",
        description=API_KEY_ONLY,
        responses={200: envelope("ConnectionResponse", connection=ConnectionSerializer())},
    ),
)(ConnectionViewSet)

extend_schema_view(
    list=extend_schema(
        summary="List the OAuth apps the team registered",
        description=API_KEY_ONLY,
        responses={
            200: envelope("ApplicationListResponse", applications=ApplicationSerializer(many=True))
        },
    ),
    create=extend_schema(
        summary="Register an OAuth app for the team",
        description=API_KEY_ONLY,
        request=ApplicationCreateInputSerializer,
        responses={
            201: envelope("ApplicationResponse", application=RegisteredApplicationSerializer())
        },
    ),
)(ApplicationViewSet)
