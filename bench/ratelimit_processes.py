"""Rate limits hold across processes: gunicorn with 4 workers, concurrent requests, one key.

    uv run python bench/ratelimit_processes.py [--workers 4] [--limit 1000] [--requests 3000]
        [--concurrency 48] [--file-cache]

Starts gunicorn (sparkloop/gunicorn_conf.py) on 127.0.0.1 with RATE_LIMIT_DEFAULT set to
`<limit>/3600`, creates a fresh team and key with `create_api_key`, fires `--requests`
concurrent `GET /v2/subscribers` from `--concurrency` threads, and counts the 200s (admitted)
and 429s (refused). The admitted count must be within 5 % of the limit (the counting is atomic,
so it should be exact). The database and cache are the environment's (`DATABASE_URL`,
`CACHE_URL`); `--file-cache` drops CACHE_URL/REDIS_URL to use the local file cache instead.
The access log records which worker process served each request, to show all of them took part.
Exit status 1 when the admitted count is off by more than 5 %.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PERIOD = 3600
TOLERANCE = 0.05


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def wait_until_up(base: str, deadline: float) -> None:
    while time.time() < deadline:
        try:
            # Anonymous: counted for the address, not for the key under test.
            requests.get(f"{base}/v2/subscribers", timeout=10)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def wait_for_a_fresh_window(margin: int) -> None:
    # All requests must fall in one window (windows are aligned to the epoch).
    left = PERIOD - time.time() % PERIOD
    if left < margin:
        print(f"waiting {left:.0f} s for the next window", file=sys.stderr)
        time.sleep(left + 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=48)
    parser.add_argument("--file-cache", action="store_true")
    args = parser.parse_args()

    env = dict(os.environ, RATE_LIMIT_DEFAULT=f"{args.limit}/{PERIOD}")
    if args.file_cache:
        env.pop("CACHE_URL", None)
        env.pop("REDIS_URL", None)
    manage(env, "migrate", "--no-input", "-v0")
    team = f"bench-ratelimit-{int(time.time())}"
    key = (
        manage(env, "create_api_key", "--team", team, "--tier", "default").strip().splitlines()[-1]
    )

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    access_log = Path(tempfile.mkstemp(prefix="ratelimit-access-", suffix=".log")[1])
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "-c", "sparkloop/gunicorn_conf.py",
            "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}",
            "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(s)s %(U)s",
            "--log-level", "warning", "sparkloop.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_until_up(base, time.time() + 60)
        wait_for_a_fresh_window(margin=120)
        local = threading.local()

        def call(_: int) -> tuple[int, str | None]:
            if not hasattr(local, "session"):
                local.session = requests.Session()
                local.session.headers["X-Api-Key"] = key
            response = local.session.get(f"{base}/v2/subscribers", timeout=30)
            return response.status_code, response.headers.get("X-RateLimit-Reset")

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            results = list(pool.map(call, range(args.requests)))
        elapsed = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    statuses = Counter(status for status, _ in results)
    windows = {reset for _, reset in results}
    pids = Counter(
        line.split()[0]
        for line in access_log.read_text().splitlines()
        if line.split()[-1].startswith("/v2/subscribers")
    )
    access_log.unlink()
    admitted = statuses.get(200, 0)
    error = abs(admitted - args.limit) / args.limit
    report = {
        "cache": "file" if args.file_cache else env.get("CACHE_URL") or "file",
        "workers": args.workers,
        "limit": args.limit,
        "requests": args.requests,
        "concurrency": args.concurrency,
        "admitted": admitted,
        "refused_429": statuses.get(429, 0),
        "other_statuses": {str(k): v for k, v in statuses.items() if k not in (200, 429)},
        "error_pct": round(100 * error, 2),
        "windows_seen": len(windows),
        "requests_per_worker_pid": dict(pids),
        "seconds": round(elapsed, 2),
        "requests_per_second": round(args.requests / elapsed),
    }
    print(json.dumps(report, indent=2))
    ok = error <= TOLERANCE and len(windows) == 1 and len(pids) == args.workers
    print("OK" if ok else "FAILED", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
