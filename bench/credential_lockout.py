"""What a credential-guessing client costs the service, with and without the lock-outs.

Sends `--attempts` wrong client secrets to /oauth/token/ (each checked with the real PBKDF2
password hasher) and `--attempts` requests with an unknown API key to /v2/subscribers, from
one address, in-process through the whole middleware stack, first with the lock-outs
switched off (as before issue 15) and then on, and prints the statuses and the CPU time.
It runs on a throw-away SQLite database and an in-memory cache; nothing else is needed:

    uv run python -m bench.credential_lockout --attempts 200
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=200)
    args = parser.parse_args()

    var = tempfile.mkdtemp(prefix="bench-lockout-")
    os.environ.update(
        VAR_DIR=var, DATABASE_URL=f"sqlite:///{var}/bench.sqlite3", CACHE_URL="locmemcache://"
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "sparkloop.settings"
    import django

    django.setup()
    from axes.models import AccessAttempt
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    from sparkloop.oauth.models import Application
    from sparkloop.oauth.services import application_create
    from sparkloop.services import team_create

    call_command("migrate", verbosity=0)
    team = team_create(name="bench")
    app, _ = application_create(
        team=team,
        name="bench",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    wrong = {
        "grant_type": "client_credentials",
        "client_id": app.client_id,
        "client_secret": "wrong",
    }

    def run(label: str, send: Callable[[], int]) -> None:
        statuses: Counter[int] = Counter()
        cpu_by_status: dict[int, list[float]] = {}
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.attempts):
            started = time.process_time()
            status = send()
            statuses[status] += 1
            cpu_by_status.setdefault(status, []).append(time.process_time() - started)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        medians = ", ".join(
            f"{status}: {1000 * statistics.median(times):.1f}"
            for status, times in sorted(cpu_by_status.items())
        )
        print(
            f"{label:<44} {dict(sorted(statuses.items()))!s:<20} "
            f"cpu {cpu:6.2f} s  wall {wall:6.2f} s  median cpu ms/request {{{medians}}}"
        )

    def token() -> int:
        return Client().post("/oauth/token/", wrong).status_code

    def bad_key() -> int:
        return Client().get("/v2/subscribers", HTTP_X_API_KEY="not-a-key").status_code

    print(f"{args.attempts} attempts each, one address, PBKDF2 ({var})")
    for enabled in (False, True):
        AccessAttempt.objects.all().delete()
        cache.clear()
        state = "on" if enabled else "off (before)"
        failures = "30/60" if enabled else "100000000/60"
        with override_settings(AXES_ENABLED=enabled, RATE_LIMIT_AUTH_FAILURES=failures):
            run(f"/oauth/token/ wrong secret, lock-out {state}", token)
            run(f"/v2 unknown key, lock-out {state}", bad_key)


if __name__ == "__main__":
    main()
