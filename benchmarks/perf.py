"""Load generator accuracy: `interlock perf run` (Locust, open model) beside `wrk` on one stub.

Run: `.venv/bin/python benchmarks/perf.py [--rate 1000] [--duration 10] [--users N]`. The target is
`orders` stubbed from the shop's pact, served by `interlock stub serve` in its own process.
wrk (closed loop, one connection) measures what the stub does; Interlock then sends --rate
requests/s to the same route. Printed: the achieved rate against the target, each latency
percentile as a ratio to wrk's, and the generator's own CPU per 1,000 requests/s.
Goals (issue 17): rate within 2%, percentiles within 10% of wrk's.

`--detection` measures `perf check` on this machine instead: `orders` stubbed from its OpenAPI
document, four routes loaded together in each run (two alike, one 10% slower, one 25% slower:
latency faults drawing from one log-normal distribution, scaled). Checks compare 3 runs of
one route against 3 other runs of another: A/A (false alarms), A/B +10% and +25% (detection).
Goals: false alarms at most 5%, +25% found in 95%, +10% in 80%; the time of each check.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from interlock.perf import LoadOptions, PerfRun, Stage, TrafficPlan, compare_runs, run_load
from interlock.perf.traffic import Flow, RequestVariant, Step
from interlock.ports import free_port, wait_for_port

REPO = Path(__file__).resolve().parents[1]
PACT = REPO / "examples" / "shop" / "pacts" / "gateway-orders.json"
ROUTE = "/orders/8f14e45fceea167a5a36dedd4bea2543"
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def start_stub() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "interlock", "stub", "serve", str(PACT), "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    wait_for_port(port, timeout=30)
    return process, f"http://127.0.0.1:{port}"


def run_wrk(url: str, duration: int) -> dict[str, float]:
    """wrk with one thread and one connection: the stub's own latency and its closed-loop rate."""
    done = subprocess.run(
        ["wrk", "-t1", "-c1", f"-d{duration}s", "--latency", url + ROUTE],
        capture_output=True, text=True, check=True, timeout=duration + 30,
    )  # fmt: skip
    figures: dict[str, float] = {}
    for percent, value, unit in re.findall(
        r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", done.stdout, re.M
    ):
        figures[f"p{percent}"] = float(value) * _UNITS_MS[unit]
    rate = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    figures["rate"] = float(rate.group(1)) if rate else 0.0
    return figures


OPENAPI = REPO / "examples" / "shop" / "orders" / "openapi.yaml"
ROUTES = {"A1": 1.0, "A2": 1.0, "B10": 1.10, "B25": 1.25}
"""Each route of the detection runs and its latency factor over the base distribution."""
OPERATION = "GET /orders/{order_id}"


def base_samples(median_ms: float = 20.0, sigma: float = 0.3) -> list[float]:
    """The percentiles 0.5, 1.5, ... 99.5 of a log-normal latency (median 20 ms, p95 33 ms)."""
    from statistics import NormalDist

    normal = NormalDist()
    return [median_ms * math.exp(sigma * normal.inv_cdf((k + 0.5) / 100)) for k in range(100)]


def route(name: str) -> str:
    return f"/orders/{name.lower():0<32}"


