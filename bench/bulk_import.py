"""P5 (issue 12): importing a CSV through the import task vs PostgreSQL COPY of the same rows.

Writes a CSV of `--count` rows (email, name, own ref_code; `--referred` of them, 10 % by
default, name an earlier row's ref_code as referrer_code), then, side by side on the database
of DATABASE_URL: `COPY` of the file into a bare table of four text columns (no index), and the
import of the file into a fresh team by the task's own code (`subscriber_import_run`, in this
process, chunk after chunk, as a worker runs it). Reports rows/s of each and the ratio.

    uv run python bench/bulk_import.py --count 1000000
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparkloop.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from bench.load import uptime  # noqa: E402
from referrals.models import CampaignMembership  # noqa: E402
from referrals.services import campaign_create  # noqa: E402
from sparkloop.services import team_get_or_create  # noqa: E402
from subscribers.transfer.imports import (  # noqa: E402
    subscriber_import_create,
    subscriber_import_run,
)
from subscribers.transfer.models import SubscriberImport  # noqa: E402


def write_csv(path: Path, count: int, referred: float, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w") as out:
        out.write("email,name,ref_code,referrer_code\n")
        for i in range(count):
            referrer = ""
            if i > 100 and rng.random() < referred:
                referrer = f"rc{rng.randrange(i):07d}"
            out.write(f"reader{i}@example.com,Reader {i},rc{i:07d},{referrer}\n")


def copy_bare(path: Path) -> float:
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_import_bare")
        cur.execute(
            "CREATE UNLOGGED TABLE bench_import_bare "
            "(email text, name text, ref_code text, referrer_code text)"
        )
        cur.execute("ALTER TABLE bench_import_bare SET LOGGED")
        started = time.perf_counter()
        with (
            path.open("rb") as data,
            cur.cursor.copy(
                "COPY bench_import_bare FROM STDIN WITH (FORMAT csv, HEADER true)"
            ) as copy,
        ):
            while chunk := data.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        cur.execute("DROP TABLE bench_import_bare")
    return elapsed


def run_import(path: Path, campaign: bool = False) -> tuple[float, SubscriberImport]:
    team, _ = team_get_or_create(name=f"bench-import-{secrets.token_hex(3)}")
    target = campaign_create(team=team, name="Imported").public_id if campaign else ""
    with path.open("rb") as file:
        job = subscriber_import_create(
            team=team,
            file=file,
            file_name=path.name,
            size=path.stat().st_size,
            campaign_uuid=target,
            publish=False,
        )
    started = time.perf_counter()
    while subscriber_import_run(import_id=job.pk) == "again":
        pass
    elapsed = time.perf_counter() - started
    job.refresh_from_db()
    return elapsed, job


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--referred", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--batch-path",
        action="store_true",
        help="also import with IMPORT_SET_BASED off (every row through the batch write "
        "path: the import before the set-based path), side by side",
    )
    parser.add_argument(
        "--campaign",
        action="store_true",
        help="also import with campaign_uuid (every row joins a campaign), side by side",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("PostgreSQL only: set DATABASE_URL=postgres://...")
    path = Path(settings.VAR_DIR) / "bench" / f"import-{args.count}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(path, args.count, args.referred, args.seed)
    copy_seconds = copy_bare(path)
    copy_rate = args.count / copy_seconds
    print(
        f"{args.count:,} rows ({args.referred:.0%} referred, chunks of "
        f"{settings.IMPORT_CHUNK_ROWS}): COPY into a bare table {copy_seconds:.1f} s "
        f"({copy_rate:,.0f} rows/s) ({uptime()})",
        flush=True,
    )
    runs = [(True, False)]
    runs += [(True, True)] if args.campaign else []
    runs += [(False, False)] if args.batch_path else []
    runs += [(False, True)] if args.batch_path and args.campaign else []
    for set_based, campaign in runs:
        settings.IMPORT_SET_BASED = set_based
        import_seconds, job = run_import(path, campaign)
        assert job.status == "completed", (job.status, job.error)
        assert job.created == args.count, (job.created, job.failed, job.skipped)
        if campaign:
            joined = CampaignMembership.objects.filter(
                team=job.team, campaign__is_default=False
            ).count()
            assert joined == args.count, joined
        import_rate = args.count / import_seconds
        name = ("set-based" if set_based else "batch path") + (
            ", campaign_uuid" if campaign else ""
        )
        print(
            f"  import task ({name}) {import_seconds:.1f} s ({import_rate:,.0f} rows/s); "
            f"ratio {import_rate / copy_rate:.3f} ({uptime()})",
            flush=True,
        )


if __name__ == "__main__":
    main()
