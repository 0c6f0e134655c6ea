"""Offers in an upscribe, in process: generate with `show_offers` off and on, and subscribe
with offer picks.

    uv run python bench/upscribe_offers.py [--repeat 100] [--offers 1000] [--subscribes 100]

Uses the upscribe of `bench/upscribe_generate.py` (team `bench-upscribe`: 500
recommendations across 200 programs; built here if missing) and adds (once) `--offers`
network offers of 50 advertiser teams: a third each click, lead and action; a quarter open
to US/CA only, a tenth blocking US; CPAs of 1-6 dollars; visit and conversion counters
that give some a known conversion rate; a few with this month's budget spent. Then, through
Django's whole stack with the test client, alternates in rounds of 20 `POST
/v2/upscribes/:uuid/recommendations` (`country_code` US, `limit` 3) with `show_offers` off,
the same with it on, and `GET /v2/subscribers/:email` (the baseline), printing each one's
median and p95 latency and SQL statements. Last, `POST /v2/upscribes/:uuid/subscribe`
picking 3 lead offers, each time for a new email, in a loop: requests per second (each makes
3 submissions, their conversions, budget spends, ledger lines and `new_offer_lead` events).
PostgreSQL only.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse

from django.conf import settings
from django.db import connection, transaction
from django.test import Client

from bench.upscribe_generate import TEAM, analyze, build, measure
from referrals.partners.models.offers import Offer, OfferBudgetMonth
from referrals.partners.offers.selectors import month_start
from referrals.partners.upscribe.services import upscribe_update
from sparkloop.services import api_key_create, team_get_or_create

ADVERTISERS = 50


@transaction.atomic
def build_offers(count: int) -> int:
    """`count` network offers of ADVERTISERS teams (once); returns how many there are."""
    first, _ = team_get_or_create(name=f"{TEAM}-advertiser-0")
    existing = Offer.objects.filter(team__name__startswith=f"{TEAM}-advertiser-").count()
    if existing:
        return existing
    teams = [first] + [
        team_get_or_create(name=f"{TEAM}-advertiser-{n}")[0] for n in range(1, ADVERTISERS)
    ]
    offers = []
    for n in range(count):
        clicks = (n * 13) % 60
        offers.append(
            Offer(
                team=teams[n % ADVERTISERS],
                name=f"Bench offer {n}",
                headline="A headline",
                description="What it is",
                redirect_url="https://advertiser.example.com/landing",
                conversion_type=("click", "lead", "action")[n % 3],
                allow_worldwide_referrals=n % 4 != 0,
                allowed_countries=["US", "CA"] if n % 4 == 0 else [],
                blocked_countries=["US"] if n % 10 == 5 else [],
                monthly_budget_cents=100_000_000,
                cpa_cents=100 + (n * 37) % 500,
                clicks_count=clicks,
                conversions_count=clicks * ((n % 5) + 1) // 6,
            )
        )
    made = Offer.objects.bulk_create(offers)
    spent = [o for n, o in enumerate(made) if n % 50 == 7]
    OfferBudgetMonth.objects.bulk_create(
        [
            OfferBudgetMonth(offer=o, month=month_start(), used_cents=o.monthly_budget_cents)
            for o in spent
        ]
    )
    return len(made)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--offers", type=int, default=1000)
    parser.add_argument("--subscribes", type=int, default=100)
    args = parser.parse_args()
    started = time.perf_counter()
    upscribe = build(programs=200, recs=500)
    offers = build_offers(args.offers)
    analyze()
    _, key = api_key_create(team=upscribe.team, name="bench")
    client = Client(headers={"X-Api-Key": key})
    print(
        f"upscribe {upscribe.public_id}, {offers} network offers, built in "
        f"{time.perf_counter() - started:.1f} s; cache {settings.CACHES['default']['BACKEND']}; "
        f"load {os.getloadavg()[0]:.2f}"
    )
    path = f"/v2/upscribes/{upscribe.public_id}/recommendations"
    body = {"country_code": "US", "limit": 3}

    def generate() -> int:
        return client.post(path, body, content_type="application/json").status_code

    def subscriber() -> int:
        return client.get("/v2/subscribers/reader@example.com").status_code

    names = ("generate, show_offers off", "generate, show_offers on", "GET /v2/subscribers/:email")
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in names}
    for _ in range(max(1, args.repeat // 20)):  # alternate in rounds: all see the same load
        upscribe = upscribe_update(upscribe=upscribe, show_offers=False)
        results[names[0]].append(measure(generate, 20))
        upscribe = upscribe_update(upscribe=upscribe, show_offers=True)
        results[names[1]].append(measure(generate, 20))
        results[names[2]].append(measure(subscriber, 20))
    for name, rounds in results.items():
        p50 = statistics.median(r[0] for r in rounds)
        p95 = statistics.median(r[1] for r in rounds)
        print(f"{name:30} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  {rounds[0][2]} statements")

    leads = Offer.objects.filter(
        team__name__startswith=f"{TEAM}-advertiser-",
        conversion_type="lead",
        allow_worldwide_referrals=True,
        blocked_countries=[],
        budget_months__isnull=True,
    ).order_by("id")[:3]
    picks = ",".join(o.public_id for o in leads)
    subscribe = f"/v2/upscribes/{upscribe.public_id}/subscribe"
    stamp = int(time.time())

    def pick(n: int) -> None:
        response = client.post(
            subscribe,
            {"subscriber_email": f"o{stamp}-{n}@example.com", "recommendations": picks},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        statuses = {r["status"] for r in response.json()["referrals"]}
        assert statuses == {"confirmed"}, response.json()

    executed = []

    def count(execute: Any, sql: str, *rest: Any) -> Any:
        executed.append(sql)
        return execute(sql, *rest)

    with connection.execute_wrapper(count):
        pick(-1)
    start = time.perf_counter()
    for n in range(args.subscribes):
        pick(n)
    elapsed = time.perf_counter() - start
    print(
        f"subscribe, 3 lead offer picks: {args.subscribes / elapsed:6.1f} requests/s "
        f"({args.subscribes} in {elapsed:.1f} s), {len(executed)} statements; "
        f"load {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
