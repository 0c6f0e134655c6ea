"""OpenAPI descriptions of the connected-apps and app-registration endpoints: the only ones.

Kept beside the views, outside them, so that the views stay parse-call-render; imported by
sparkloop.oauth.api_urls. The serializers below describe the output serializers' shapes more
exactly (every key always present, the grant types as an enum) under the same component
names, so the schema's types keep their names.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer, extend_schema_view
from rest_framework import serializers

from sparkloop.api.examples import field_examples
from sparkloop.api.schema import envelope
from sparkloop.oauth.serializers import (
    ApplicationCreateInputSerializer,
    ApplicationOutputSerializer,
    ConnectionOutputSerializer,
)
from sparkloop.oauth.views import ApplicationViewSet, ConnectionViewSet

API_KEY_ONLY = "Takes the team's API key only: no OAuth scope grants it."


@extend_schema_serializer(component_name="ConnectionOutput")
class ConnectionSerializer(ConnectionOutputSerializer):
    scopes = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]

    class Meta(ConnectionOutputSerializer.Meta):
        read_only_fields = ConnectionOutputSerializer.Meta.fields


@extend_schema_serializer(component_name="ApplicationOutput")
class ApplicationSerializer(ApplicationOutputSerializer):
    grant_type = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["authorization_code", "client_credentials"]
    )
    redirect_uris = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]

    class Meta(ApplicationOutputSerializer.Meta):
        read_only_fields = ApplicationOutputSerializer.Meta.fields


@extend_schema_serializer(component_name="ApplicationWithSecretOutput")
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
        description=(
            f"{API_KEY_ONLY} The client secret is in this answer only. A team registers at"
            " most `OAUTH_APPLICATIONS_PER_TEAM` apps (10 unless configured); past that: 400."
        ),
        request=ApplicationCreateInputSerializer,
        responses={
            201: envelope("ApplicationResponse", application=RegisteredApplicationSerializer())
        },
    ),
)(ApplicationViewSet)


# Realistic values for the OAuth application and connection fields.
schema_examples = field_examples(
    by_name={
        "client_id": "pHk2rT9wQx4LmN7vB3sD8fG1jK5zC6yA",
        "client_secret": "s3cr3t-shown-once-Xq9Lw2Rt7Yp4Nm8Kv1Bz6Hd3Fj5Gs0",
        "redirect_uris": ["https://app.example.com/oauth/callback"],
        "app_name": "Growth dashboard",
        "scopes": ["read:subscribers", "write:subscribers"],
        "connected_at": "2021-03-24T11:55:02.113Z",
    },
    by_component={
        "ApplicationOutput": {"name": "Growth dashboard"},
        "ApplicationWithSecretOutput": {"name": "Growth dashboard"},
        "ApplicationCreateInputRequest": {"name": "Growth dashboard"},
        "ConnectionOutput": {"id": "conn_6c7d8e9f0a1b"},
    },
)
