"""The default permission: the request acts for a team, and an OAuth token has the scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView

from sparkloop.api.authentication import API_KEY_MISSING
from sparkloop.models import ApiKey

MISSING_SCOPE = "Missing scope: {scope}"


def required_scope(view: APIView, method: str) -> str:
    """`read:<resource>` for safe methods, `write:<resource>` otherwise (TeamViewSet)."""
    resource = getattr(view, "scope_resource", "")
    verb = "read" if method in SAFE_METHODS else "write"
    return f"{verb}:{resource}"


class IsTeamAuthenticated(BasePermission):
    """A team is authenticated; an OAuth token must also hold the view's scope for the method.

    An API key is the team's own credential and may do everything, as on SparkLoop.
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        if getattr(request._request, "team", None) is None:
            raise exceptions.NotAuthenticated(API_KEY_MISSING)
        if not isinstance(request.auth, ApiKey):
            # Anything but the team's own key (an OAuth token) acts within its scopes only.
            scope = required_scope(view, request.method or "GET")
            granted = str(getattr(request.auth, "scope", "")).split()
            # A view that declares no resource is closed to tokens rather than open to all.
            if not getattr(view, "scope_resource", "") or scope not in granted:
                raise exceptions.PermissionDenied(MISSING_SCOPE.format(scope=scope))
        return True
