"""Load generator accuracy: `interlock perf run` (Locust, open model) beside `wrk` on one stub.

Run: `.venv/bin/python benchmarks/perf.py [--rate 1000] [--duration 10] [--users N]`. The target is
`orders` stubbed from the shop's pact, served by `interlock stub serve` in its own process.
wrk (closed loop, one connection) measures what the stub does; Interlock then sends --rate
requests/s to the same route. Printed: the achieved rate against the target, each latency
percentile as a ratio to wrk's, and the generator's own CPU per 1,000 requests/s.
Goals (issue 17): rate within 2%, percentiles within 10% of wrk's.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from interlock.perf import LoadOptions, Stage, TrafficPlan, run_load
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument(
        "--users", type=int, default=None, help="Locust users (default: perf run's)"
    )
    args = parser.parse_args()
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
