"""Campaign create at the list bounds: the largest campaign allowed, and what is refused.

    uv run python bench/campaign_create.py [--repeat 5]

Posts to `POST /v2/campaigns` in process (Django's test client through the whole stack:
authentication, rate limit, parsing, validation, the service, rendering) for a throw-away
team, which it deletes afterwards. It times the largest body allowed (100 rewards with
10,000 coupon codes between them), bodies refused for their size (10,000 rewards; 10,001
coupon codes), and, for comparison, the service alone creating the 10,000 rewards that the
API used to accept.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparkloop.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from referrals.serializers import MAX_COUPON_CODES, MAX_REWARDS  # noqa: E402
from referrals.services import campaign_create  # noqa: E402
from sparkloop.models import Team  # noqa: E402
from sparkloop.services import api_key_create, team_create  # noqa: E402


def rewards(count: int, codes_each: int) -> list[dict[str, Any]]:
    return [
        {
            "name": f"Reward {i}",
            "referrals": i + 1,
            "coupon_codes": [f"R{i}-{n:05d}" for n in range(codes_each)],
        }
        for i in range(count)
    ]


def timed(label: str, repeat: int, call: Callable[[], int]) -> None:
    samples, statuses = [], set()
    for _ in range(repeat):
        start = time.perf_counter()
        statuses.add(call())
        samples.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:<58} median {statistics.median(samples):8.1f} ms"
        f"   max {max(samples):8.1f} ms   status {sorted(statuses)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"database: {connection.vendor}; load average: {os.getloadavg()}")
    team = team_create(name=f"bench-campaign-create-{os.getpid()}")
    try:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=api_key_create(team=team)[1])

        def post(body: dict[str, Any]) -> Callable[[], int]:
            return lambda: client.post("/v2/campaigns", body, format="json").status_code

        largest = {
            "name": "Largest",
            "rewards": rewards(MAX_REWARDS, MAX_COUPON_CODES // MAX_REWARDS),
        }
        timed("largest allowed: 100 rewards, 10,000 codes (201)", args.repeat, post(largest))
        pool = {"name": "Pool", "rewards": rewards(1, MAX_COUPON_CODES)}
        timed("one reward with 10,000 codes (201)", args.repeat, post(pool))
        many = {"name": "Many", "rewards": rewards(10_000, 0)}
        timed("refused: 10,000 rewards (400)", args.repeat, post(many))
        codes = {"name": "Codes", "rewards": rewards(1, MAX_COUPON_CODES + 1)}
        timed("refused: 10,001 codes in one reward (400)", args.repeat, post(codes))

        def unbounded() -> int:
            campaign_create(team=team, name="Unbounded", rewards=rewards(10_000, 0))
            return 0

        timed("service alone, 10,000 rewards (what the API accepted)", 1, unbounded)
    finally:
        Team.objects.filter(pk=team.pk).delete()


if __name__ == "__main__":
    main()
