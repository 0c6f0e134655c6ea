"""Load a large team of subscribers (default 1,000,000) into PostgreSQL, fast.

    uv run python bench/generate_subscribers.py [--team bench-1m] [--count 1000000] [--replace]

The team and an API key are made by the project's services; the rows go in with one
PostgreSQL COPY (psycopg 3) in one transaction, with ids reserved from the table's sequence.
About 10 % of subscribers are referred by an earlier subscriber (a skewed pool of ~2 % of
advocates, so a few advocates have hundreds of referrals); `referrer_id`, `referrer_code`,
`referral_status`, `referrals_count` and `verified_referrals_count` agree with each other as
the services would have left them, and the team's maintained counters (`subscribers`,
`subscribers.referred`, `subscribers.advocates`) are set to the exact totals.

Emails are `reader<i>@example.com` (some in mixed case), i = 0 … count-1, so load scripts can
address any subscriber. The raw API key and a sample of ref codes are written to
`$VAR_DIR/bench/<team>.json` for bench/load.py; the key alone is the last line of output.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparkloop.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from sparkloop.counters import counter_add  # noqa: E402
from sparkloop.models import TeamCounter  # noqa: E402
from sparkloop.services import api_key_create, team_get_or_create  # noqa: E402
from subscribers.models import Subscriber  # noqa: E402
from subscribers.selectors import (  # noqa: E402
    COUNTER_ADVOCATES,
    COUNTER_REFERRED,
    COUNTER_SUBSCRIBERS,
)

COLUMNS = (
    "id",
    "team_id",
    "public_id",
    "email",
    "email_normalized",
    "name",
    "ref_code",
    "status",
    "referrer_id",
    "referrer_code",
    "referred",
    "referral_status",
    "referrals_count",
    "verified_referrals_count",
    "ip_address",
    "user_agent",
    "origin",
    "country_code",
    "cpa_cents",
    "utm_source",
    "utm_campaign",
    "created_at",
    "updated_at",
    "confirmed_at",
    "unsubscribed_at",
)
NULL = "\\N"
FIRST = ("Ada", "Bo", "Chen", "Dana", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo", "Kofi", "Lea")
LAST = ("Smith", "Garcia", "Kim", "Okafor", "Rossi", "Novak", "Silva", "Tanaka", "Dubois")
COUNTRIES = ("US", "GB", "DE", "FR", "BR", "IN", "CA", "AU", "NL", "ES")
UTM = ("twitter", "newsletter", "podcast", "facebook", "google")
ORIGINS = (Subscriber.ORIGIN_API,) * 8 + ("embed-form", "import")
SPAN = timedelta(days=3 * 365)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Bijections on 2^32 and 2^48 (odd multipliers): unique ref codes and public ids, random-looking.
REF_MULT, ID_MULT = 2654435761, 0x9E3779B97F4B


def plan_referrals(count: int, rng: random.Random) -> tuple[list[int], list[str | None]]:
    """Who referred whom: referrer index (-1 for none) and referral status, per subscriber."""
    referrer = [-1] * count
    status: list[str | None] = [None] * count
    pool: list[int] = []
    for i in range(count):
        if pool and rng.random() < 0.10:
            # Skewed: early advocates (the head of the pool) get most of the referrals.
            referrer[i] = pool[int(len(pool) * rng.random() ** 3)]
            r = rng.random()
            status[i] = "verified" if r < 0.60 else ("pending" if r < 0.95 else "rejected")
        if rng.random() < 0.02:
            pool.append(i)
    return referrer, status


class TimestampText:
    """Epoch seconds as PostgreSQL timestamptz text, fast (one date formatting per day)."""

    def __init__(self) -> None:
        self.days: dict[int, str] = {}

    def __call__(self, t: int) -> str:
        d, s = divmod(t, 86400)
        day = self.days.get(d)
        if day is None:
            day = self.days[d] = (EPOCH + timedelta(days=d)).strftime("%Y-%m-%d")
        return f"{day} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00"


def rows(
    *, count: int, team_id: int, base_id: int, rng: random.Random, now: datetime
) -> tuple[io.StringIO, list[str]]:
    """The COPY text of `count` subscribers, and a random sample of their ref codes."""
    referrer, ref_status = plan_referrals(count, rng)
    made = [0] * count
    verified = [0] * count
    for i in range(count):
        j = referrer[i]
        if j >= 0 and ref_status[i] != "rejected":
            made[j] += 1
            if ref_status[i] == "verified":
                verified[j] += 1
    id_salt = rng.getrandbits(48)
    ref_salt = rng.getrandbits(32)
    end = int((now - EPOCH).total_seconds())
    start = end - int(SPAN.total_seconds())
    step = SPAN.total_seconds() / count
    created = [0] * count
    ref_codes = [""] * count
    ts = TimestampText()
    rand = rng.random
    out = io.StringIO()
    write = out.write
    for i in range(count):
        # Mostly in id order, with jitter so that created_at order is not the id order
        # (and a few equal created_at, ordered by id).
        at = start + int((i + 3 * rand()) * step)
        j = referrer[i]
        if j >= 0 and at <= created[j]:
            at = created[j] + 1
        created[i] = at
        code = f"{((i * REF_MULT) ^ ref_salt) & 0xFFFFFFFF:08x}"
        ref_codes[i] = code
        email = f"Reader{i}@Example.com" if i % 20 == 7 else f"reader{i}@example.com"
        r = rand()
        rs = ref_status[i]
        if rs == "verified" or (rs is None and r < 0.7):
            status = "confirmed"
        elif rs is None and r < 0.8:
            status = "unsubscribed"
        else:
            status = "pending"
        if status == "pending":
            confirmed_s = unsubscribed_s = NULL
            updated = at
        else:
            confirmed = min(at + 60 + int(36000 * rand()), end)
            confirmed_s = ts(confirmed)
            if status == "confirmed":
                unsubscribed_s = NULL
                updated = confirmed
            else:
                updated = min(confirmed + int(2592000 * rand()), end)
                unsubscribed_s = ts(updated)
        write(
            f"{base_id + i}\t{team_id}\tsub_{((i * ID_MULT) ^ id_salt) & 0xFFFFFFFFFFFF:012x}"
            f"\t{email}\t{email.lower()}\t"
            + (f"{FIRST[i % 12]} {LAST[i % 9]}" if r < 0.6 else NULL)
            + f"\t{code}\t{status}\t"
            + (f"{base_id + j}\t{ref_codes[j]}\tt\t{rs}" if j >= 0 else "\\N\t\\N\tf\t\\N")
            + f"\t{made[i]}\t{verified[i]}\t"
            + (f"203.0.{i % 256}.{(i >> 8) % 256}" if r < 0.3 else NULL)
            + f"\t\\N\t{ORIGINS[i % 10]}\t"
            + (COUNTRIES[i % 10] if r < 0.5 else NULL)
            + "\t\\N\t"
            + (UTM[i % 5] if r < 0.2 else NULL)
            + f"\t\\N\t{ts(at)}\t{ts(updated)}\t{confirmed_s}\t{unsubscribed_s}\n"
        )
    out.seek(0)
    return out, [ref_codes[rng.randrange(count)] for _ in range(2000)]


def drop_secondary_indexes(cur: Any, table: str) -> list[str]:
    """Drop the table's indexes, unique and foreign-key constraints but the primary key.

    Building an index once over sorted data is far faster than a million random B-tree
    insertions, and one validating query per foreign key beats a trigger per row. Returns the
    statements that recreate them, under the same names, to run after the COPY in the same
    transaction (so an interrupted load leaves the schema as it was).
    """
    cur.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype IN ('u', 'f')",
        [table],
    )
    constraints = cur.fetchall()
    cur.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT EXISTS"
        " (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [table],
    )
    indexes = cur.fetchall()
    for name, _ in constraints:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cur.execute(f"DROP INDEX {name}")
    return [definition for _, definition in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for name, definition in constraints
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--team", default="bench-1m")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument(
        "--replace", action="store_true", help="delete the team's subscribers first"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("PostgreSQL only: set DATABASE_URL=postgres://...")
    started = time.monotonic()
    team, _ = team_get_or_create(name=args.team)
    table = Subscriber._meta.db_table
    replace = Subscriber.objects.filter(team=team).exists()
    if replace and not args.replace:
        sys.exit(f"team {team.name!r} already has subscribers; pass --replace")

    rng = random.Random(args.seed)
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    with transaction.atomic(), connection.cursor() as cur:
        # Reserve a block of ids from the sequence, so concurrent writers never collide.
        cur.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        cur.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
        (seq,) = cur.fetchone()
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        (max_id,) = cur.fetchone()
        cur.execute("SELECT setval(%s, %s)", [seq, max_id + args.count])
        t0 = time.monotonic()
        data, ref_codes_sample = rows(
            count=args.count, team_id=team.pk, base_id=max_id + 1, rng=rng, now=now
        )
        print(f"generated {args.count:,} rows in {time.monotonic() - t0:.1f} s")
        t0 = time.monotonic()
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        rebuild = drop_secondary_indexes(cur, table)
        if replace:
            # After the drop: no per-row foreign-key trigger on the way out either.
            cur.execute("DELETE FROM subscribers_subscriberevent WHERE team_id = %s", [team.pk])
            cur.execute(f"DELETE FROM {table} WHERE team_id = %s", [team.pk])
            print(f"deleted the old subscribers in {time.monotonic() - t0:.1f} s")
            t0 = time.monotonic()
        with cur.cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            while chunk := data.read(1 << 20):
                copy.write(chunk)
        print(f"copied in {time.monotonic() - t0:.1f} s")
        t0 = time.monotonic()
        for statement in rebuild:
            cur.execute(statement)
        print(f"rebuilt {len(rebuild)} indexes and constraints in {time.monotonic() - t0:.1f} s")

        TeamCounter.objects.filter(
            team=team, name__in=[COUNTER_SUBSCRIBERS, COUNTER_REFERRED, COUNTER_ADVOCATES]
        ).delete()
        cur.execute(
            f"SELECT COUNT(*), COUNT(*) FILTER (WHERE referred),"
            f" COUNT(*) FILTER (WHERE referrals_count > 0) FROM {table} WHERE team_id = %s",
            [team.pk],
        )
        n_all, n_referred, n_advocates = cur.fetchone()
        counter_add(team_id=team.pk, name=COUNTER_SUBSCRIBERS, delta=n_all)
        counter_add(team_id=team.pk, name=COUNTER_REFERRED, delta=n_referred)
        counter_add(team_id=team.pk, name=COUNTER_ADVOCATES, delta=n_advocates)
    t0 = time.monotonic()
    with connection.cursor() as cur:
        # Statistics for the planner and the visibility map for index-only scans, as
        # autovacuum would leave them some minutes after a bulk load.
        cur.execute(f"VACUUM (ANALYZE) {table}")
    print(f"vacuum analyze in {time.monotonic() - t0:.1f} s")

    _, raw_key = api_key_create(team=team, name="bench")
    info_dir = Path(settings.VAR_DIR) / "bench"
    info_dir.mkdir(parents=True, exist_ok=True)
    info = {
        "team": team.name,
        "team_id": team.pk,
        "count": args.count,
        "api_key": raw_key,
        "email_pattern": "reader{i}@example.com",
        "ref_codes_sample": ref_codes_sample,
    }
    info_path = info_dir / f"{team.name}.json"
    info_path.write_text(json.dumps(info))
    info_path.chmod(0o600)
    print(
        f"team {team.name!r}: {n_all:,} subscribers, {n_referred:,} referred,"
        f" {n_advocates:,} advocates; total {time.monotonic() - started:.1f} s"
        f" (info in {info_path})"
    )
    print(raw_key)


if __name__ == "__main__":
    main()
