"""Web benchmark: throughput and p95 latency of the main pages against a hello-world view.

    .venv/bin/python bench/web.py        (what `make bench-web` runs)

Serves the demo data with gunicorn exactly as `make demo` does (3 sync workers, whitenoise,
SQLite), on a free port of 127.0.0.1, from a throw-away var directory. The settings are
the product's plus one URL, /bench-hello, a view that returns a constant string (see
bench/urls.py); the product's URLs are untouched.

The load generator is a pool of client threads (http.client), each sending one request
after another, so at most --clients requests are in flight. Each scenario runs for a
warm-up and then --duration seconds, or until --max-requests, whichever comes first;
all traffic goes to 127.0.0.1 only. Signed-in scenarios sign in once through the login
form and reuse the session cookie.

The figure that matters is the ratio of each page to hello-world on the same server: it
says what the page costs beyond what Django and the middleware cost anyway, and it does
not depend much on the machine.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import math
import os
import platform
import re
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.stack import Stack

DEMO_PASSWORD = "Xietong@2026demo"


@dataclass
class Scenario:
    name: str
    path: str
    signed_in: bool
    marker: str  # text the page must contain, so a redirect or an error page is not measured


SCENARIOS = [
    Scenario("hello-world view (anonymous)", "/bench-hello", False, "Hello, world"),
    Scenario("hello-world view (signed in)", "/bench-hello", True, "Hello, world"),
    Scenario("home page", "/", True, "两江新区 ↔ 万州区"),
    Scenario("partnership list", "/partnerships/", True, "两江新区 ↔ 万州区"),
]


@dataclass
class Result:
    scenario: Scenario
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    client_cpu: float = 0.0  # CPU seconds the load generator itself used

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return math.nan
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class Client:
    """Plain HTTP/1.1 to one host; gunicorn's sync workers close every connection."""

    def __init__(self, port: int, cookie: str = "") -> None:
        self.port = port
        self.headers = {"Accept-Language": "zh-CN,zh;q=0.9", "User-Agent": "xietong-bench"}
        if cookie:
            self.headers["Cookie"] = cookie
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            self.conn.request("GET", path, headers=self.headers)
            response = self.conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        if response.will_close:
            self.conn.close()
        return response.status, body


