"""Upscribe's hot paths, in process: generate for one visitor and subscribe with 3 picks.

    uv run python bench/upscribe_generate.py [--repeat 200] [--programs 200] [--recs 500]

Builds (once; later runs reuse it) a team `bench-upscribe` with one upscribe whose
recommendations are 500 partner campaigns across 200 programs of other teams (paid ones
with geo rules and budgets, free ones), and one subscriber. Then sends requests through
Django's whole stack (middleware, key authentication, rate limits in the configured cache,
the view, the JSON) with the test client, alternating `POST /v2/upscribes/:uuid/recommendations`
(`country_code` US, `limit` 3) and `GET /v2/subscribers/:email` so that both see the same
machine load, and prints each one's median and p95 latency and SQL statements. Last,
`POST /v2/upscribes/:uuid/subscribe` with 3 picks, each for a new email, in a loop: requests
per second (each makes 3 partner referrals, 3 subscribers of the recommended teams, their
budget reservations and their webhook events). PostgreSQL only.

    uv run python bench/upscribe_generate.py --wrk 2,4 [--duration 15] [--rounds 2]

Also under gunicorn (bench/load.py's: sparkloop/gunicorn_conf.py, sync workers, rate limits
lifted) with wrk (`-t2 -c8`): the same subscribe with 3 picks, a new email per request,
for each number of workers given, `--rounds` times alternating; requests/s, p50 and the
CPU of the workers and the database backends per request. With `--celery`, a Celery
worker (one process) runs beside gunicorn, as on a one-machine install: it expands the
webhook events the subscribes record, on the same cores; the events it left unexpanded
three seconds after the run are counted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparkloop.settings")
# Rate limits must not refuse the benchmark (they are counted all the same).
os.environ["RATE_LIMIT_DEFAULT"] = "100000000/60"

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from referrals.partners.models import PartnerCampaign, PartnerProgram, Publication  # noqa: E402
from referrals.partners.models.upscribe import Upscribe  # noqa: E402
from referrals.partners.upscribe.services import upscribe_create  # noqa: E402
from sparkloop.services import api_key_create, team_create, team_get_or_create  # noqa: E402
from subscribers.services import subscriber_create  # noqa: E402
from webhooks.models import Event  # noqa: E402

TEAM = "bench-upscribe"
Call = Callable[[], int]


def measure(call: Call, repeat: int) -> tuple[float, float, int]:
    """Median and p95 latency (ms) of `call`, and the statements of one call."""
    call()
    with CaptureQueriesContext(connection) as queries:
        call()
    statements = len(queries)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        status = call()
        samples.append((time.perf_counter() - start) * 1000)
        assert status < 300, status
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], statements


@transaction.atomic
def build(*, programs: int, recs: int) -> Upscribe:
    """The team, its upscribe and `recs` recommendations across `programs` programs."""
    team, _ = team_get_or_create(name=TEAM)
    upscribe = Upscribe.objects.filter(team=team).first()
    if upscribe is not None:
        return upscribe
    own = Publication.objects.create(team=team, name="Bench News", status="active")
    upscribe = upscribe_create(team=team, publication=own)
    profile = team.partner_profile
    made = []
    for n in range(programs):
        owner = team_create(name=f"{TEAM}-owner-{n}")
        publication = Publication.objects.create(team=owner, name=f"Owner {n}", status="active")
        made.append(
            PartnerProgram.objects.create(
                team=owner,
                publication=publication,
                cpa_cents=100 + n * 7 % 400,
                max_payout_cents=100_000_000,
                total_budget_cents=100_000_000,
                redirect_url="https://example.com/",
                allow_worldwide_referrals=n % 4 != 0,
                allowed_countries=["US", "CA"] if n % 4 == 0 else [],
            )
        )
    for program in made:  # one paid campaign per program ...
        PartnerCampaign.objects.create(
            team=team,
            partner_profile=profile,
            publication=program.publication,
            program=program,
            campaign_type="partner_program",
        )
    for n in range(recs - programs):  # ... and free ones for the rest
        PartnerCampaign.objects.create(
            team=team,
            partner_profile=profile,
            publication=Publication.objects.create(
                team=made[n % programs].team, name=f"Free {n}", status="active"
            ),
            campaign_type="free",
        )
    subscriber_create(team=team, email="reader@example.com")
    return upscribe


def analyze() -> None:
    """Fresh planner statistics once the rows are in (the ranking's plan depends on them)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


SUBSCRIBE_LUA = """
local headers = {{["X-Api-Key"] = "{key}", ["Content-Type"] = "application/json"}}
local counter = 0
local threads = 0
setup = function(thread) threads = threads + 1; thread:set("id", threads) end
request = function()
  counter = counter + 1
  local body = '{{"subscriber_email": "w{nonce}-' .. id .. '-' .. counter .. '@example.com",'
    .. ' "recommendations": "{picks}"}}'
  return wrk.format("POST", "{path}", headers, body)
end
"""


def start_celery_worker() -> subprocess.Popen[bytes]:
    """A Celery worker of one process beside the web (the expansions of the webhook events)."""
    cmd = [sys.executable, "-m", "celery", "-A", "sparkloop", "worker", "-c", "1"]
    worker = subprocess.Popen(
        [*cmd, "--loglevel", "WARNING"],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(6)  # booted and consuming
    return worker


def unexpanded_since(moment: datetime) -> int:
    """Events recorded since `moment` that no expansion has taken yet."""
    return Event.objects.filter(created_at__gte=moment, expanded_at__isnull=True).count()


def under_wrk(
    upscribe: Upscribe,
    key: str,
    picks: str,
    *,
    workers: list[int],
    duration: int,
    rounds: int,
    celery: bool = False,
) -> None:
    """Subscribe with 3 picks through gunicorn + wrk, per number of workers (alternating);
    with `celery`, a Celery worker runs beside them (and the events it left unexpanded three
    seconds after the run are counted)."""
    import tempfile

    from bench import load

    load.WATCH["db"] = connection.settings_dict["NAME"]
    path = f"/v2/upscribes/{upscribe.public_id}/subscribe"
    connection.close()  # the server's workers are the only writers while wrk runs
    runs: dict[int, list[dict[str, object]]] = {n: [] for n in workers}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(rounds):
            for n in workers:
                port = 8700 + n
                proc = load.start_gunicorn(port, n, TEAM)
                load.WATCH["master"] = proc.pid
                base = f"http://127.0.0.1:{port}"
                worker = start_celery_worker() if celery else None
                started = timezone.now()
                try:
                    load.wait_ready(base, proc)
                    script = SUBSCRIBE_LUA.format(
                        key=key, picks=picks, path=path, nonce=f"{time.time_ns()}{round_}"
                    )
                    result = load.wrk(
                        base, script, threads=2, connections=8, duration=duration, tmp=Path(tmp)
                    )
                finally:
                    proc.terminate()
                    proc.wait()
                    if worker is not None:
                        time.sleep(3)
                        worker.terminate()
                        worker.wait()
                result["load"] = os.getloadavg()[0]
                runs[n].append(result)
                left = f"; unexpanded events {unexpanded_since(started)}" if celery else ""
                connection.close()
                print(
                    f"gunicorn {n} workers, wrk -t2 -c8 {duration}s: {result['rps']:6.1f} req/s, "
                    f"p50 {int(result['p50']) / 1000:.1f} ms, errors {result['errors']}, "
                    f"CPU ms/request web {result['web_cpu_ms']:.1f} + db "
                    f"{result['db_cpu_ms']:.1f}; load {result['load']:.2f}{left}"
                )
    for n, results in runs.items():
        rps = statistics.median(float(r["rps"]) for r in results)  # type: ignore[arg-type]
        print(f"median over {len(results)}: {n} workers {rps:.1f} requests/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--programs", type=int, default=200)
    parser.add_argument("--recs", type=int, default=500)
    parser.add_argument("--subscribes", type=int, default=300)
    parser.add_argument("--wrk", help="gunicorn worker counts, e.g. 2,4 (runs wrk only)")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--celery", action="store_true", help="a Celery worker beside gunicorn (with --wrk)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    fresh = not Upscribe.objects.filter(team__name=TEAM).exists()
    upscribe = build(programs=args.programs, recs=args.recs)
    if fresh:
        analyze()
    team = upscribe.team
    _, key = api_key_create(team=team, name="bench")
    client = Client(headers={"X-Api-Key": key})
    total = PartnerCampaign.objects.filter(partner_profile__team=team).count()
    print(
        f"upscribe {upscribe.public_id}: {total} recommendations, "
        f"built in {time.perf_counter() - started:.1f} s; "
        f"cache {settings.CACHES['default']['BACKEND']}; load {os.getloadavg()[0]:.2f}"
    )

    path = f"/v2/upscribes/{upscribe.public_id}/recommendations"
    body = {"country_code": "US", "limit": 3}
    if args.wrk:
        picks = ",".join(
            r["ref_code"]
            for r in client.post(path, body, content_type="application/json").json()[
                "recommendations"
            ]
        )
        workers = [int(n) for n in args.wrk.split(",")]
        under_wrk(
            upscribe,
            key,
            picks,
            workers=workers,
            duration=args.duration,
            rounds=args.rounds,
            celery=args.celery,
        )
        return

    def generate() -> int:
        return client.post(path, body, content_type="application/json").status_code

    def subscriber() -> int:
        return client.get("/v2/subscribers/reader@example.com").status_code

    calls = {"generate (limit 3, US)": generate, "GET /v2/subscribers/:email": subscriber}
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in calls}
    for _ in range(args.repeat // 20):  # alternate in rounds: both see the same load
        for name, call in calls.items():
            results[name].append(measure(call, 20))
    for name, rounds in results.items():
        p50 = statistics.median(r[0] for r in rounds)
        p95 = statistics.median(r[1] for r in rounds)
        print(f"{name:32} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  {rounds[0][2]} statements")

    picks = ",".join(
        r["ref_code"]
        for r in client.post(
            path, {"country_code": "US", "limit": 3}, content_type="application/json"
        ).json()["recommendations"]
    )
    subscribe = f"/v2/upscribes/{upscribe.public_id}/subscribe"
    stamp = time.time_ns()
    start, cpu = time.perf_counter(), time.process_time()
    for n in range(args.subscribes):
        response = client.post(
            subscribe,
            {"subscriber_email": f"v{stamp}-{n}@example.com", "recommendations": picks},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    # CPU time of this process per request: steadier than requests/s on a shared machine
    # (waiting for a core, or for a busy database, inflates the wall time, not this).
    print(
        f"subscribe, 3 picks: {args.subscribes / elapsed:6.1f} requests/s "
        f"({args.subscribes} in {elapsed:.1f} s), CPU {cpu / args.subscribes * 1000:.1f} "
        f"ms/request in process; load {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
