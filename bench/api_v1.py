"""API v1 beside v2: the same reads and writes through each, in process, at 100,000 members.

    uv run python bench/generate_subscribers.py --team bench-v1 --count 100000
    uv run python bench/api_v1.py [--team bench-v1] [--repeat 100]

Fills the team's default campaign with a membership per subscriber (as
bench/campaign_leaderboard.py does), then sends each pair of requests through Django's whole
stack (middleware, authentication, rate limits in the configured cache, the view, the JSON)
with the test client, alternating v1 and v2, and prints each one's median and p95 latency
and its SQL statements. What it shows: v1's thin layer costs what v2 costs (its extra
rate-limit counter aside), and its lists keep v2's behaviour at depth. PostgreSQL only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparkloop.settings")
# Rate limits must not refuse the benchmark (they are counted all the same).
os.environ["RATE_LIMIT_DEFAULT"] = os.environ["RATE_LIMIT_V1"] = "100000000/60"

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import set_script_prefix  # noqa: E402

from bench.campaign_leaderboard import fill  # noqa: E402
from referrals.models import Campaign  # noqa: E402
from sparkloop.models import Team  # noqa: E402

Call = Callable[[], int]


def measure(call: Call, repeat: int) -> tuple[float, float, int]:
    """Median and p95 latency (ms) of `call`, and the statements of one call."""
    call()  # warm up
    with CaptureQueriesContext(connection) as queries:
        call()
    statements = len(queries)  # now: the log it reads is emptied by the next request
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        status = call()
        samples.append((time.perf_counter() - start) * 1000)
        assert status < 300, status
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], statements


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--team", default="bench-v1")
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()
    team = Team.objects.get(name=args.team)
    campaign = Campaign.objects.get(team=team, is_default=True)
    members = fill(campaign)
    info = Path(settings.VAR_DIR) / "bench" / f"{args.team}.json"
    key = json.loads(info.read_text())["api_key"]
    client = Client(headers={"X-Api-Key": key})
    set_script_prefix("/")
    c = campaign.public_id
    print(f"campaign {c}: {members:,} members; cache {settings.CACHES['default']['BACKEND']}")

    created = iter(range(10**9))

    def get(path: str) -> Call:
        return lambda: client.get(path).status_code

    def create(version: str) -> Call:
        def call() -> int:
            email = f"bench-{version}-{time.time_ns()}-{next(created)}@example.com"
            path = f"/v1/campaigns/{c}/subscribers" if version == "v1" else "/v2/subscribers"
            body = json.dumps({"email": email})
            return client.post(path, body, content_type="application/json").status_code

        return call

    email = "reader50000%40example.com"
    pairs: list[tuple[str, Call, Call]] = [
        (
            "list page 1 (50 members)",
            get(f"/v1/campaigns/{c}/subscribers?page=1"),
            get(f"/v2/campaigns/{c}/subscribers?page=1"),
        ),
        (
            "list page 1,000 (50 members)",
            get(f"/v1/campaigns/{c}/subscribers?page=1000"),
            get(f"/v2/campaigns/{c}/subscribers?page=1000"),
        ),
        (
            "one member by email",
            get(f"/v1/campaigns/{c}/subscribers/{email}"),
            get(f"/v2/campaigns/{c}/subscribers/{email}"),
        ),
        ("create a subscriber", create("v1"), create("v2")),
    ]
    column = f"{'median':>10} {'p95':>8} {'SQL':>4}"
    print(f"{'':<30} {column}   {column}   (v1, then v2)")
    for label, v1, v2 in pairs:
        # Alternated, twice each, so that a change in the machine's load hits both alike.
        runs: dict[str, list[tuple[float, float, int]]] = {"v1": [], "v2": []}
        for _ in range(2):
            runs["v1"].append(measure(v1, args.repeat // 2))
            runs["v2"].append(measure(v2, args.repeat // 2))
        cells = [
            f"{statistics.mean(r[0] for r in rs):8.2f}ms {max(r[1] for r in rs):6.2f}ms "
            f"{rs[0][2]:4}"
            for rs in (runs["v1"], runs["v2"])
        ]
        print(f"{label:<30} {cells[0]}   {cells[1]}")


if __name__ == "__main__":
    main()
