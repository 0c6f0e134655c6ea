"""gunicorn configuration: `gunicorn -c sparkloop/gunicorn_conf.py sparkloop.wsgi`.

Everything comes from the environment, like the Django settings:

- `BIND` (e.g. `0.0.0.0:8000` or `unix:/run/sparkloop.sock`), else `127.0.0.1:$PORT`
  (`PORT` default 8000);
- `WEB_CONCURRENCY`: worker processes, default 2 x CPU cores + 1 (sync workers: a request
  holds a worker while it waits on PostgreSQL, so a few more workers than cores keep the CPUs
  busy);
- `GUNICORN_WORKER_CLASS` (default `sync`) and `GUNICORN_THREADS` (default 1);
- `GUNICORN_TIMEOUT` (default 30 s), `GUNICORN_GRACEFUL_TIMEOUT` (30 s), `GUNICORN_KEEPALIVE`
  (5 s, for a load balancer in front), `GUNICORN_MAX_REQUESTS` (0 = never recycle workers);
- `GUNICORN_ACCESS_LOG`: `-` for stdout or a file path; unset means no access log
  (the load balancer usually keeps one); errors always go to stderr.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


bind = [os.environ.get("BIND") or f"127.0.0.1:{_int('PORT', 8000)}"]
workers = _int("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1)
# sync workers (one request at a time each) suit short database-bound requests; with
# GUNICORN_THREADS > 1 gunicorn uses threaded workers, which also keep connections alive.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = _int("GUNICORN_THREADS", 1)
# A request that takes longer than this is a bug or a stuck upstream: the worker is replaced.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Optional recycling against slow leaks; the jitter keeps workers from restarting together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
# Load Django before forking: workers share its memory and a broken setting fails at start.
preload_app = True

accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The real client address behind a proxy is in X-Forwarded-For; trust it only from these.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "sparkloop"
# gunicorn >= 25.1 opens a control socket at one fixed path per user, which several instances
# on one machine would fight over; it is opt-in here (GUNICORN_CONTROL_SOCKET=/path).
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")


def child_exit(server: Any, worker: Any) -> None:
    """Prometheus multiprocess mode: a dead worker's live gauges stop counting
    (docs/operations.md); nothing to do without PROMETHEUS_MULTIPROC_DIR."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
