"""The hosted pages and offer conversions: latency, SQL statements, and conversions of one
offer from many threads at once (its monthly budget row is the one contended row).

    uv run python manage.py migrate
    uv run python bench/offers_pages.py [--repeat 200] [--threads 8] [--conversions 400]

Each request goes through Django's whole stack (middleware, CSP, CSRF, the per-address rate
limit in the configured cache, the view, the template) with the test client; prints each
one's median and p95 latency and its SQL statements. Then `--threads` threads convert
`--conversions` action submissions of one offer through the API (each its own request and
transaction) and it prints conversions per second and checks the month's spend: exactly
the budget, never more. PostgreSQL for the concurrent part.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparkloop.settings")
# Rate limits must not refuse the benchmark (they are counted all the same).
os.environ["RATE_LIMIT_DEFAULT"] = os.environ["RATE_LIMIT_PAGES"] = "100000000/60"

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from referrals.partners.models import PartnerCampaign, PartnerProgram, Publication  # noqa: E402
from referrals.partners.models.offers import Offer, OfferBudgetMonth  # noqa: E402
from referrals.partners.offers.services import offer_submission_create  # noqa: E402
from sparkloop.models import Team  # noqa: E402
from sparkloop.services import api_key_create, team_create  # noqa: E402

Call = Callable[[], int]


def measure(call: Call, repeat: int) -> tuple[float, float, int]:
    """Median and p95 latency (ms) of `call`, and the statements of one call."""
    call()  # warm up
    with CaptureQueriesContext(connection) as queries:
        call()
    statements = len(queries)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        status = call()
        samples.append((time.perf_counter() - start) * 1000)
        assert status < 400, status
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], statements


def world() -> tuple[Team, PartnerCampaign, Offer, Offer, str]:
    stamp = str(time.time_ns())
    advertiser = team_create(name=f"bench-advertiser-{stamp}")
    partner = team_create(name=f"bench-partner-{stamp}")
    publication = Publication.objects.create(team=advertiser, name="Bench News", status="active")
    program = PartnerProgram.objects.create(
        team=advertiser,
        publication=publication,
        cpa_cents=250,
        max_payout_cents=10**9,
        total_budget_cents=10**9,
        redirect_url="https://news.example.com/join?src=partners",
    )
    campaign = PartnerCampaign.objects.create(
        team=partner,
        partner_profile=partner.partner_profile,
        publication=publication,
        program=program,
        campaign_type=PartnerCampaign.Type.PARTNER_PROGRAM,
    )
    click = Offer.objects.create(
        team=advertiser,
        name="Clicks",
        redirect_url="https://ads.example.com/",
        conversion_type="click",
        cpa_cents=1,
        monthly_budget_cents=10**9,
    )
    action = Offer.objects.create(
        team=advertiser,
        name="Actions",
        redirect_url="https://ads.example.com/",
        conversion_type="action",
        cpa_cents=100,
        monthly_budget_cents=100 * 300,  # room for 300 conversions
    )
    _, key = api_key_create(team=advertiser)
    return advertiser, campaign, click, action, key


def concurrent_conversions(action: Offer, key: str, threads: int, count: int) -> None:
    submissions = [offer_submission_create(offer=action).public_id for _ in range(count)]
    barrier = threading.Barrier(threads)
    statuses: list[int] = []

    def work(mine: list[str]) -> None:
        client = Client(HTTP_X_API_KEY=key)
        barrier.wait()
        try:
            for uuid in mine:
                path = f"/v2/offers/{action.public_id}/submissions/{uuid}/conversions"
                statuses.append(client.post(path).status_code)
        finally:
            connection.close()

    chunks = [submissions[i::threads] for i in range(threads)]
    workers = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    used = OfferBudgetMonth.objects.get(offer=action).used_cents
    paid = action.submissions.filter(payable=True).count()
    print(
        f"{count} action conversions, {threads} threads: {count / elapsed:.0f}/s; "
        f"all 200: {statuses.count(200) == count}; paid {paid} "
        f"(budget holds 300); spent {used} of {action.monthly_budget_cents} cents"
    )
    assert used <= action.monthly_budget_cents


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--conversions", type=int, default=400)
    args = parser.parse_args()
    _, campaign, click, action, key = world()
    page = Client()
    api = Client(HTTP_X_API_KEY=key)

    def convert() -> int:
        uuid = offer_submission_create(offer=action).public_id
        path = f"/v2/offers/{action.public_id}/submissions/{uuid}/conversions"
        return int(api.post(path).status_code)

    calls: dict[str, Call] = {
        "GET /p/<ref_code> (click, cookie, 302)": lambda: (
            page.get(f"/p/{campaign.ref_code}").status_code
        ),
        "GET /r/<ref_code> (signup page)": lambda: page.get(f"/r/{campaign.ref_code}").status_code,
        "GET /o/<offer> (click offer: converts)": lambda: (
            page.get(f"/o/{click.public_id}").status_code
        ),
        "POST …/conversions (incl. making the submission)": convert,
    }
    print(f"{'request':52} {'median ms':>10} {'p95 ms':>8} {'SQL':>4}")
    for name, call in calls.items():
        median, p95, statements = measure(call, args.repeat)
        print(f"{name:52} {median:10.2f} {p95:8.2f} {statements:4d}")
    action.refresh_from_db()
    OfferBudgetMonth.objects.filter(offer=action).update(used_cents=0)
    action.submissions.all().delete()
    concurrent_conversions(action, key, args.threads, args.conversions)


if __name__ == "__main__":
    main()