def sign_in(port: int, username: str) -> str:
    """Sign in through the login form; returns the Cookie header of the session."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    html = response.read().decode()
    jar = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "username": username,
            "password": DEMO_PASSWORD,
            "next": "/",
        }
    )
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v.value}" for k, v in jar.items()),
        },
    )
    response = conn.getresponse()
    response.read()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    if response.status != 302 or "sessionid" not in jar:
        raise SystemExit(f"sign-in as {username} failed: HTTP {response.status}")
    return "; ".join(f"{k}={v.value}" for k, v in jar.items())


def check(port: int, scenario: Scenario, cookie: str) -> None:
    status, body = Client(port, cookie).get(scenario.path)
    if status != 200 or scenario.marker.encode() not in body:
        raise SystemExit(f"{scenario.path} answered {status} without {scenario.marker!r}")


def load(port: int, scenario: Scenario, cookie: str, clients: int, seconds: float, limit: float):
    """``clients`` threads, each sending one request after another, for ``seconds``."""
    result = Result(scenario)
    lock = threading.Lock()
    issued = itertools.count()
    stop_at = time.perf_counter() + seconds

    def client_loop():
        client = Client(port, cookie)
        latencies, errors = [], {}
        while time.perf_counter() < stop_at and next(issued) < limit:
            started = time.perf_counter()
            try:
                status, _ = client.get(scenario.path)
            except (OSError, http.client.HTTPException) as exc:
                key = exc.__class__.__name__
                errors[key] = errors.get(key, 0) + 1
                continue
            finished = time.perf_counter()
            if status == 200:
                latencies.append(finished - started)
            else:
                errors[f"HTTP {status}"] = errors.get(f"HTTP {status}", 0) + 1
        with lock:
            result.latencies.extend(latencies)
            for key, count in errors.items():
                result.errors[key] = result.errors.get(key, 0) + count

    cpu_before = time.process_time()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for future in [pool.submit(client_loop) for _ in range(clients)]:
            future.result()
    result.elapsed = time.perf_counter() - started
    result.client_cpu = time.process_time() - cpu_before
    return result


def merge(total: Result, part: Result) -> None:
    total.latencies.extend(part.latencies)
    for key, count in part.errors.items():
        total.errors[key] = total.errors.get(key, 0) + count
    total.elapsed += part.elapsed
    total.client_cpu += part.client_cpu


def machine() -> dict[str, str]:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import django
    import gunicorn

    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
    }


def report(results: list[Result], args, info: dict[str, str]) -> str:
    hello = results[0]
    lines = [
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['os']}; Python {info['python']}, "
        f"Django {info['django']}, gunicorn {info['gunicorn']} with {args.workers} sync workers, "
        f"SQLite.",
        f"Load: {args.clients} concurrent clients, {args.warmup:g} s warm-up, "
        f"{args.duration:g} s measured per scenario in {args.rounds} interleaved rounds, "
        f"signed in as {args.user}. Load average before / after: {info['load_before']} / "
        f"{info['load_after']}.",
        "",
        "| scenario | path | requests | req/s | p50 ms | p95 ms | p99 ms | errors "
        "| req/s vs hello | p95 vs hello |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        errors = sum(r.errors.values())
        lines.append(
            f"| {r.scenario.name} | `{r.scenario.path}` | {r.requests} | {r.rps:.0f} "
            f"| {r.percentile(50) * 1000:.1f} | {r.percentile(95) * 1000:.1f} "
            f"| {r.percentile(99) * 1000:.1f} | {errors} "
            f"| {r.rps / hello.rps:.2f} | {r.percentile(95) / hello.percentile(95):.1f}× |"
        )
    lines += [
        "",
        "Load generator CPU: "
        + ", ".join(f"{r.scenario.name} {r.client_cpu / r.elapsed:.0%} of a core" for r in results)
        + ".",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument(
        "--duration", type=float, default=30, help="seconds measured per scenario (30)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds the duration is split in (3)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up (3)")
    parser.add_argument(
        "--max-requests", type=int, default=100_000, help="cap per scenario (100000)"
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (3)")
    parser.add_argument("--user", default="lj_coord", help="demo user to sign in as")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    if not (1 <= args.clients <= 200 and 0 < args.duration <= 300 and 0 <= args.warmup <= 60):
        parser.error("keep --clients in 1..200, --duration in (0, 300], --warmup in 0..60")
    if not 1 <= args.rounds <= 10:
        parser.error("keep --rounds in 1..10")

    info = machine()
    info["load_before"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="xietong-bench-") as tmp:
        print("Preparing a throw-away database with the demo data ...", flush=True)
        stack = Stack(Path(tmp), workers=args.workers, settings="bench.settings", access_log=True)
        with stack:
            print(f"gunicorn ({args.workers} sync workers) on {stack.origin}", flush=True)
            cookie = sign_in(stack.port, args.user)
            cookies = [cookie if s.signed_in else "" for s in SCENARIOS]
            for scenario, jar in zip(SCENARIOS, cookies, strict=True):
                check(stack.port, scenario, jar)
                load(stack.port, scenario, jar, args.clients, args.warmup, math.inf)
            # Rounds interleave the scenarios, so a burst of other work on the machine
            # slows them all alike instead of skewing one of them (and the ratios).
            results = [Result(s) for s in SCENARIOS]
            per_round = args.duration / args.rounds
            limit = args.max_requests / args.rounds
            for round_ in range(1, args.rounds + 1):
                print(f"round {round_}/{args.rounds}", flush=True)
                for scenario, jar, total in zip(SCENARIOS, cookies, results, strict=True):
                    part = load(stack.port, scenario, jar, args.clients, per_round, limit)
                    merge(total, part)
                    print(
                        f"  {scenario.name:30} {part.rps:6.0f} req/s, "
                        f"p95 {part.percentile(95) * 1000:6.1f} ms",
                        flush=True,
                    )
    info["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print()
    print(report(results, args, info))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "results": [
                        {
                            "scenario": r.scenario.name,
                            "path": r.scenario.path,
                            "requests": r.requests,
                            "rps": r.rps,
                            "p50_ms": r.percentile(50) * 1000,
                            "p95_ms": r.percentile(95) * 1000,
                            "p99_ms": r.percentile(99) * 1000,
                            "errors": r.errors,
                        }
                        for r in results
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    failed = [r for r in results if r.errors]
    for r in failed:
        print(f"ERRORS in {r.scenario.name}: {r.errors}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
