"""Partner earnings: API routes (under /v2/ and /api/v2/, via partners/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, re_path

from referrals.partners.earnings import openapi  # noqa: F401 (describes the views)
from referrals.partners.earnings.views import PayoutViewSet, ProgramReferralViewSet

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(
        r"^partner_programs/(?P<program_uuid>[^/]+)/referrals/?$",
        ProgramReferralViewSet.as_view({"get": "list"}),
        name="partner-program-referrals",
    ),
    re_path(
        r"^partner_profile/payouts/?$",
        PayoutViewSet.as_view({"get": "list"}),
        name="partner-payout-list",
    ),
    re_path(
        r"^partner_profile/payouts/(?P<pk>[^/]+)/?$",
        PayoutViewSet.as_view({"get": "retrieve"}),
        name="partner-payout-detail",
    ),
]
