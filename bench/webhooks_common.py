"""Shared pieces of the webhook benchmarks: processes, the receiver, Django setup."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def load() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a process in its own process group (so that it can be killed with its children)."""
    out = log.open("ab")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True)


def kill(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGKILL) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def receiver(
    port: int, env: dict[str, str], log: Path, parse_body: bool
) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "bench/webhooks_receiver.py", "--port", str(port)]
    proc = start([*cmd, "--parse-body"] if parse_body else cmd, env, log)
    for _ in range(100):
        try:
            receiver_stats(port)
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the receiver did not start")


def receiver_stats(port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def receiver_dump(port: int) -> list[tuple[str, Any]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/dump", timeout=60) as response:
        return [tuple(json.loads(line)) for line in response.read().decode().splitlines() if line]


def worker_cmd(
    queues: str, concurrency: int, pool: str = "threads", loglevel: str = "WARNING"
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "sparkloop",
        "worker",
        "-Q",
        queues,
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "--prefetch-multiplier",
        "8",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        loglevel,
    ]


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparkloop.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bench_team(name: str, url: str) -> Any:
    """A fresh team with one endpoint at `url` (its old events and endpoints deleted)."""
    from sparkloop.services import team_get_or_create
    from webhooks.models import Event, WebhookEndpoint
    from webhooks.services import endpoint_create

    team, _ = team_get_or_create(name=name)
    WebhookEndpoint.objects.filter(team=team).delete()
    Event.objects.filter(team=team).delete()
    endpoint_create(team=team, url=url)
    return team


def results_path(name: str) -> Path:
    var = Path(os.environ.get("VAR_DIR", ROOT / "var")) / "bench"
    var.mkdir(parents=True, exist_ok=True)
    return var / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.json"
