"""Admin of OAuth apps (registered by staff or owned by a team), tokens and connections.

Replaces the toolkit's registrations (imported first, see INSTALLED_APPS) to show teams.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from oauth2_provider import admin as oauth_admin

from sparkloop.admin_actions import action_with_permissions, run_bulk_action
from sparkloop.oauth.models import (
    AccessToken,
    Application,
    Connection,
    Grant,
    IDToken,
    RefreshToken,
)
from sparkloop.oauth.services import connection_revoke

for model in (Application, AccessToken, Grant, RefreshToken, IDToken):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(Application)
class ApplicationAdmin(oauth_admin.ApplicationAdmin):
    list_display = ("name", "client_id", "team", "client_type", "authorization_grant_type")
    list_filter = ("client_type", "authorization_grant_type")
    search_fields = ("name", "client_id", "team__name")
    raw_id_fields = ("user", "team")
    exclude = ("skip_authorization",)


@admin.register(AccessToken)
class AccessTokenAdmin(oauth_admin.AccessTokenAdmin):
    list_display = ("pk", "masked_token", "team", "application", "scope", "expires")
    list_select_related = ("application", "team")
    raw_id_fields = ("user", "team", "source_refresh_token")
    search_fields = ("application__client_id", "application__name", "team__name")
    actions = (action_with_permissions(oauth_admin.AccessTokenAdmin.revoke_tokens, "change"),)


@admin.register(RefreshToken)
class RefreshTokenAdmin(oauth_admin.RefreshTokenAdmin):
    list_display = ("pk", "masked_token", "team", "application", "revoked")
    raw_id_fields = ("user", "team", "access_token")
    search_fields = ("application__client_id", "application__name", "team__name")
    actions = (action_with_permissions(oauth_admin.RefreshTokenAdmin.revoke_tokens, "change"),)


@admin.register(Grant)
class GrantAdmin(oauth_admin.GrantAdmin):
    list_display = ("pk", "masked_code", "team", "application", "expires")
    raw_id_fields = ("user", "team")


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin[Connection]):
    list_display = ("public_id", "team", "application", "scope", "connected_at")
    list_select_related = ("team", "application")
    search_fields = ("public_id", "team__name", "application__name", "application__client_id")
    readonly_fields = ("public_id", "team", "application", "scope", "connected_at")
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # connections come from consent, not from the admin

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a raw delete would leave the tokens working: use the action

    @admin.action(
        description="Disconnect: revoke every token of the app for the team",
        permissions=("change",),
    )
    def revoke(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        run_bulk_action(
            self,
            request,
            queryset.select_related("team", "application"),
            verb="Disconnected",
            noun="app",
            call=lambda connection: connection_revoke(connection=connection),
        )
