"""The subscriber hot paths in one process: SQL statements per request and CPU (issue 11).

    uv run python bench/hotpath.py [--requests 300] [--webhooks 0]

Runs on the configured database (SQLite by default, PostgreSQL with DATABASE_URL) in a
throwaway test database of its own (`<name>_hotpath_bench`), through the DRF test client
with a real API key, so every request goes through authentication, the rate limit, the
view, the services and the renderer. It prints, for each request of issue 11's targets, the
SQL statements Django ran (`CaptureQueriesContext`), then the CPU time (`time.process_time`)
of `--requests` referred creates against as many GETs by email, measured in alternating
blocks, and their ratio (target: a referred create <= 2.0x a GET by email).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparkloop.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)
from rest_framework.test import APIClient  # noqa: E402

from sparkloop.services import api_key_create, team_create  # noqa: E402


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


class World:
    """A team with a key, a confirmed referrer, a few subscribers and (optional) webhooks."""

    def __init__(self, webhooks: int) -> None:
        self.team = team_create(name="hotpath-bench")
        _, raw = api_key_create(team=self.team)
        self.client = APIClient()
        self.client.credentials(HTTP_X_API_KEY=raw)
        self.n = 0
        referrer = self.post({"email": "referrer@example.com", "status": "confirmed"})
        self.ref_code = referrer["ref_code"]
        for i in range(webhooks):
            self.client.post(
                "/v2/webhooks",
                {"url": f"https://hooks{i}.example.com/in", "new_referral": True},
                format="json",
            )
        from referrals.models import Campaign

        self.campaign_uuid = Campaign.objects.get(team=self.team, is_default=True).public_id

    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post("/v2/subscribers", body, format="json")
        assert response.status_code == 201, response.content
        return dict(response.json()["subscriber"])

    def email(self) -> str:
        self.n += 1
        return f"reader{self.n}@example.com"


def statements(world: World) -> list[tuple[str, int, int]]:
    """(request, statements, status) for each of issue 11's targets."""
    c = world.client
    rows: list[tuple[str, int, int]] = []

    def count(label: str, call: Callable[[], Any]) -> Any:
        with CaptureQueriesContext(connection) as captured:
            response = call()
        rows.append((label, len(captured), response.status_code))
        return response

    pending = world.post({"email": world.email(), "referrer_code": world.ref_code})
    email = world.email()
    count(
        "POST /v2/subscribers referrer_code",
        lambda: c.post(
            "/v2/subscribers", {"email": email, "referrer_code": world.ref_code}, format="json"
        ),
    )
    email = world.email()
    count(
        "POST /v2/subscribers (plain)",
        lambda: c.post("/v2/subscribers", {"email": email}, format="json"),
    )
    count("GET /v2/subscribers/:uuid", lambda: c.get(f"/v2/subscribers/{pending['uuid']}"))
    count("GET /v2/subscribers/:email", lambda: c.get(f"/v2/subscribers/{pending['email']}"))
    count("GET /v2/subscribers (page 1)", lambda: c.get("/v2/subscribers"))
    count(
        "PUT /v2/subscribers/:id name",
        lambda: c.put(f"/v2/subscribers/{pending['uuid']}", {"name": "N"}, format="json"),
    )
    count(
        "PUT /v2/subscribers/:id status=confirmed",
        lambda: c.put(f"/v2/subscribers/{pending['uuid']}", {"status": "confirmed"}, format="json"),
    )
    other = world.post({"email": world.email(), "referrer_code": world.ref_code})
    count(
        "PUT /v2/subscribers/:id/reject",
        lambda: c.put(f"/v2/subscribers/{other['uuid']}/reject"),
    )
    count(
        "PUT /v2/subscribers/:id/unsubscribe",
        lambda: c.put(f"/v2/subscribers/{pending['uuid']}/unsubscribe"),
    )
    count(
        "GET /v2/campaigns/:uuid/subscribers/:id",
        lambda: c.get(f"/v2/campaigns/{world.campaign_uuid}/subscribers/{pending['uuid']}"),
    )
    return rows


def cpu(world: World, requests: int, blocks: int = 5) -> dict[str, float]:
    """CPU ms per request of referred creates and GETs by email, in alternating blocks."""
    c = world.client
    per_block = max(1, requests // blocks)
    emails = [world.post({"email": world.email()})["email"] for _ in range(20)]
    for i in range(20):  # warm-up
        c.get(f"/v2/subscribers/{emails[i % len(emails)]}")
        world.post({"email": world.email(), "referrer_code": world.ref_code})
    create: list[float] = []
    get: list[float] = []
    for _ in range(blocks):
        start = time.process_time()
        for i in range(per_block):
            response = c.get(f"/v2/subscribers/{emails[i % len(emails)]}")
            assert response.status_code == 200
        get.append((time.process_time() - start) * 1000 / per_block)
        bodies = [
            {"email": world.email(), "referrer_code": world.ref_code} for _ in range(per_block)
        ]
        start = time.process_time()
        for body in bodies:
            response = c.post("/v2/subscribers", body, format="json")
            assert response.status_code == 201, response.content
        create.append((time.process_time() - start) * 1000 / per_block)
    return {
        "get_ms": statistics.median(get),
        "create_ms": statistics.median(create),
        "ratio": statistics.median(create) / statistics.median(get),
        "requests": per_block * blocks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="of each kind, for CPU")
    parser.add_argument("--webhooks", type=int, default=0, help="endpoints of the team")
    args = parser.parse_args()
    db = settings.DATABASES["default"]
    db.setdefault("TEST", {})["NAME"] = (
        None if db["ENGINE"].endswith("sqlite3") else f"{db['NAME']}_hotpath_bench"
    )
    setup_test_environment()
    settings.RATE_LIMIT_DEFAULT = "100000000/60"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(f"{connection.vendor}, {args.webhooks} webhook endpoints; {uptime()}")
        world = World(args.webhooks)
        for label, n, status in statements(world):
            print(f"  {label:<44} {n:3d} statements  ({status})")
        figures = cpu(world, args.requests)
        print(
            f"  CPU per request over {figures['requests']} of each: GET by email "
            f"{figures['get_ms']:.2f} ms, referred create {figures['create_ms']:.2f} ms, "
            f"ratio {figures['ratio']:.2f} (target <= 2.0)"
        )
        print(f"  {uptime()}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
