"""P7 (issue 12): exporting a team's 1,000,000 subscribers, streamed, vs `COPY … TO STDOUT`.

Needs the team made by `bench/generate_subscribers.py` (`--team`, default bench-1m). Starts
one gunicorn sync worker (rate limits lifted, GUNICORN_TIMEOUT raised: a sync worker that
streams for longer than the timeout is killed as hung), then, side by side: `GET
/v2/subscribers/export?format=csv` (and `jsonl`) read to the end by a streaming client, and
psycopg's `COPY (SELECT <the same columns> … ORDER BY created_at DESC, id DESC) TO STDOUT`
(CSV) of the same rows. Reports rows/s of each, their ratio, and the worker's peak RSS
(VmHWM) before and after the exports.

    uv run python bench/bulk_export.py --team bench-1m
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import django
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparkloop.settings")
os.environ["GUNICORN_TIMEOUT"] = "900"
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from bench.load import start_gunicorn, uptime  # noqa: E402
from subscribers.transfer.exports import COLUMNS  # noqa: E402


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def worker_pid(master: int) -> int:
    for _ in range(100):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.2)
    sys.exit("no gunicorn worker")


def export(base: str, key: str, format: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    size = lines = 0
    with requests.get(
        f"{base}/v2/subscribers/export?format={format}",
        headers={"X-Api-Key": key},
        stream=True,
        timeout=900,
    ) as response:
        assert response.status_code == 200, response.text[:200]
        for chunk in response.iter_content(1 << 16):
            size += len(chunk)
            lines += chunk.count(b"\n")
    return time.perf_counter() - started, size, lines


def copy_out(team_id: int) -> tuple[float, int]:
    columns = ", ".join(COLUMNS)
    query = (
        f"COPY (SELECT {columns} FROM subscribers_subscriber WHERE team_id = {int(team_id)} "
        "ORDER BY created_at DESC, id DESC) TO STDOUT WITH (FORMAT csv, HEADER true)"
    )
    started = time.perf_counter()
    size = 0
    with connection.cursor() as cur, cur.cursor.copy(query) as copy:
        for data in copy:
            size += len(data)
    return time.perf_counter() - started, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--team", default="bench-1m")
    parser.add_argument("--port", type=int, default=8713)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    info = json.loads((Path(settings.VAR_DIR) / "bench" / f"{args.team}.json").read_text())
    proc = start_gunicorn(args.port, 1, args.team)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                requests.get(base + "/v2/subscribers", timeout=30)
                break
            except requests.RequestException:
                time.sleep(0.3)
        pid = worker_pid(proc.pid)
        requests.get(base + "/v2/subscribers", headers={"X-Api-Key": info["api_key"]}, timeout=30)
        before = status_kb(pid, "VmHWM")
        for round_ in range(args.rounds):
            copy_seconds, copy_size = copy_out(info["team_id"])
            csv_seconds, csv_size, csv_lines = export(base, info["api_key"], "csv")
            jsonl_seconds, _jsonl_size, jsonl_lines = export(base, info["api_key"], "jsonl")
            rows = csv_lines - 1
            print(
                f"round {round_ + 1}: {rows:,} rows; COPY TO STDOUT {copy_seconds:.1f} s "
                f"({rows / copy_seconds:,.0f} rows/s, {copy_size / 1e6:.0f} MB); CSV export "
                f"{csv_seconds:.1f} s ({rows / csv_seconds:,.0f} rows/s, {csv_size / 1e6:.0f} "
                f"MB, ratio {copy_seconds / csv_seconds:.2f}); JSONL {jsonl_seconds:.1f} s "
                f"({jsonl_lines / jsonl_seconds:,.0f} rows/s, ratio "
                f"{copy_seconds / jsonl_seconds:.2f})"
            )
        after = status_kb(pid, "VmHWM")
        print(
            f"gunicorn worker peak RSS (VmHWM): {before / 1024:.0f} MB after start-up and one "
            f"list request, {after / 1024:.0f} MB after the exports ({uptime()})"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
