"""Webhook reliability under crashes (issue 4): nothing lost, duplicates keep their id.

    DATABASE_URL=postgres://… uv run python -m bench.webhooks_reliability \
        [--events 10000] [--kill-every 2] [--chaos-seconds 120] [--redis-port 6391]

Runs its own Redis (a broker it may restart without disturbing anything else, no
persistence: a restart loses every queued message), the receiver, Celery beat (the sweeper,
every 2 s) and a Celery worker (`--pool threads`), then:
- records `--events` sync_subscriber events through `event_record` (outbox rows, published
  on commit) from this process, in transactions of 50;
- meanwhile SIGKILLs the worker `--kill-every` seconds after it is ready (has connected and
  consumes: on a loaded 2-core machine a worker takes 10-40 s to start, so a wall-clock
  period of 2 s would kill every worker before it did any work) and starts a new one, for
  `--chaos-seconds` (and at least until every event is recorded);
- restarts the broker once, half-way through the chaos;
- then lets a last worker drain, until every delivery is DELIVERED in the database.
Reports delivered, lost (events whose webhook-id never reached the receiver: must be 0) and
duplicates (requests beyond the first per webhook-id), and checks that every duplicate
carried the same webhook-id as the original (one id per event `seq`, one `seq` per id).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.webhooks_common import (
    ROOT,
    bench_team,
    django_setup,
    kill,
    receiver,
    receiver_dump,
    results_path,
    start,
    uptime,
    worker_cmd,
)

QUEUE = "bench_webhooks_reliability"


def start_redis(port: int, log: Path) -> Any:
    proc = start(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        dict(os.environ),
        log,
    )
    time.sleep(0.5)
    return proc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--kill-every", type=float, default=2.0)
    parser.add_argument("--chaos-seconds", type=float, default=120.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--port", type=int, default=18081)
    parser.add_argument("--redis-port", type=int, default=6391)
    parser.add_argument("--timeout", type=float, default=1500.0)
    args = parser.parse_args()

    env = {
        **os.environ,
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{args.redis_port}/0",
        "WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        "WEBHOOK_QUEUE": QUEUE,
        "WEBHOOK_SWEEP_INTERVAL_SECONDS": "2",
        # Claims older than this are taken back (the send itself takes milliseconds here).
        "WEBHOOK_STUCK_AFTER_SECONDS": "20",
        # Due rows without a message for this long are published again.
        "WEBHOOK_REQUEUE_AFTER_SECONDS": "20",
        "PYTHONPATH": str(ROOT),
    }
    log = results_path("webhooks-reliability-log").with_suffix(".log")
    print(f"logs: {log}")
    load_before = uptime()
    redis = start_redis(args.redis_port, log)
    recv = receiver(args.port, env, log, parse_body=True)
    django_setup(env)
    from django.db import transaction

    from webhooks.models import Event, WebhookDelivery
    from webhooks.services import event_record

    team = bench_team("bench-webhooks-reliability", f"http://127.0.0.1:{args.port}/hook")
    beat = start(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "sparkloop",
            "beat",
            "--loglevel",
            "WARNING",
            "-S",
            "django_celery_beat.schedulers:DatabaseScheduler",
        ],
        env,
        log,
    )
    worker_queues = f"{QUEUE},celery"  # the sweeper runs on the default queue
    worker_log = log.with_suffix(".worker.log")

    def start_worker() -> Any:
        worker_log.write_text("")
        return start(worker_cmd(worker_queues, args.concurrency, loglevel="INFO"), env, worker_log)

    def wait_ready(limit: float = 120.0) -> None:
        until = time.monotonic() + limit
        while time.monotonic() < until and " ready." not in worker_log.read_text():
            time.sleep(0.1)

    worker = start_worker()
    produced = threading.Event()
    stats: dict[str, Any] = {"kills": 0, "broker_restarts": 0, "publish_errors": 0}

    def chaos() -> None:
        nonlocal worker, redis
        begin = time.monotonic()
        restarted = False
        while time.monotonic() - begin < args.chaos_seconds or not produced.is_set():
            wait_ready()
            time.sleep(args.kill_every)
            kill(worker, signal.SIGKILL)
            stats["kills"] += 1
            if not restarted and time.monotonic() - begin > args.chaos_seconds / 2:
                kill(redis, signal.SIGKILL)
                redis = start_redis(args.redis_port, log)
                stats["broker_restarts"] += 1
                restarted = True
            worker = start_worker()

    chaos_thread = threading.Thread(target=chaos)
    chaos_thread.start()
    begin = time.monotonic()
    try:
        batch = 50
        for start_at in range(0, args.events, batch):
            with transaction.atomic():
                for seq in range(start_at, min(start_at + batch, args.events)):
                    event_record(
                        team=team,
                        type=Event.Type.SYNC_SUBSCRIBER,
                        payload={"seq": seq, "subscriber": {"id": f"sub_{seq:012x}"}},
                    )
        produced.set()
        produce_seconds = time.monotonic() - begin
        print(f"recorded {args.events} events in {produce_seconds:.0f} s; chaos goes on")
        chaos_thread.join()
        chaos_end = time.monotonic()
        print(f"chaos over after {chaos_end - begin:.0f} s ({stats['kills']} kills); draining")
        pending = None
        while time.monotonic() - begin < args.timeout:
            pending = (
                WebhookDelivery.objects.filter(team=team)
                .exclude(status=WebhookDelivery.Status.DELIVERED)
                .count()
            )
            if pending == 0:
                break
            time.sleep(2)
        drained_at = time.monotonic()
        time.sleep(3)  # let requests in flight land
        received = receiver_dump(args.port)
    finally:
        produced.set()
        chaos_thread.join()
        kill(worker, signal.SIGTERM)
        kill(beat, signal.SIGTERM)
        kill(recv)
        kill(redis)

    expected = dict(Event.objects.filter(team=team).values_list("public_id", "payload__seq"))
    ids_of_seq: dict[Any, set[str]] = defaultdict(set)
    seqs_of_id: dict[str, set[Any]] = defaultdict(set)
    for webhook_id, seq in received:
        ids_of_seq[seq].add(webhook_id)
        seqs_of_id[webhook_id].add(seq)
    unique = set(seqs_of_id)
    lost = sorted(set(expected) - unique)
    result = {
        "events": args.events,
        "delivered_unique": len(unique & set(expected)),
        "lost": len(lost),
        "requests": len(received),
        "duplicates": len(received) - len(unique),
        "duplicates_with_another_id": sum(1 for ids in ids_of_seq.values() if len(ids) > 1),
        "ids_with_two_payloads": sum(1 for seqs in seqs_of_id.values() if len(seqs) > 1),
        "not_delivered_in_db": pending,
        "worker_kills": stats["kills"],
        "broker_restarts": stats["broker_restarts"],
        "kill_every_s": args.kill_every,
        "produce_s": round(produce_seconds),
        "chaos_s": round(chaos_end - begin),
        "total_until_all_delivered_s": round(drained_at - begin),
        "load_before": load_before,
        "load_after": uptime(),
    }
    print(json.dumps(result, indent=2))
    if lost:
        print("first lost ids:", lost[:10])
    results_path("webhooks-reliability").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
