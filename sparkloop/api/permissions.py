"""The default permission: the request acts for a team."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView

from sparkloop.api.authentication import API_KEY_MISSING


class IsTeamAuthenticated(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        if getattr(request._request, "team", None) is None:
            raise exceptions.NotAuthenticated(API_KEY_MISSING)
        return True
