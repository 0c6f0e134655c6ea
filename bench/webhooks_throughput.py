"""Webhook delivery throughput against a raw concurrent HTTP loop (issue 4, throughput).

    DATABASE_URL=postgres://… uv run python bench/webhooks_throughput.py \
        [--events 20000] [--concurrency 32] [--workers 1] [--worker-threads 4] [--port 18080]

1. Starts the receiver (bench/webhooks_receiver.py) in its own process.
2. Raw loop: `--concurrency` threads, each with a requests.Session, POST the same signed
   JSON body to the receiver, `--events` requests in all; requests per second.
3. Ours: `--events` sync_subscriber outbox events with one delivery each (bulk-inserted:
   recording is not what is measured) and their send tasks published to a dedicated queue
   with no worker running, one message per WEBHOOK_BATCH_SIZE deliveries, as
   `deliveries_enqueue_on_commit` publishes them; then `--workers` Celery workers
   (`--pool threads --concurrency <--worker-threads>`) start and deliver them (each batch
   sends on a thread per delivery); deliveries per second from the first to the last
   request the receiver got.
   Every delivery is then checked DELIVERED in the database.
Needs PostgreSQL and Redis (CELERY_BROKER_URL=redis://…). Prints and writes results JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.webhooks_common import (
    ROOT,
    bench_team,
    cpu_seconds,
    django_setup,
    kill,
    receiver,
    receiver_stats,
    results_path,
    start,
    uptime,
    worker_cmd,
)

QUEUE = "bench_webhooks_throughput"


def raw_loop(url: str, total: int, concurrency: int) -> tuple[float, float]:
    """Requests per second, and CPU seconds of this process per request."""
    body = json.dumps({"type": "sync_subscriber", "seq": 0, "subscriber": {"id": "sub_x"}})
    headers = {
        "Content-Type": "application/json",
        "webhook-id": "msg_raw",
        "webhook-timestamp": str(int(time.time())),
        "webhook-signature": "v1,AAAA",
    }
    counter = iter(range(total))
    lock = threading.Lock()

    def run() -> None:
        session = requests.Session()
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            session.post(url, data=body, headers=headers, timeout=15).raise_for_status()

    threads = [threading.Thread(target=run) for _ in range(concurrency)]
    begin, cpu = time.monotonic(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return total / (time.monotonic() - begin), (time.process_time() - cpu) / total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--worker-threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=18080)
    args = parser.parse_args()

    env = {
        **os.environ,
        "WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        "WEBHOOK_QUEUE": QUEUE,
        "PYTHONPATH": str(ROOT),
    }
    log = Path(results_path("webhooks-throughput-log")).with_suffix(".log")
    url = f"http://127.0.0.1:{args.port}/hook"
    load_before = uptime()
    recv = receiver(args.port, env, log, parse_body=False)
    workers = []
    try:
        raw, raw_cpu = raw_loop(url, args.events, args.concurrency)
        print(f"raw loop: {raw:.0f} requests/s ({args.concurrency} threads)")
        print(f"raw loop CPU: {raw_cpu * 1000:.2f} ms per request")
        before_ours = receiver_stats(args.port)["requests"]

        django_setup(env)
        from django.conf import settings
        from django.db import transaction
        from django.utils import timezone

        from sparkloop.celery import app
        from webhooks.models import Event, WebhookDelivery, WebhookEndpoint
        from webhooks.tasks import webhook_deliveries_send_task

        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(QUEUE)  # type: ignore[attr-defined]  # kombu: StdChannel
        team = bench_team("bench-webhooks-throughput", url)
        endpoint = WebhookEndpoint.objects.get(team=team)
        begin = time.monotonic()
        # The outbox rows in bulk (event_record's own cost is not what is measured here),
        # then one send task per batch of deliveries, published from 8 threads.
        with transaction.atomic():
            events = Event.objects.bulk_create(
                Event(
                    team=team,
                    type=Event.Type.SYNC_SUBSCRIBER,
                    payload={
                        "type": Event.Type.SYNC_SUBSCRIBER,
                        "seq": seq,
                        "subscriber": {"id": seq},
                    },
                )
                for seq in range(args.events)
            )
            now = timezone.now()
            deliveries = WebhookDelivery.objects.bulk_create(
                WebhookDelivery(
                    team=team, event=e, endpoint=endpoint, next_attempt_at=now, enqueued_at=now
                )
                for e in events
            )
        ids, size = [d.pk for d in deliveries], int(settings.WEBHOOK_BATCH_SIZE)
        batches = [ids[start : start + size] for start in range(0, len(ids), size)]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(webhook_deliveries_send_task.delay, batches))
        produce_rate = args.events / (time.monotonic() - begin)
        print(f"outbox rows written and published: {produce_rate:.0f} deliveries/s")

        workers = [
            start(worker_cmd(QUEUE, args.worker_threads), env, log) for _ in range(args.workers)
        ]
        first = last = None
        cpu_first = 0.0
        seen = before_ours
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            now_seen = receiver_stats(args.port)["requests"]
            tick = time.monotonic()
            if first is None and now_seen > before_ours:
                first = tick
                cpu_first = sum(cpu_seconds(p.pid) for p in workers)
            if now_seen != seen:
                last, seen = tick, now_seen
            if seen - before_ours >= args.events:
                break
            time.sleep(0.05)
        cpu_used = sum(cpu_seconds(p.pid) for p in workers) - cpu_first
        got = seen - before_ours
        ours = got / (last - first) if first and last and last > first else 0.0
        # A batch's outcomes are recorded after its last request: wait for them (30 s).
        for _ in range(300):
            delivered = WebhookDelivery.objects.filter(
                team=team, status=WebhookDelivery.Status.DELIVERED
            ).count()
            if delivered >= args.events:
                break
            time.sleep(0.1)
        print(
            f"ours: {ours:.0f} deliveries/s ({args.workers} x threads {args.worker_threads},"
            f" batches of {size})"
        )
        print(f"delivered in the database: {delivered} of {args.events}")
        ours_cpu = cpu_used / got if got else 0.0
        print(f"worker CPU: {ours_cpu * 1000:.2f} ms per delivery")
        result = {
            "events": args.events,
            "concurrency": args.concurrency,
            "workers": args.workers,
            "worker_threads": args.worker_threads,
            "batch_size": size,
            "raw_requests_per_s": round(raw),
            "ours_deliveries_per_s": round(ours),
            "ratio": round(ours / raw, 3) if raw else None,
            "raw_cpu_ms_per_request": round(raw_cpu * 1000, 2),
            "ours_worker_cpu_ms_per_delivery": round(ours_cpu * 1000, 2),
            "produce_events_per_s": round(produce_rate),
            "delivered": delivered,
            "load_before": load_before,
            "load_after": uptime(),
        }
        print(json.dumps(result, indent=2))
        results_path("webhooks-throughput").write_text(json.dumps(result, indent=2))
    finally:
        for proc in workers:
            kill(proc)
        kill(recv)


if __name__ == "__main__":
    main()
