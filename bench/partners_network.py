"""The partner network's listing with a `query`, in process, and its query plan.

    uv run python bench/partners_generate.py            # 1,000 publications, 10,000 campaigns
    uv run python bench/partners_network.py [--prefix pn] [--repeat 200]

Sends `GET /v2/partner_network/publications?query=<q>` (and the programs listing with
filters) through Django's whole stack with the test client (middleware, the key, rate
limits in the configured cache, the view, the JSON), prints each one's median and p95
latency and its SQL statements, then `EXPLAIN (ANALYZE, BUFFERS)` of the search's page
query, so the trigram GIN index (publication_search_trgm_idx) can be seen serving it.
PostgreSQL only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparkloop.settings")
os.environ["RATE_LIMIT_DEFAULT"] = "100000000/60"  # counted, never refusing

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from referrals.partners.catalog.selectors import network_publication_list  # noqa: E402
from sparkloop.models import Team  # noqa: E402


def measure(client: Client, path: str, repeat: int) -> tuple[float, float, int, int]:
    """Median and p95 latency (ms), SQL statements of one request, items on the page."""
    response = client.get(path)
    assert response.status_code == 200, response.content
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    statements = len(queries)  # now: the next request empties the log it reads
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    items = len(next(v for k, v in response.json().items() if k != "meta"))
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], statements, items


def explain(team: Team, query: str) -> str:
    page = network_publication_list(team=team, filters={"query": query})[:50]
    sql, params = page.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prefix", default="pn")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "PostgreSQL only"
    world = json.loads((Path(settings.VAR_DIR) / "bench" / f"{args.prefix}.json").read_text())
    team = Team.objects.get(name=world["team"])
    client = Client(HTTP_X_API_KEY=world["key"], HTTP_HOST="127.0.0.1")
    paths = [
        "/v2/partner_profile",  # a baseline: one small object, under the same conditions
        *(f"/v2/partner_network/publications?query={q}" for q in world["queries"]),
        "/v2/partner_network/publications?sort=name&order=asc",
        "/v2/partner_network/partner_programs?cpa=2&accepted_countries=US,GB&sort=cpa",
    ]
    print(f"{'request':<78} {'p50 ms':>7} {'p95 ms':>7} {'SQL':>4} {'items':>5}")
    for path in paths:
        p50, p95, statements, items = measure(client, path.replace(" ", "%20"), args.repeat)
        print(f"{path:<78} {p50:7.2f} {p95:7.2f} {statements:4d} {items:5d}")
    for query in world["queries"][:2]:
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the page query for query={query!r}:")
        print(explain(team, query))


if __name__ == "__main__":
    main()
