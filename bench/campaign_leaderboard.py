"""Campaign reads at a million members: leaderboard, a member's rank, member list pages.

    uv run python bench/generate_subscribers.py --team bench-campaign --count 1000000
    uv run python bench/campaign_leaderboard.py [--team bench-campaign] [--repeat 30]

Fills the team's default campaign with a membership per subscriber (one INSERT … SELECT,
counts taken from the generated subscribers so they agree), then times the selectors the
endpoints use, in process (no HTTP), and prints the plans of the two leaderboard queries.
PostgreSQL only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparkloop.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from referrals import selectors  # noqa: E402
from referrals.models import Campaign, CampaignMembership  # noqa: E402
from referrals.selectors import counter_name  # noqa: E402
from sparkloop.counters import counter_add  # noqa: E402
from sparkloop.models import Team, TeamCounter  # noqa: E402


def fill(campaign: Campaign) -> int:
    members = CampaignMembership.objects.filter(campaign=campaign).count()
    subscribers = campaign.team.subscribers.count()
    if members == subscribers:
        return members
    table = CampaignMembership._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        CampaignMembership.objects.filter(campaign=campaign).delete()
        TeamCounter.objects.filter(
            team=campaign.team, name__startswith=f"campaign.{campaign.pk}."
        ).delete()
        cursor.execute(
            f"""
            INSERT INTO {table} (team_id, campaign_id, subscriber_id, public_id, referred,
                referrals_count, verified_referrals_count, score_reached_at,
                subscriber_created_at, created_at)
            SELECT s.team_id, %s, s.id, 'membership_' || substr(md5(random()::text), 1, 12),
                s.referred, s.referrals_count, s.verified_referrals_count,
                CASE WHEN s.verified_referrals_count > 0
                     THEN s.created_at + random() * interval '30 days' END,
                s.created_at, now()
            FROM subscribers_subscriber s WHERE s.team_id = %s
            """,
            [campaign.pk, campaign.team_id],
        )
        qs = CampaignMembership.objects.filter(campaign=campaign)
        for list_type, count in (
            ("all", qs.count()),
            ("referrals", qs.filter(referred=True).count()),
            ("advocates", qs.filter(referrals_count__gt=0).count()),
        ):
            counter_add(
                team_id=campaign.team_id, name=counter_name(campaign.pk, list_type), delta=count
            )
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")
    return CampaignMembership.objects.filter(campaign=campaign).count()


def timed(label: str, repeat: int, call: Callable[[], Any]) -> None:
    call()  # warm the cache: we measure the steady state
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"{label:<48} median {statistics.median(samples):7.2f} ms   p95 {p95:7.2f} ms")


def explain(sql_of: Callable[[], Any]) -> None:
    qs = sql_of()
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        for (line,) in cursor.fetchall():
            print("   ", line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--team", default="bench-campaign")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    team = Team.objects.get(name=args.team)
    campaign = Campaign.objects.get(team=team, is_default=True)
    start = time.perf_counter()
    members = fill(campaign)
    ready = time.perf_counter() - start
    print(f"campaign {campaign.public_id}: {members:,} members (ready in {ready:.1f} s)")
    ranked = CampaignMembership.objects.filter(campaign=campaign, verified_referrals_count__gt=0)
    ordered = ranked.order_by("-verified_referrals_count", "score_reached_at", "id")
    n_ranked = ranked.count()
    print(f"{n_ranked:,} members with a verified referral")
    top, middle, last = ordered[0], ordered[n_ranked // 2], ordered[n_ranked - 1]
    nobody = CampaignMembership.objects.filter(
        campaign=campaign, verified_referrals_count=0
    ).first()
    assert nobody is not None

    timed(
        "leaderboard top 10",
        args.repeat,
        lambda: selectors.campaign_leaderboard(campaign=campaign, limit=10),
    )
    timed(
        "leaderboard top 100",
        args.repeat,
        lambda: selectors.campaign_leaderboard(campaign=campaign, limit=100),
    )
    for label, m in (
        ("rank of #1", top),
        ("rank of the middle ranked", middle),
        ("rank of the last ranked", last),
        ("rank of a member with none", nobody),
    ):
        timed(label, args.repeat, partial(selectors.member_rank, membership=m))
    assert selectors.member_rank(membership=top) == 1
    assert selectors.member_rank(membership=last) == n_ranked

    def page(number: int, list_type: str = "all") -> list[Any]:
        qs = selectors.campaign_member_list(campaign=campaign, type=list_type)
        ids = list(qs.values_list("pk", flat=True)[(number - 1) * 50 : number * 50])
        return list(qs.order_by().filter(pk__in=ids))

    timed("member list, page 1", args.repeat, lambda: page(1))
    timed("member list, page 10,000 (offset 499,950)", args.repeat, lambda: page(10_000))
    timed("advocates list, page 1", args.repeat, lambda: page(1, "advocates"))
    timed(
        "member list total (maintained counter)",
        args.repeat,
        lambda: selectors.campaign_member_total(campaign=campaign),
    )

    print("plan: leaderboard top 10")
    explain(lambda: ordered.values("pk")[:10])
    print("plan: rank of the last ranked (members ahead by score)")
    explain(
        lambda: ranked.filter(verified_referrals_count__gt=last.verified_referrals_count).values(
            "pk"
        )
    )


if __name__ == "__main__":
    main()
