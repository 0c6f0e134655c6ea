"""Partner settlement throughput, and a program's referrals list at a million rows.

    uv run python bench/partners_settle.py [--settle 20000] [--list 1000000] [--rounds 5]
                                           [--parallel 2]

Settlement: `--settle` due referrals (each with its recommended-team subscriber, payable,
their budget reserved) are inserted in bulk, then settled by `partner_referrals_settle`
(batches of 1,000, a fixed number of statements each: the claims, the budget rows, the
ledger lines, the counters, the subscribers' `referral_status` through the referrals app,
two events each through the outbox's `events_record_many`) and timed; `--parallel N`: N
settlers at once, as the hourly task runs them (PARTNER_SETTLE_PARALLEL, default 2).

List: a program with `--list` referrals (inserted once with PostgreSQL COPY, kept between
runs) is read through the API in-process (DRF test client, API key): page 1 and the last page
of 50, `--rounds` times each, alternating; medians are printed.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparkloop.settings")

import django

django.setup()

from celery import current_app  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from referrals.partners.earnings.selectors import month_of  # noqa: E402
from referrals.partners.earnings.services import partner_referrals_settle  # noqa: E402
from referrals.partners.models import (  # noqa: E402
    CampaignBudgetMonth,
    EarningsEntry,
    PartnerCampaign,
    PartnerProgram,
    PartnerReferral,
    ProgramBudgetMonth,
    Publication,
)
from sparkloop.ids import make_public_id  # noqa: E402
from sparkloop.models import Team  # noqa: E402
from sparkloop.services import api_key_create, team_get_or_create  # noqa: E402
from subscribers.models import Subscriber  # noqa: E402

CPA = 250


def _campaign(owner: Team, partner: Team) -> PartnerCampaign:
    publication = Publication.objects.create(team=owner, name=f"Bench {owner.name}")
    program = PartnerProgram.objects.create(
        team=owner,
        publication=publication,
        cpa_cents=CPA,
        max_payout_cents=2**31 - 1,
        total_budget_cents=2**31 - 1,
        redirect_url="https://example.com/",
    )
    return PartnerCampaign.objects.create(
        team=partner,
        partner_profile=partner.partner_profile,
        publication=publication,
        program=program,
        campaign_type=PartnerCampaign.Type.PARTNER_PROGRAM,
    )


def seed_due(count: int) -> PartnerCampaign:
    """`count` due, payable referrals with their subscribers, reserved in the budgets."""
    stamp = int(time.time())
    owner = team_get_or_create(name=f"bench-settle-owner-{stamp}")[0]
    partner = team_get_or_create(name=f"bench-settle-partner-{stamp}")[0]
    campaign = _campaign(owner, partner)
    program = campaign.program
    assert program is not None
    now = timezone.now()
    month = month_of(now.date())
    with transaction.atomic():
        subscribers = Subscriber.objects.bulk_create(
            (
                Subscriber(
                    team=owner,
                    email=f"p{i}@example.com",
                    email_normalized=f"p{i}@example.com",
                    referred=True,
                    referral_status=Subscriber.ReferralStatus.PENDING,
                    origin="partner_network",
                    cpa_cents=CPA,
                    created_at=now,
                    ref_code=f"b{i:07x}",  # unique in the team (random ones may collide)
                    # Some unsubscribed: settlement rejects them.
                    status="unsubscribed" if i % 10 == 0 else "pending",
                )
                for i in range(count)
            ),
            batch_size=5000,
        )
        PartnerReferral.objects.bulk_create(
            (
                PartnerReferral(
                    campaign=campaign,
                    program=program,
                    partner_profile=partner.partner_profile,
                    team=owner,
                    subscriber=s,
                    email=s.email,
                    cpa_cents=CPA,
                    payable=True,
                    budget_month=month,
                    pending_until=now - timedelta(minutes=1),
                )
                for s in subscribers
            ),
            batch_size=5000,
        )
        ProgramBudgetMonth.objects.create(program=program, month=month, reserved_cents=count * CPA)
        CampaignBudgetMonth.objects.create(
            campaign=campaign, month=month, reserved_cents=count * CPA
        )
        PartnerCampaign.objects.filter(pk=campaign.pk).update(pending_count=count)
    return campaign


def bench_settle(count: int, parallel: int = 1) -> None:
    campaign = seed_due(count)
    with connection.cursor() as cur:
        cur.execute("ANALYZE partners_partnerreferral; ANALYZE subscribers_subscriber")
    # The worker that runs the hourly task holds its broker connection already: connect
    # before timing (in a fresh process the first publish imports and connects kombu's
    # transport, 0.3-0.4 s, which is not settlement's).
    with current_app.connection_for_write() as broker:
        broker.ensure_connection()
    started = time.perf_counter()
    settled = partner_referrals_settle(batch_size=1000, parallel=parallel)
    elapsed = time.perf_counter() - started
    confirmed = PartnerReferral.objects.filter(campaign=campaign, status="confirmed").count()
    assert settled >= count, settled
    assert EarningsEntry.objects.filter(referral__campaign=campaign).count() == confirmed
    print(
        f"settle: {settled} referrals ({confirmed} confirmed) in {elapsed:.2f} s = "
        f"{settled / elapsed:,.0f} referrals/s ({parallel} at once); load {os.getloadavg()[0]:.2f}"
    )


LIST_OWNER = "bench-list-owner"


def seed_list(count: int) -> tuple[PartnerProgram, str]:
    """A program with `count` referrals (kept between runs); returns it and an API key."""
    owner = team_get_or_create(name=LIST_OWNER)[0]
    program = PartnerProgram.objects.filter(team=owner).first()
    if program is None:
        partner = team_get_or_create(name="bench-list-partner")[0]
        campaign = _campaign(owner, partner)
        program = campaign.program
        assert program is not None
    campaign = PartnerCampaign.objects.get(program=program)
    have = PartnerReferral.objects.filter(program=program).count()
    if have < count:
        _copy_referrals(campaign, count - have)
        total = PartnerReferral.objects.filter(program=program).count()
        PartnerCampaign.objects.filter(pk=campaign.pk).update(
            pending_count=0, confirmed_count=total, rejected_count=0
        )
        with connection.cursor() as cur:
            cur.execute("VACUUM (ANALYZE) partners_partnerreferral")
    return program, api_key_create(team=owner)[1]


def _copy_referrals(campaign: PartnerCampaign, count: int) -> None:
    start = datetime(2023, 1, 1, tzinfo=UTC)
    columns = (
        "campaign_id, program_id, partner_profile_id, team_id, public_id, email, origin, "
        "status, cpa_cents, payable, signals, pending_until, settled_at, created_at"
    )
    # Every value read before the COPY: a query on the connection during it would wait forever.
    fixed = (
        f"{campaign.pk}\t{campaign.program_id}\t{campaign.partner_profile_id}\t"
        f"{campaign.publication.team_id}"
    )
    copy_sql = f"COPY partners_partnerreferral ({columns}) FROM STDIN"
    with (
        transaction.atomic(),
        connection.cursor() as cur,
        cur.cursor.copy(copy_sql) as copy,
    ):
        buffer = io.StringIO()
        for i in range(count):
            at = (start + timedelta(seconds=i * 90)).isoformat()
            buffer.write(
                f"{fixed}\t{make_public_id('partner_referral_')}\t"
                f"r{i}@example.com\tupscribe\tconfirmed\t{CPA}\tt\t[]\t{at}\t{at}\t{at}\n"
            )
            if i % 50_000 == 49_999:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def bench_list(count: int, rounds: int) -> None:
    program, key = seed_list(count)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    url = f"/v2/partner_programs/{program.public_id}/referrals"
    total = client.get(url, HTTP_HOST="127.0.0.1").json()["meta"]
    last = total["total_pages"]
    timings: dict[str, list[float]] = {"page 1": [], f"page {last}": []}
    for _ in range(rounds):
        for name, page in (("page 1", 1), (f"page {last}", last)):
            started = time.perf_counter()
            response = client.get(url, {"page": page}, HTTP_HOST="127.0.0.1")
            timings[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content
            assert response.json()["referrals"], name
    medians = {name: statistics.median(values) for name, values in timings.items()}
    first, deep = medians.values()
    print(
        f"list of {total['total_referrals']:,} referrals: "
        + ", ".join(f"{n} {m:.1f} ms" for n, m in medians.items())
        + f" (median of {rounds}; last/first {deep / first:.2f}); "
        f"load {os.getloadavg()[0]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settle", type=int, default=20_000)
    parser.add_argument("--list", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--parallel", type=int, default=1, help="settlers at once (PARTNER_SETTLE_PARALLEL)"
    )
    args = parser.parse_args()
    if args.settle:
        bench_settle(args.settle, args.parallel)
    if args.list:
        bench_list(args.list, args.rounds)
    print(f"done {date.today()}")


if __name__ == "__main__":
    main()
