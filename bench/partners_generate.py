"""A partner network to measure: teams, publications with programs, partner campaigns and,
with --referrals N, N partner referrals (PostgreSQL COPY).

    uv run python bench/partners_generate.py [--prefix pn] [--teams 200] \
        [--publications 1000] [--campaigns 10000] [--referrals 0]

Teams (and their partner profiles and API keys) are made by the project's services; the
rest is bulk-inserted: publications (names and descriptions drawn from a word list, 1-3
categories, a language), one program each (90 % listed in the directory, 95 % active, CPA
1-5 dollars, a third restricted to a few countries), and partner campaigns, each a distinct
(partner profile, program of another team) pair, 85 % active, 10 % pending approval.
Referrals (`--referrals`) are spread over the active paid campaigns: 70 % pending (half of
them already past `pending_until`, so a settlement run has work), 20 % confirmed, 10 %
rejected, created over the last 60 days; they have no subscriber row (as erased ones).
Writes the first team's key and a few words to search for to `$VAR_DIR/bench/<prefix>.json`.
PostgreSQL only (COPY); VACUUM ANALYZE at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparkloop.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from referrals.partners.catalog.serializers import AGE_RANGES, CATEGORIES  # noqa: E402
from referrals.partners.models import (  # noqa: E402
    PartnerCampaign,
    PartnerProfile,
    PartnerProgram,
    PartnerReferral,
    Publication,
)
from sparkloop.ids import make_public_id  # noqa: E402
from sparkloop.services import api_key_create, team_create  # noqa: E402

WORDS = [
    "coffee",
    "daily",
    "weekly",
    "brief",
    "morning",
    "signal",
    "market",
    "crypto",
    "garden",
    "travel",
    "recipe",
    "startup",
    "design",
    "indie",
    "founder",
    "growth",
    "climate",
    "science",
    "politics",
    "football",
    "fitness",
    "money",
    "career",
    "parenting",
    "history",
    "music",
    "cinema",
    "books",
    "health",
    "privacy",
    "security",
    "cloud",
    "data",
    "ai",
    "product",
    "marketing",
    "newsletter",
    "digest",
    "insider",
    "notes",
    "letters",
    "dispatch",
    "review",
    "roundup",
    "chronicle",
]
LANGUAGES = ["English"] * 6 + ["Deutsch", "Español", "Français", "Italiano"]
COUNTRIES = ["US", "GB", "CA", "AU", "DE", "FR", "ES", "IT", "NL", "SE", "IN", "BR"]


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def make_teams(prefix: str, count: int) -> list[PartnerProfile]:
    with transaction.atomic():
        teams = [team_create(name=f"{prefix}-{i}") for i in range(count)]
    return list(PartnerProfile.objects.filter(team__in=teams).order_by("id"))


def make_catalogue(
    rng: random.Random, profiles: list[PartnerProfile], count: int
) -> list[PartnerProgram]:
    publications = [
        Publication(
            team_id=profiles[i % len(profiles)].team_id,
            name=f"{words(rng, 2).title()} {i}",
            description=f"{words(rng, 12).capitalize()}.",
            categories=rng.sample(CATEGORIES, rng.randint(1, 3)),
            language=rng.choice(LANGUAGES),
            status="active",
            send_frequency="weekly",
            audience_gender="mixed",
            age_ranges=[rng.choice(AGE_RANGES)],
        )
        for i in range(count)
    ]
    Publication.objects.bulk_create(publications, batch_size=5000)
    programs = []
    for publication in publications:
        restricted = rng.random() < 0.33
        programs.append(
            PartnerProgram(
                team_id=publication.team_id,
                publication=publication,
                status="active" if rng.random() < 0.95 else "paused",
                show_in_directory=rng.random() < 0.9,
                cpa_cents=rng.choice([100, 150, 200, 250, 300, 400, 500]),
                max_payout_cents=rng.choice([5_000, 20_000, 50_000, 100_000]),
                total_budget_cents=rng.choice([50_000, 100_000, 500_000]),
                redirect_url="https://example.com/",
                allow_worldwide_referrals=not restricted,
                allowed_countries=rng.sample(COUNTRIES, 3) if restricted else [],
                requires_approval=rng.random() < 0.2,
            )
        )
    PartnerProgram.objects.bulk_create(programs, batch_size=5000)
    return programs


def make_campaigns(
    rng: random.Random, profiles: list[PartnerProfile], programs: list[PartnerProgram], n: int
) -> list[PartnerCampaign]:
    now, seen = timezone.now(), set()
    campaigns: list[PartnerCampaign] = []
    while len(campaigns) < n:
        profile, program = rng.choice(profiles), rng.choice(programs)
        if program.team_id == profile.team_id or (profile.pk, program.pk) in seen:
            continue
        seen.add((profile.pk, program.pk))
        roll = rng.random()
        status = "active" if roll < 0.85 else "pending" if roll < 0.95 else "paused"
        campaigns.append(
            PartnerCampaign(
                team_id=profile.team_id,
                partner_profile=profile,
                publication_id=program.publication_id,
                program=program,
                campaign_type="partner_program",
                status=status,
                reason_for_recommending="Our readers will like it.",
                accepted_terms_at=now,
            )
        )
    PartnerCampaign.objects.bulk_create(campaigns, batch_size=5000)
    return campaigns


def copy_referrals(rng: random.Random, campaigns: list[PartnerCampaign], n: int) -> None:
    """N partner referrals through one COPY (psycopg 3), in the table's own columns."""
    active = [c for c in campaigns if c.status == "active"]
    programs = {
        p.pk: p for p in PartnerProgram.objects.filter(pk__in={c.program_id for c in active})
    }
    now = timezone.now()
    columns = [
        "campaign_id", "program_id", "partner_profile_id", "team_id", "public_id", "email",
        "country_code", "origin", "status", "rejection_reason", "cpa_cents", "payable",
        "budget_month", "signals", "pending_until", "settled_at", "created_at",
    ]  # fmt: skip
    table = PartnerReferral._meta.db_table
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.connection.cursor().copy(sql) as copy:
        for i in range(n):
            campaign = rng.choice(active)
            program = programs[campaign.program_id or 0]
            created = now - timedelta(seconds=rng.randint(0, 60 * 86400))
            roll = rng.random()
            status = "pending" if roll < 0.7 else "confirmed" if roll < 0.9 else "rejected"
            if status == "pending":
                # Half of the pending are due: a settlement run finds work.
                pending_until = now + timedelta(days=rng.choice([-1, 1]) * rng.randint(1, 14))
            else:
                pending_until = created + timedelta(days=program.referral_pending_duration)
            copy.write_row(
                (
                    campaign.pk, program.pk, campaign.partner_profile_id, program.team_id,
                    make_public_id("partner_referral_"), f"reader{i}@example.com",
                    rng.choice(COUNTRIES), "upscribe", status,
                    "unsubscribed" if status == "rejected" else None,
                    program.cpa_cents, status != "rejected",
                    created.date().replace(day=1), "[]", pending_until,
                    None if status == "pending" else pending_until, created,
                )
            )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prefix", default="pn")
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--publications", type=int, default=1000)
    parser.add_argument("--campaigns", type=int, default=10_000)
    parser.add_argument("--referrals", type=int, default=0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "PostgreSQL only (COPY)"
    rng = random.Random(args.seed)
    started = time.perf_counter()
    profiles = make_teams(args.prefix, args.teams)
    with transaction.atomic():
        programs = make_catalogue(rng, profiles, args.publications)
        campaigns = make_campaigns(rng, profiles, programs, args.campaigns)
        if args.referrals:
            copy_referrals(rng, campaigns, args.referrals)
    with connection.cursor() as cursor:
        for model in (Publication, PartnerProgram, PartnerCampaign, PartnerReferral):
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
    _, raw = api_key_create(team=profiles[0].team, name="bench")
    out = Path(settings.VAR_DIR) / "bench" / f"{args.prefix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "team": profiles[0].team.name,
                "key": raw,
                "queries": ["coffee", "indie founder", "ai"],
            }
        )
    )
    print(
        f"{args.teams} teams, {args.publications} publications and programs, "
        f"{args.campaigns} partner campaigns, {args.referrals} referrals "
        f"in {time.perf_counter() - started:.1f} s; key in {out}"
    )


if __name__ == "__main__":
    main()
