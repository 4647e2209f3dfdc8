"""Root-cause accuracy on the example shop: one injected fault at a time, then the window RCA.

Run: `.venv/bin/python benchmarks/rca_live_shop.py [--seconds 8] [--clients 2] [--only NAME]`; prints
one row per scenario (injected service, its rank, the top 3) and the totals against the goal
(first in at least 9 of 10, top 3 in all); exit 1 when the goal is missed.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from interlock.demo import find_shop, shop_specs
from interlock.ports import free_port
from interlock.processes import ChildProcess, ProcessSet, ProcessSpec, stop_processes, wait_healthy
from interlock.telemetry import diagnose_window

console = Console(highlight=False, width=150)


@dataclass(frozen=True)
class Scenario:
    """A fault in one service: a `SHOP_FAULT` value, or (`table`) a table renamed under it."""

    name: str
    service: str
    shop_fault: str = ""
    table: str = ""  # hidden during the window, so that every statement on it fails


SCENARIOS = (
    Scenario("payments errors", "payments", "error:0.5"),
    Scenario("orders errors", "orders", "error:0.5"),
    Scenario("inventory errors", "inventory", "error:0.5"),
    Scenario("gateway errors", "gateway", "error:0.5"),
    Scenario("payments latency", "payments", "latency:300"),
    Scenario("orders latency", "orders", "latency:300"),
    Scenario("inventory latency", "inventory", "latency:300"),
    Scenario("gateway latency", "gateway", "latency:300"),
    Scenario("orders failing query", "orders", table="orders"),
    Scenario("payments slow and flaky", "payments", "latency:100,error:0.2"),
)


class Shop:
    """The four shop services exporting to one collector, with a way to restart one."""

    def __init__(self, processes: ProcessSet, data_dir: Path) -> None:
        self.processes = processes
        self.data_dir = data_dir
        self.collector_port = free_port()
        argv = [sys.executable, "-m", "interlock", "collector"]
        argv += ["--port", str(self.collector_port), "--data-dir", str(data_dir)]
        collector = processes.start(
            ProcessSpec(
                name="collector",
                argv=argv,
                log_path=data_dir / "logs" / "collector.log",
                health_url=f"http://127.0.0.1:{self.collector_port}/healthz",
            )
        )
        wait_healthy([collector], 60)
        self.specs = {
            spec.name: spec
            for spec in shop_specs(find_shop(), data_dir, f"http://127.0.0.1:{self.collector_port}")
        }
        self.children: dict[str, ChildProcess] = {}
        for name, spec in self.specs.items():
            self.children[name] = processes.start(spec)
        wait_healthy(list(self.children.values()), 90)
        self.gateway = (self.specs["gateway"].health_url or "").removesuffix("/health")

    def restart(self, service: str, shop_fault: str = "") -> None:
        """Stop `service` (its spans are flushed on the way out), start it with `shop_fault`."""
        old = self.children[service]
        stop_processes([old])
        self.processes.children.remove(old)
        spec = self.specs[service]
        spec = replace(spec, env={**spec.env, "SHOP_FAULT": shop_fault})
        self.children[service] = self.processes.start(spec)
        wait_healthy([self.children[service]], 90)

    def database(self, name: str) -> sqlite3.Connection:
        return sqlite3.connect(self.data_dir / "shop" / f"{name}.db", timeout=30)


def drive(gateway: str, seconds: float, clients: int) -> int:
    """Orders and product listings from `clients` threads for `seconds`; the requests sent."""
    sent = [0] * clients
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        with httpx.Client(base_url=gateway, timeout=10) as http:
            while time.monotonic() < deadline:
                n = sent[index]
                if n % 5 < 3:
                    http.post("/orders", json={"product_id": 1 + n % 3, "quantity": 1})
                else:
                    http.get("/products")
                sent[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(sent)


@contextmanager
def injected(shop: Shop, scenario: Scenario) -> Iterator[None]:
    if scenario.shop_fault:
        shop.restart(scenario.service, scenario.shop_fault)
    if scenario.table:
        with shop.database(scenario.service) as db:
            db.execute(f"ALTER TABLE {scenario.table} RENAME TO {scenario.table}_hidden")
    try:
        yield
    finally:
        if scenario.table:
            with shop.database(scenario.service) as db:
                db.execute(f"ALTER TABLE {scenario.table}_hidden RENAME TO {scenario.table}")
        if scenario.shop_fault:
            shop.restart(scenario.service)


@dataclass(frozen=True)
class Outcome:
    scenario: Scenario
    rank: int | None
    top: list[str]
    requests: int
    traces: int
    failed: int
    rca_seconds: float  # reading both windows from the store and ranking


def run_scenario(shop: Shop, scenario: Scenario, seconds: float, clients: int) -> Outcome:
    now: Callable[[], int] = time.time_ns
    baseline_start = now()
    drive(shop.gateway, seconds, clients)
    baseline_end = now()
    with injected(shop, scenario):
        start = now()
        requests = drive(shop.gateway, seconds, clients)
        end = now()
    time.sleep(2.5)  # the exporters' batch delay (1 s) and the collector's write
    began = time.perf_counter()
    diagnosis = diagnose_window(shop.data_dir, start, end, baseline_start, baseline_end)
    seconds_taken = time.perf_counter() - began
    ranked = [s.service for s in diagnosis.services]
    rank = ranked.index(scenario.service) + 1 if scenario.service in ranked else None
    return Outcome(
        scenario,
        rank,
        ranked[:3],
        requests,
        diagnosis.traces,
        diagnosis.failed_traces,
        seconds_taken,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0, help="traffic per phase")
    parser.add_argument("--clients", type=int, default=2, help="concurrent client threads")
    parser.add_argument("--only", action="append", default=[], help="run only these scenarios")
    args = parser.parse_args()
    scenarios = [s for s in SCENARIOS if not args.only or s.name in args.only]
    with tempfile.TemporaryDirectory() as tmp, ProcessSet() as processes:
        data_dir = Path(tmp)
        console.print(f"starting the shop and a collector under {data_dir} ...")
        shop = Shop(processes, data_dir)
        with shop.database("inventory") as db:  # enough stock that orders never run out
            db.execute("UPDATE products SET stock = 1000000000 WHERE stock > 0")
        drive(shop.gateway, 2, 1)  # warm up: first requests open connections and files
        outcomes = []
        for scenario in scenarios:
            outcome = run_scenario(shop, scenario, args.seconds, args.clients)
            console.print(
                f"{scenario.name}: rank {outcome.rank}, top {', '.join(outcome.top)} "
                f"({outcome.traces} traces, {outcome.failed} failed)"
            )
            outcomes.append(outcome)
    table = Table("scenario", "fault", "injected", "rank", "top 3", "requests", "traces", "failed")
    for o in outcomes:
        fault = o.scenario.shop_fault or f"table {o.scenario.table} missing"
        table.add_row(
            o.scenario.name,
            fault,
            o.scenario.service,
            str(o.rank) if o.rank else "-",
            ", ".join(o.top),
            str(o.requests),
            str(o.traces),
            str(o.failed),
            f"{o.rca_seconds:.2f}",
        )
    console.print(table)
    first = sum(o.rank == 1 for o in outcomes)
    top3 = sum(o.rank is not None and o.rank <= 3 for o in outcomes)
    need_first = -(-9 * len(outcomes) // 10)
    ok = first >= need_first and top3 == len(outcomes)
    console.print(
        f"first in {first}/{len(outcomes)} (goal >= {need_first}), "
        f"top 3 in {top3}/{len(outcomes)} (goal all): {'PASS' if ok else 'MISS'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
