"""Base classes of the API's views."""

from __future__ import annotations

from typing import ClassVar

from rest_framework import viewsets
from rest_framework.request import Request

from sparkloop.models import Team


class TeamViewSet(viewsets.ViewSet):
    """A viewset acting for the authenticated team (`self.team`).

    `scope_resource` names the OAuth scope family the viewset needs: safe methods need
    `read:<resource>`, every other method `write:<resource>` (e.g. `read:subscribers`).
    """

    scope_resource: ClassVar[str] = ""

    @property
    def team(self) -> Team:
        request: Request = self.request
        return request._request.team  # type: ignore[attr-defined, no-any-return]
