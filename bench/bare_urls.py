"""The product's URLs plus `/bare/subscribers/<email>`: the baseline of benchmark P1.

The bare view does what GET /v2/subscribers/:email does at its core, in the same process
and through the same middleware: one indexed query (team + normalized email) and the same
subscriber object as JSON, built by hand. No DRF, no API key, no serializer; the team is
the bench team (`BENCH_TEAM`, default `bench-1m`), resolved once per process.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from sparkloop import urls as project_urls
from sparkloop.api.fields import cents_to_dollars, iso_z
from sparkloop.models import Team
from sparkloop.urls import handler400, handler403, handler404, handler500
from subscribers.models import Subscriber


@cache
def _team_id() -> int:
    return Team.objects.get(name=os.environ.get("BENCH_TEAM", "bench-1m")).pk


def bare_subscriber(request: HttpRequest, email: str) -> HttpResponse:
    s = Subscriber.objects.filter(team_id=_team_id(), email_normalized=email.lower()).first()
    if s is None:
        return HttpResponse(b'{"error":"not found"}', status=404, content_type="application/json")
    body: dict[str, Any] = {
        "subscriber": {
            "uuid": s.public_id,
            "email": s.email,
            "name": s.name,
            "ref_code": s.ref_code,
            "referrer_code": s.referrer_code,
            "referred": s.referred,
            "referral_status": s.referral_status,
            "status": s.status,
            "ip_address": s.ip_address,
            "user_agent": s.user_agent,
            "origin": s.origin,
            "country_code": s.country_code,
            "cpa": cents_to_dollars(s.cpa_cents),
            "utm_source": s.utm_source,
            "utm_campaign": s.utm_campaign,
            "created_at": iso_z(s.created_at),
        }
    }
    return HttpResponse(json.dumps(body), content_type="application/json")


urlpatterns: list[URLPattern | URLResolver] = [
    path("bare/subscribers/<str:email>", bare_subscriber),
    *project_urls.urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
