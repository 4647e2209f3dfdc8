"""The load engine: Locust, headless, as a library, in a child process of `interlock perf run`.

Importing Locust monkey-patches the whole process with gevent (sockets, threads, time),
which would change how the CLI, the server or a test process behaves; so this module runs
only in its own process, started by `runner.py`, and talks to it through two JSON files.

The model is open: arrivals follow a schedule of intended send times (constant rate per
stage) whatever the target does; a pool of Locust users takes the next intended time, waits
for it, and sends. Latency is measured from the intended time, as wrk2 does, so requests
held back by a slow target count their wait (no coordinated omission).
"""

from __future__ import annotations

import json
import random
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gevent  # type: ignore[import-untyped]  # gevent ships no type information
from gevent.event import Event  # type: ignore[import-untyped]  # (as above)
from locust import FastHttpUser, task
from locust.env import Environment
from locust.exception import StopUser

from interlock.perf.histogram import LatencyHistogram

LAG_WARNING_MS = 10.0
"""A p99 send lag above this means the generator could not keep the schedule."""


def intended_times(stages: list[dict[str, float]], start: float) -> Iterator[float]:
    """Send times (perf_counter seconds) at a constant rate within each stage."""
    offset = start
    for stage in stages:
        count = round(stage["duration_s"] * stage["rate"])
        for k in range(count):
            yield offset + k / stage["rate"]
        offset += stage["duration_s"]


class Recorder:
    """Histograms per operation and a per-second timeline, filled by the users."""

    def __init__(self) -> None:
        self.operations: dict[str, dict[str, Any]] = {}
        self.seconds: dict[int, dict[str, Any]] = {}
        self.lag = LatencyHistogram()
        self.start = 0.0

    def record(
        self, operation: str, latency_s: float, service_s: float, status: int, ok: bool, end: float
    ) -> None:
        op = self.operations.get(operation)
        if op is None:
            op = {
                "requests": 0,
                "errors": 0,
                "histogram": LatencyHistogram(),
                "service": LatencyHistogram(),
                "statuses": {},
            }
            self.operations[operation] = op
        op["requests"] += 1
        op["errors"] += 0 if ok else 1
        op["histogram"].record_ms(latency_s * 1000)
        op["service"].record_ms(service_s * 1000)
        key = str(status)
        op["statuses"][key] = op["statuses"].get(key, 0) + 1
        second = int(end - self.start)
        bucket = self.seconds.get(second)
        if bucket is None:
            bucket = {"requests": 0, "errors": 0, "histogram": LatencyHistogram()}
            self.seconds[second] = bucket
        bucket["requests"] += 1
        bucket["errors"] += 0 if ok else 1
        bucket["histogram"].record_ms(latency_s * 1000)

    def to_json(self) -> dict[str, Any]:
        operations = {
            name: {
                "name": name,
                "requests": op["requests"],
                "errors": op["errors"],
                "statuses": op["statuses"],
                "histogram": op["histogram"].to_json(),
                "service_histogram": op["service"].to_json(),
            }
            for name, op in self.operations.items()
        }
        timeline = [
            {
                "t": second,
                "requests": b["requests"],
                "errors": b["errors"],
                "p50_ms": b["histogram"].quantile_ms(0.5),
                "p95_ms": b["histogram"].quantile_ms(0.95),
                "max_ms": b["histogram"].max_ms(),
            }
            for second, b in sorted(self.seconds.items())
        ]
        return {"operations": operations, "timeline": timeline}


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Send the spec's traffic to its target; returns the recorded result (JSON-ready)."""
    rng = random.Random(spec.get("seed", 0))
    flows = spec["flows"]
    weights = [float(f["weight"]) for f in flows]
    think_s = float(spec.get("think_time_ms", 0)) / 1000
    users = int(spec["users"])
    recorder = Recorder()
    started = Event()
    schedule: dict[str, Iterator[float]] = {}
    finished: list[int] = []

    class LoadUser(FastHttpUser):
        host = spec["target"]
        network_timeout = float(spec["timeout_s"])
        connection_timeout = float(spec["timeout_s"])
        max_retries = 0

        def wait_time(self) -> float:
            return 0.0

        @task
        def arrive(self) -> None:
            started.wait()
            intended = next(schedule["times"], None)
            if intended is None:
                finished.append(1)
                raise StopUser()
            delay = intended - time.perf_counter()
            if delay > 0:
                gevent.sleep(delay)
            recorder.lag.record_ms(max(0.0, time.perf_counter() - intended) * 1000)
            flow = rng.choices(flows, weights)[0]
            for index, step in enumerate(flow["steps"]):
                if index:
                    gevent.sleep(think_s)
                    intended = time.perf_counter()
                self.send(step, intended)

        def send(self, step: dict[str, Any], intended: float) -> None:
            variant = rng.choice(step["variants"])
            expect = step["expect"]
            sent = time.perf_counter()
            status = 0
            ok = False
            with self.client.request(
                variant["method"],
                variant["path"],
                name=step["operation"],
                data=variant["body"],
                headers=variant["headers"] or None,
                catch_response=True,
            ) as response:
                status = int(response.status_code or 0)
                ok = status in expect if expect else 0 < status < 400
                if ok:
                    response.success()
                else:
                    response.failure(f"status {status}")
            end = time.perf_counter()
            recorder.record(step["operation"], end - intended, end - sent, status, ok, end)

    environment = Environment(user_classes=[LoadUser], host=spec["target"])
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=float(users) * 20)
    if runner.spawning_greenlet is not None:
        runner.spawning_greenlet.join()
    cpu_before = _cpu_s()
    begin = time.perf_counter() + 0.05
    recorder.start = begin
    schedule["times"] = intended_times(spec["stages"], begin)
    started.set()
    planned = sum(s["duration_s"] for s in spec["stages"])
    deadline = begin + planned + float(spec["timeout_s"]) + 5
    while len(finished) < users and time.perf_counter() < deadline:
        gevent.sleep(0.05)
    ended = time.perf_counter()
    cpu = _cpu_s() - cpu_before
    runner.quit()
    result = recorder.to_json()
    result["duration_s"] = planned
    result["wall_s"] = ended - begin
    result["generator"] = {
        "users": users,
        "cpu_s": cpu,
        "send_lag_p99_ms": recorder.lag.quantile_ms(0.99),
        "send_lag_max_ms": recorder.lag.max_ms(),
        "behind_schedule": recorder.lag.quantile_ms(0.99) > LAG_WARNING_MS,
    }
    return result


def main(argv: list[str]) -> int:
    """`SPEC.json RESULT.json`: run the spec, write the result."""
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    result = run(spec)
    Path(argv[1]).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
