"""Measure the subscriber API under gunicorn + PostgreSQL with wrk (issue 2, P1-P4).

    uv run python bench/load.py [--team bench-1m] [--duration 15] [--rounds 3]

Needs the team made by bench/generate_subscribers.py (its key and ref codes are read from
`$VAR_DIR/bench/<team>.json`), `wrk` on the PATH and DATABASE_URL pointing at PostgreSQL.
It starts its own gunicorn (sparkloop/gunicorn_conf.py, settings bench.settings, which add the
bare baseline view), checks that the answers are right, runs every scenario side by side in
one run (P1 alternating ours and bare, `--rounds` times) and stops gunicorn again:

- P1: GET /v2/subscribers/:email (random subscribers) against /bare/subscribers/:email,
  the same indexed query with JSON built by hand, in the same processes; throughput.
- P2: GET /v2/subscribers?page=20000&per_page=50 against page 1; latency, one connection.
- P3: page 1 with its exact meta; p50 latency, one connection.
- P4: POST /v2/subscribers with a unique email and the referrer_code of a random subscriber,
  against POST /bare/subscribers (the same writes by hand in one transaction: the
  subscriber, its referral, the referrer's count, the outbox row) in the same processes;
  throughput, alternating ours and bare.

Rate limits are lifted (RATE_LIMIT_DEFAULT=100000000/60) so that they do not distort results.
Results are printed and written to `$VAR_DIR/bench/results-<time>.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", ROOT / "var"))

# wrk's done() prints one machine-readable line (latencies in microseconds).
DONE_LUA = """
done = function(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "errors_status": %d, "errors_connect": %d,'
    .. ' "errors_read": %d, "errors_timeout": %d, "p50": %d, "p90": %d, "p99": %d,'
    .. ' "mean": %.1f, "max": %d}\\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.timeout, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
"""

GET_LUA = """
local n = tonumber("{count}")
local headers = {{["X-Api-Key"] = "{key}"}}
init = function(args) math.randomseed(os.time() + (id or 0)) end
request = function()
  local i = math.random(0, n - 1)
  return wrk.format("GET", "{prefix}reader" .. i .. "%40example.com", headers)
end
"""

LIST_LUA = """
local headers = {{["X-Api-Key"] = "{key}"}}
request = function() return wrk.format("GET", "{path}", headers) end
"""

CREATE_LUA = """
local headers = {{["X-Api-Key"] = "{key}", ["Content-Type"] = "application/json"}}
local codes = {{{codes}}}
local counter = 0
local threads = 0
setup = function(thread) threads = threads + 1; thread:set("id", threads) end
init = function(args) math.randomseed(os.time() + id) end
request = function()
  counter = counter + 1
  local body = '{{"email": "load-{nonce}-' .. id .. '-' .. counter .. '@example.com",'
    .. ' "referrer_code": "' .. codes[math.random(#codes)] .. '"}}'
  return wrk.format("POST", "{path}", headers, body)
end
"""


P4_PATHS = (("create", "/v2/subscribers"), ("bare", "/bare/subscribers"))


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def http(url: str, key: str | None = None) -> tuple[int, Any]:
    req = urllib.request.Request(url, headers={"X-Api-Key": key} if key else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")
# Whose CPU time is counted per request: gunicorn's workers and the database's backends.
WATCH: dict[str, Any] = {"master": 0, "db": ""}


def _cpu_ticks() -> dict[str, dict[int, int]]:
    """utime + stime (clock ticks) of the gunicorn workers and of the bench database backends.

    On a machine shared with other work, CPU time per request is a steadier figure than
    requests per second: waiting for a CPU inflates latency, not (much) CPU time.
    """
    ticks: dict[str, dict[int, int]] = {"web": {}, "db": {}}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        cpu = int(fields[11]) + int(fields[12])
        if int(fields[1]) == WATCH["master"]:
            ticks["web"][int(entry.name)] = cpu
        elif cmdline.startswith("postgres: ") and f" {WATCH['db']} " in cmdline:
            ticks["db"][int(entry.name)] = cpu
    return ticks


def _cpu_ms(before: dict[int, int], after: dict[int, int]) -> float:
    return sum(v - before.get(pid, 0) for pid, v in after.items()) * TICK_MS


def wrk(
    base: str, script: str, *, threads: int, connections: int, duration: int, tmp: Path
) -> dict[str, Any]:
    path = tmp / f"s{time.monotonic_ns()}.lua"
    path.write_text(script + DONE_LUA)
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(path),
        base,
    ]
    before = _cpu_ticks()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    after = _cpu_ticks()
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(v for k, v in result.items() if k.startswith("errors_"))
    done = max(result["requests"], 1)
    result["web_cpu_ms"] = _cpu_ms(before["web"], after["web"]) / done
    result["db_cpu_ms"] = _cpu_ms(before["db"], after["db"]) / done
    result["cmd"] = " ".join(cmd[:-3]) + f" -s {path.name} {base}"
    return result


def start_gunicorn(port: int, workers: int | None, team: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BENCH_TEAM": team,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "RATE_LIMIT_DEFAULT": os.environ.get("RATE_LIMIT_DEFAULT", "100000000/60"),
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    env.pop("GUNICORN_ACCESS_LOG", None)
    env.pop("BIND", None)
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    cmd = [sys.executable, "-m", "gunicorn", "-c", "sparkloop/gunicorn_conf.py", "sparkloop.wsgi"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env)


def wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("gunicorn exited")
        try:
            http(base + "/v2/subscribers")
            return
        except OSError:
            time.sleep(0.3)
    sys.exit("gunicorn did not start")


def check_answers(base: str, info: dict[str, Any]) -> None:
    """The API and the bare view agree, and deep pages are full and in order."""
    key, count = info["api_key"], info["count"]
    for i in (0, 7, count // 2, count - 1):
        status, ours = http(f"{base}/v2/subscribers/reader{i}%40example.com", key)
        bare_status, bare = http(f"{base}/bare/subscribers/reader{i}%40example.com")
        assert status == bare_status == 200, (status, bare_status)
        assert ours == bare, (ours, bare)
    status, first = http(f"{base}/v2/subscribers?per_page=50", key)
    assert status == 200
    total = first["meta"]["total_subscribers"]
    assert total >= count, first["meta"]
    # Page 20,000 of a million (P2), or the last page of a smaller team.
    last = min(20_000, -(-total // 50))
    status, deep = http(f"{base}/v2/subscribers?page={last}&per_page=50", key)
    assert status == 200
    assert len(deep["subscribers"]) == min(50, total - (last - 1) * 50), len(deep["subscribers"])
    stamps = [s["created_at"] for s in deep["subscribers"]]
    assert stamps == sorted(stamps, reverse=True)
    assert deep["meta"] == {**first["meta"], "page": last}, deep["meta"]
    # Across the middle, where reading switches from forwards to backwards: still one order.
    around = []
    for page in (total // 100, total // 100 + 1):
        status, body = http(f"{base}/v2/subscribers?page={page}&per_page=50", key)
        around += body["subscribers"]
    keys = [(s["created_at"], s["uuid"]) for s in around]
    assert len(around) == 100
    assert len(set(keys)) == 100
    assert [k[0] for k in keys] == sorted((k[0] for k in keys), reverse=True)


def summarize(label: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "label": label,
        "rps": statistics.median(r["rps"] for r in runs),
        "rps_runs": [round(r["rps"], 1) for r in runs],
        "p50_ms": statistics.median(r["p50"] for r in runs) / 1000,
        "p90_ms": statistics.median(r["p90"] for r in runs) / 1000,
        "p99_ms": statistics.median(r["p99"] for r in runs) / 1000,
        "requests": sum(r["requests"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        "web_cpu_ms": statistics.median(r["web_cpu_ms"] for r in runs),
        "db_cpu_ms": statistics.median(r["db_cpu_ms"] for r in runs),
        "cmd": runs[0]["cmd"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--team", default="bench-1m")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: its config's)")
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per scenario")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (P1, P4)")
    parser.add_argument("--only", help="comma-separated subset of P1,P2,P3,P4")
    args = parser.parse_args()
    only = set(args.only.upper().split(",")) if args.only else {"P1", "P2", "P3", "P4"}
    info = json.loads((VAR_DIR / "bench" / f"{args.team}.json").read_text())
    key, count = info["api_key"], info["count"]
    base = f"http://127.0.0.1:{args.port}"
    conc = {"threads": args.threads, "connections": args.connections, "duration": args.duration}
    one = {"threads": 1, "connections": 1, "duration": args.duration}
    results: dict[str, Any] = {"started": datetime.now(UTC).isoformat(), "uptime_start": uptime()}
    print(results["uptime_start"], flush=True)
    proc = start_gunicorn(args.port, args.workers, args.team)
    WATCH["master"] = proc.pid
    WATCH["db"] = urllib.parse.urlsplit(os.environ.get("DATABASE_URL", "")).path.lstrip("/")
    try:
        wait_ready(base, proc)
        check_answers(base, info)
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            ours = GET_LUA.format(count=count, key=key, prefix="/v2/subscribers/")
            bare = GET_LUA.format(count=count, key=key, prefix="/bare/subscribers/")
            page1 = LIST_LUA.format(key=key, path="/v2/subscribers?page=1&per_page=50")
            deep = LIST_LUA.format(key=key, path="/v2/subscribers?page=20000&per_page=50")
            # Since back-half pages are read from the end, the middle is the deepest page.
            mid = LIST_LUA.format(key=key, path="/v2/subscribers?page=10000&per_page=50")
            # Warm-up: connections, caches, the pages of the indexes.
            for script in (ours, bare, page1, deep, mid):
                wrk(base, script, **{**conc, "duration": 3}, tmp=tmp)
            if "P1" in only:
                runs: dict[str, list[dict[str, Any]]] = {"ours": [], "bare": []}
                for _ in range(args.rounds):
                    runs["ours"].append(wrk(base, ours, **conc, tmp=tmp))
                    runs["bare"].append(wrk(base, bare, **conc, tmp=tmp))
                p1_ours = summarize("GET /v2/subscribers/:email", runs["ours"])
                p1_bare = summarize("GET /bare/subscribers/:email", runs["bare"])
                results["P1"] = {
                    "ours": p1_ours,
                    "bare": p1_bare,
                    "ratio": p1_ours["rps"] / p1_bare["rps"],
                    "target": ">= 0.6",
                }
            if only & {"P2", "P3"}:
                runs = {"page1": [], "deep": [], "mid": []}
                for _ in range(args.rounds):
                    runs["page1"].append(wrk(base, page1, **one, tmp=tmp))
                    runs["deep"].append(wrk(base, deep, **one, tmp=tmp))
                    runs["mid"].append(wrk(base, mid, **one, tmp=tmp))
                p_first = summarize("page 1, per_page 50", runs["page1"])
                p_deep = summarize("page 20000, per_page 50", runs["deep"])
                p_mid = summarize("page 10000, per_page 50", runs["mid"])
                results["P2"] = {
                    "page1": p_first,
                    "page20000": p_deep,
                    "page10000": p_mid,
                    "ratio_p50": p_deep["p50_ms"] / p_first["p50_ms"],
                    "ratio_p50_page10000": p_mid["p50_ms"] / p_first["p50_ms"],
                    "target": "<= 2",
                }
                results["P3"] = {"page1_p50_ms": p_first["p50_ms"], "target_ms": "<= 20"}
            if "P4" in only:
                codes = ", ".join(f'"{c}"' for c in info["ref_codes_sample"])
                runs = {"create": [], "bare": []}
                for r in range(args.rounds):
                    for name, path in P4_PATHS:
                        nonce = f"{time.time_ns()}{r}"
                        script = CREATE_LUA.format(key=key, codes=codes, nonce=nonce, path=path)
                        runs[name].append(wrk(base, script, **conc, tmp=tmp))
                p4_ours = summarize("POST /v2/subscribers with referrer_code", runs["create"])
                p4_bare = summarize("POST /bare/subscribers with referrer_code", runs["bare"])
                results["P4"] = {
                    "create": p4_ours,
                    "bare": p4_bare,
                    "ratio": p4_ours["rps"] / p4_bare["rps"],
                    "target": ">= 0.4 of bare, >= 400 req/s",
                }
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    results["uptime_end"] = uptime()
    report(results)
    out = VAR_DIR / "bench" / f"results-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"results in {out}")


def report(results: dict[str, Any]) -> None:
    def line(r: dict[str, Any]) -> str:
        return (
            f"  {r['label']:<42} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.2f} ms"
            f"  p90 {r['p90_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms  errors {r['errors']}"
            f"  CPU/request web {r['web_cpu_ms']:.2f} ms + db {r['db_cpu_ms']:.2f} ms"
            f"  runs {r['rps_runs']}"
        )

    if "P1" in results:
        p1 = results["P1"]
        print(f"P1 ratio ours/bare = {p1['ratio']:.2f} (target >= 0.6)", end="")
        cpu = {k: p1[k]["web_cpu_ms"] + p1[k]["db_cpu_ms"] for k in ("ours", "bare")}
        print(f"; by CPU per request (web + db) bare/ours = {cpu['bare'] / cpu['ours']:.2f}")
        print(line(p1["ours"]))
        print(line(p1["bare"]))
    if "P2" in results:
        p2 = results["P2"]
        print(f"P2 p50 page 20000 / page 1 = {p2['ratio_p50']:.2f} (target <= 2)")
        print(line(p2["page1"]))
        print(line(p2["page20000"]))
        print(f"   (page 10000 / page 1 = {p2['ratio_p50_page10000']:.2f}: the deepest page now)")
        print(line(p2["page10000"]))
        print(f"P3 page 1 p50 = {results['P3']['page1_p50_ms']:.2f} ms (target <= 20 ms)")
    if "P4" in results:
        p4 = results["P4"]
        cpu = {k: p4[k]["web_cpu_ms"] + p4[k]["db_cpu_ms"] for k in ("create", "bare")}
        print(
            f"P4 ratio ours/bare = {p4['ratio']:.2f} (target >= 0.4, and >= 400 req/s);"
            f" by CPU per request (web + db) bare/ours = {cpu['bare'] / cpu['create']:.2f}"
        )
        print(line(p4["create"]))
        print(line(p4["bare"]))
    print(results["uptime_end"])


if __name__ == "__main__":
    main()