def detection_runs(runs: int, rate: float, duration: float) -> list[PerfRun]:
    """`runs` runs, each sending to the four routes together; latencies set by stub faults."""
    from interlock.stubs import add_fault

    port, admin_port = free_port(), free_port()
    stub = subprocess.Popen(
        [sys.executable, "-m", "interlock", "stub", "serve", f"orders={OPENAPI}",
         "--port", str(port), "--admin-port", str(admin_port)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port, timeout=30)
        wait_for_port(admin_port, timeout=30)
        for name, factor in ROUTES.items():
            samples = [round(v * factor) for v in base_samples()]
            fault = {"name": name, "type": "latency", "samples": samples,
                     "route": f"GET {route(name)}"}  # fmt: skip
            add_fault(f"http://127.0.0.1:{admin_port}", "orders", fault)
        steps = [Step(name, (RequestVariant("GET", route(name)),), (200,)) for name in ROUTES]
        plan = TrafficPlan(
            tuple(Flow(name, (step,)) for name, step in zip(ROUTES, steps, strict=True)),
            (Stage(duration, rate),),
        )
        options = LoadOptions(f"http://127.0.0.1:{port}", service="orders")
        done = []
        for index in range(runs):
            done.append(run_load(plan, options))
            print(f"  run {index + 1}/{runs}: {done[-1].achieved_rate:.0f}/s", flush=True)
        return done
    finally:
        stub.terminate()
        stub.wait(timeout=10)


def as_operation(run: PerfRun, name: str) -> PerfRun:
    """The run with only route `name`, renamed to the one operation both sides compare."""
    op = run.operations[name]
    renamed = type(op)(OPERATION, op.requests, op.errors, op.histogram, op.service, op.statuses)
    return PerfRun(run.service, name, run.target, run.started_at, run.duration_s,
                   run.target_rate, {OPERATION: renamed})  # fmt: skip


def detection(args: argparse.Namespace) -> int:
    print(f"detection: {args.runs} runs of {args.duration:g}s at {args.rate:g}/s over 4 routes")
    started = time.perf_counter()
    pool = detection_runs(args.runs, args.rate, args.duration)
    print(f"load: {time.perf_counter() - started:.0f}s for {len(pool)} runs")
    verdicts = [checks(pool, args, per_side) for per_side in args.per_side]
    return 0 if all(verdicts) else 1


def checks(pool: list[PerfRun], args: argparse.Namespace, per_side: int) -> bool:
    """`args.checks` comparisons of `per_side` runs against `per_side` others; goals met?"""
    rng = random.Random(args.seed)
    found = {"A2": 0, "B10": 0, "B25": 0}
    changes: dict[str, list[float]] = {"A2": [], "B10": [], "B25": []}
    timings = []
    for _ in range(args.checks):
        picked = rng.sample(pool, 2 * per_side)
        baseline = [as_operation(r, "A1") for r in picked[:per_side]]
        for name in found:
            current = [as_operation(r, name) for r in picked[per_side:]]
            begun = time.perf_counter()
            comparison = compare_runs(baseline, current, seed=rng.randrange(1 << 30))
            timings.append(time.perf_counter() - begun)
            found[name] += bool(comparison.regressions)
            changes[name] += [c.change for c in comparison.changes if c.operation == OPERATION
                              and c.metric == "p50"]  # fmt: skip
    n = args.checks
    rates = {name: count / n for name, count in found.items()}
    goals = {"A2": rates["A2"] <= 0.05, "B10": rates["B10"] >= 0.80, "B25": rates["B25"] >= 0.95}
    labels = {"A2": "A/A false alarms", "B10": "A/B +10% detected", "B25": "A/B +25% detected"}
    print(f"{n} checks of {per_side} runs against {per_side} other runs, drawn from the pool of "
          f"{len(pool)} (checks share runs)")  # fmt: skip
    for name, label in labels.items():
        mean = sum(changes[name]) / max(1, len(changes[name]))
        print(f"  {label:<20} {found[name]:>4}/{n} = {rates[name]:6.1%}  (mean measured p50 "
              f"change {mean:+.1%}) goal: {'PASS' if goals[name] else 'MISS'}")  # fmt: skip
    timings.sort()
    print(f"  time per check: median {timings[len(timings) // 2] * 1000:.0f} ms, "
          f"max {timings[-1] * 1000:.0f} ms")  # fmt: skip
    print(json.dumps({"per_side": per_side, "rates": rates, "checks": n, "runs": len(pool),
                      "check_ms_median": timings[len(timings) // 2] * 1000}))  # fmt: skip
    return all(goals.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=None)
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument(
        "--users", type=int, default=None, help="Locust users (default: perf run's)"
    )
    parser.add_argument("--detection", action="store_true", help="measure perf check instead")
    parser.add_argument("--runs", type=int, default=20, help="detection: runs in the pool")
    parser.add_argument("--checks", type=int, default=200, help="detection: checks drawn")
    parser.add_argument(
        "--per-side", type=int, nargs="+", default=[3, 5], help="detection: runs per side"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.detection:
        args.rate = args.rate or 200.0
        args.duration = args.duration or 3.0
        return detection(args)
    args.rate = args.rate or 1000.0
    args.duration = int(args.duration or 10)
    if shutil.which("wrk") is None:
        print("wrk is not installed (expected /usr/bin/wrk)")
        return 2
    stub, url = start_stub()
    try:
        wrk = run_wrk(url, args.duration)
        step = Step(f"GET {ROUTE}", (RequestVariant("GET", ROUTE),), (200,))
        plan = TrafficPlan((Flow("get", (step,)),), (Stage(float(args.duration), args.rate),))
        started = time.perf_counter()
        run = run_load(plan, LoadOptions(url, users=args.users))
        wall = time.perf_counter() - started
    finally:
        stub.terminate()
        stub.wait(timeout=10)
    op = run.overall()
    cpu = float(run.generator.get("cpu_s", 0.0))
    ours = {f"p{p}": op.histogram.quantile_ms(p / 100) for p in (50, 75, 90, 99)}
    service = {f"p{p}": op.service.quantile_ms(p / 100) for p in (50, 75, 90, 99)}
    rate_ratio = run.achieved_rate / args.rate
    print(f"target {url}{ROUTE}; wrk -t1 -c1 closed loop: {wrk['rate']:.0f} requests/s")
    print(f"interlock perf: target {args.rate:g}/s for {args.duration}s -> achieved {run.achieved_rate:.1f}/s "
          f"(ratio {rate_ratio:.3f}, goal 0.98-1.02: {'PASS' if abs(rate_ratio - 1) <= 0.02 else 'MISS'}); "
          f"errors {op.errors}; wall {wall:.1f}s")  # fmt: skip
    print("latency (ms)   wrk      interlock (intended)  ratio   interlock (sent)  ratio")
    worst = 0.0
    for key in ("p50", "p75", "p90", "p99"):
        ratio, sent_ratio = ours[key] / wrk[key], service[key] / wrk[key]
        worst = max(worst, abs(sent_ratio - 1))
        print(
            f"  {key:<12}{wrk[key]:8.3f}  {ours[key]:12.3f}          {ratio:6.2f}  {service[key]:12.3f}      {sent_ratio:6.2f}"
        )
    print(f"generator CPU: {cpu:.2f}s over {run.duration_s:g}s = {cpu / run.duration_s / (run.achieved_rate / 1000):.2f} "
          f"core-seconds per second per 1,000 requests/s; send lag p99 {run.generator.get('send_lag_p99_ms', 0):.1f} ms")  # fmt: skip
    print(
        json.dumps(
            {"rate_ratio": rate_ratio, "wrk": wrk, "intended": ours, "sent": service, "cpu_s": cpu}
        )
    )
    return 0 if abs(rate_ratio - 1) <= 0.02 and worst <= 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
