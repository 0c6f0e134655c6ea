"""The product's URLs plus the bare baselines of benchmarks P1 and P4.

`GET /bare/subscribers/<email>` does what GET /v2/subscribers/:email does at its core, in
the same process and through the same middleware: one indexed query (team + normalized
email) and the same subscriber object as JSON, built by hand. `POST /bare/subscribers`
does the writes of a referred create by hand, in one transaction: read the referrer by its
code, insert the subscriber, insert its referral in the default campaign, bump the
referrer's count, insert the outbox row; and answers the same object. No DRF, no API key,
no serializer, no rate limit, no screening or campaign counters; the team is the bench team
(`BENCH_TEAM`, default `bench-1m`), its default campaign resolved once per process.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from referrals.models import Campaign, Referral
from sparkloop import urls as project_urls
from sparkloop.api.fields import cents_to_dollars, iso_z
from sparkloop.models import Team
from sparkloop.urls import handler400, handler403, handler404, handler500
from subscribers.models import Subscriber
from webhooks.models import Event


@cache
def _team_id() -> int:
    return Team.objects.get(name=os.environ.get("BENCH_TEAM", "bench-1m")).pk


@cache
def _campaign_id() -> int:
    return Campaign.objects.get(team_id=_team_id(), is_default=True).pk


def bare_subscriber(request: HttpRequest, email: str) -> HttpResponse:
    s = Subscriber.objects.filter(team_id=_team_id(), email_normalized=email.lower()).first()
    if s is None:
        return HttpResponse(b'{"error":"not found"}', status=404, content_type="application/json")
    return HttpResponse(json.dumps(_body(s)), content_type="application/json")


def bare_subscriber_create(request: HttpRequest) -> HttpResponse:
    data = json.loads(request.body)
    email = data["email"].strip()
    team_id = _team_id()
    with transaction.atomic():
        referrer = (
            Subscriber.objects.filter(team_id=team_id, ref_code=data["referrer_code"])
            .only("id", "ref_code")
            .first()
        )
        s = Subscriber.objects.create(
            team_id=team_id,
            email=email,
            email_normalized=email.lower(),
            referrer=referrer,
            referrer_code=referrer.ref_code if referrer else None,
            referred=referrer is not None,
            referral_status=Subscriber.ReferralStatus.PENDING if referrer else None,
            created_at=timezone.now(),
        )
        if referrer is not None:
            Referral.objects.create(
                team_id=team_id, campaign_id=_campaign_id(), referrer=referrer, referred=s
            )
            Subscriber.objects.filter(pk=referrer.pk).update(
                referrals_count=F("referrals_count") + 1
            )
        body = _body(s)
        Event.objects.create(
            team_id=team_id, type=Event.Type.SYNC_SUBSCRIBER, payload=body["subscriber"]
        )
    return HttpResponse(json.dumps(body), status=201, content_type="application/json")


@csrf_exempt
def bare_subscribers(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse(status=405)
    return bare_subscriber_create(request)


def _body(s: Subscriber) -> dict[str, Any]:
    return {
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


urlpatterns: list[URLPattern | URLResolver] = [
    path("bare/subscribers", bare_subscribers),
    path("bare/subscribers/<str:email>", bare_subscriber),
    *project_urls.urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
