"""Batch vs single creates over keep-alive HTTP (issue 12): 1,000 subscribers either way.

Starts gunicorn (sparkloop/gunicorn_conf.py, rate limits lifted) on the database of
DATABASE_URL, makes a fresh team and key, then, `--rounds` times, alternating: 1,000
`POST /v2/subscribers` one after another on one keep-alive connection, and one
`POST /v2/subscribers/batch` of 1,000 items (new emails each time; `--referred` of them name
a referrer made earlier). Reports the median time of each and their ratio.

    uv run python bench/bulk_batch.py --rounds 3
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

import django
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparkloop.settings")
# A batch of 1,000 on a loaded 2-core machine can outlast the default 30 s.
os.environ.setdefault("GUNICORN_TIMEOUT", "300")
django.setup()

from bench.load import start_gunicorn, uptime  # noqa: E402
from sparkloop.services import api_key_create, team_get_or_create  # noqa: E402

COUNT = 1000


def items(tag: str, referred: float, codes: list[str]) -> list[dict[str, str]]:
    out = []
    for i in range(COUNT):
        item = {"email": f"{tag}-{i}@example.com", "name": f"Reader {i}"}
        if codes and i < referred * COUNT:
            item["referrer_code"] = codes[i % len(codes)]
        out.append(item)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=8712)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--referred", type=float, default=0.1, help="share of referred items")
    args = parser.parse_args()
    team, _ = team_get_or_create(name=f"bench-batch-{secrets.token_hex(3)}")
    _, key = api_key_create(team=team, name="bench")
    proc = start_gunicorn(args.port, args.workers, team.name)
    base = f"http://127.0.0.1:{args.port}"
    session = requests.Session()
    session.headers["X-Api-Key"] = key
    try:
        for _ in range(100):
            try:
                session.get(base + "/v2/subscribers", timeout=30)
                break
            except requests.RequestException:
                time.sleep(0.3)
        # Referrers everyone may name, made once.
        made = session.post(
            base + "/v2/subscribers/batch",
            json={"subscribers": [{"email": f"ref-{i}@example.com"} for i in range(50)]},
            timeout=120,
        ).json()
        codes = [r["subscriber"]["ref_code"] for r in made["results"]]
        singles, batches = [], []
        for round_ in range(args.rounds):
            body = items(f"s{round_}", args.referred, codes)
            started = time.perf_counter()
            for item in body:
                response = session.post(base + "/v2/subscribers", json=item, timeout=30)
                assert response.status_code == 201, response.text
            singles.append(time.perf_counter() - started)
            body = items(f"b{round_}", args.referred, codes)
            started = time.perf_counter()
            response = session.post(
                base + "/v2/subscribers/batch", json={"subscribers": body}, timeout=300
            )
            batches.append(time.perf_counter() - started)
            assert response.json()["meta"] == {"created": COUNT, "failed": 0}, response.text
            print(f"round {round_ + 1}: singles {singles[-1]:.2f} s, batch {batches[-1]:.2f} s")
        single, batch = statistics.median(singles), statistics.median(batches)
        print(
            f"1,000 single creates: {single:.2f} s ({COUNT / single:.0f}/s); one batch of "
            f"1,000: {batch:.2f} s ({COUNT / batch:.0f}/s); batch is {single / batch:.1f}x "
            f"faster ({args.referred:.0%} referred; {uptime()})"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
