"""Chapter 8 of the demo: `orders` load-tested alone against its baseline, and a chaos
experiment on `gateway`'s call to `orders` that finds the timeout gateway lacks.

The load test starts `orders` in an environment (`interlock env`) whose inventory and
payments are stubs from its pacts, and stores its runs in the demo's database (the /perf
page shows them). The experiment starts a second gateway whose orders is a stub, slows that
stub, and reads gateway's spans on the dashboard's span store: gateway declares a 1 s timeout
on orders (gateway/interlock.yaml) but waits as long as orders takes.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rich.markup import escape

from interlock.demo.shop import DemoRun, find_shop
from interlock.perf import OVERALL
from interlock.ports import free_port
from interlock.processes import ProcessSet, ProcessSpec, wait_healthy

ORDER_ID = "8f14e45fceea167a5a36dedd4bea2543"
"""The order gateway's pact asks orders for: its stub answers for it."""
BASELINE = "demo-baseline"
SLOWER = "demo-slower-payments"


@dataclass(frozen=True)
class ChapterTimings:
    """How much load: `repeat` runs of `duration_s` at `rate` for each version compared."""

    rate: float = 10.0
    duration_s: float = 3.0
    repeat: int = 3
    warm_up_s: float = 3.0
    payments_delay_ms: int = 50
    """The change the second comparison must find: payments this much slower."""


@dataclass
class ResilienceChapter:
    """What the chapter found, for story.json."""

    perf: dict[str, Any] = field(default_factory=dict)
    chaos: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"perf": self.perf, "chaos": self.chaos}


def _env_file(shop: Path, folder: Path, inventory_db: Path) -> Path:
    """orders under test, its HTTP dependencies stubbed from its pacts, a fresh database."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {
        "name": "demo-orders-perf",
        "service": {
            "name": "orders",
            "real": {
                "command": "${python} -m orders.app",
                "cwd": str(shop),
                "env": {
                    "HOST": "127.0.0.1",
                    "PYTHONPATH": str(shop),
                    "DATABASE_URL": f"sqlite:///{folder / 'orders.db'}",
                    # orders reads prices straight from inventory's database: the demo's own
                    "INVENTORY_DATABASE_URL": f"sqlite:///{inventory_db}",
                    # spans at the environment's collector within half a second, so that
                    # each run's span profile is read right after it
                    "OTEL_BSP_SCHEDULE_DELAY": "500",
                },
                "health": "http://127.0.0.1:${port}/health",
                "port": "auto",
            },
        },
        "dependencies": {
            "inventory": {
                "stub": str(shop / "pacts" / "orders-inventory.json"),
                "state": "product 2 is in stock",
            },
            "payments": {"stub": str(shop / "pacts" / "orders-payments.json")},
        },
    }
    path = folder / "orders-perf.yaml"
    path.write_text(yaml.safe_dump(env, sort_keys=False))
    scenario = {
        "service": "orders",
        "flows": [
            {
                "name": "place an order",
                "steps": [
                    {
                        "name": "POST /orders",
                        "method": "POST",
                        "path": "/orders",
                        "json": {"product_id": 2, "quantity": 3},  # as the pacts say
                        "status": 201,
                    }
                ],
            }
        ],
    }
    (folder / "orders-scenario.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    return path


def _load(
    url: str, folder: Path, database_url: str | None, commit: str, duration_s: float, rate: float
) -> list[int]:
    """One run at `commit`, stored in `database_url` (None: not stored); the run ids."""
    from interlock.perf import LoadTestRequest, Stage, load_test

    report = load_test(
        LoadTestRequest(
            stages=(Stage(duration_s, rate),),
            target=url,
            scenario=folder / "orders-scenario.yaml",
            service="orders",
            commit=commit,
            database_url=database_url,
            span_store=folder / "env" / "telemetry",  # the environment's collector
        )
    )
    return [run.id or 0 for run in report.runs]


def load_test_orders(
    run: DemoRun, stop: threading.Event, timings: ChapterTimings
) -> dict[str, Any]:
    """orders against its baseline, then with a slower payments: what `perf check` says."""
    from interlock.envs import load_environment_file, start_environment
    from interlock.perf import check_against, current_commit
    from interlock.settings import load_settings
    from interlock.stubs import add_fault, remove_faults

    inventory_db = run.data_dir / "shop" / "inventory.db"
    if "inventory" in run.stubbed or not inventory_db.exists():
        return {"skipped": "inventory is stubbed: orders has no inventory database to read"}
    folder = run.data_dir / "perf-demo"
    spec = load_environment_file(_env_file(find_shop(), folder, inventory_db))
    database_url = load_settings(data_dir=run.data_dir).database_url
    head = current_commit(find_shop())
    slower: dict[str, Any] = {
        "name": "demo-slower",
        "type": "latency",
        "latency": timings.payments_delay_ms,
    }
    environment = start_environment(spec, folder / "env")
    try:
        url = environment.variables["ORDERS_URL"]
        admin = environment.variables["INTERLOCK_STUB_ADMIN_URL"]
        found: dict[str, Any] = {"target": url, "runs": {BASELINE: [], head: [], SLOWER: []}}
        # the first requests open files and fill caches: not a fair part of the baseline
        _load(url, folder, None, "warm-up", timings.warm_up_s, timings.rate)
        # Rounds of one run per version, so that the machine's drift falls on all three alike.
        for _ in range(timings.repeat):
            for commit in (BASELINE, head, SLOWER):
                if stop.is_set():
                    return found
                if commit == SLOWER:
                    add_fault(admin, "payments", slower)
                found["runs"][commit] += _load(
                    url, folder, database_url, commit, timings.duration_s, timings.rate
                )
                if commit == SLOWER:
                    remove_faults(admin, "payments", slower["name"])
    finally:
        environment.stop()
    same = check_against(database_url, "orders", BASELINE, commit=head)
    slowed = check_against(database_url, "orders", BASELINE, commit=SLOWER)
    found["unchanged"] = same.to_json()
    found["slower_payments"] = slowed.to_json()
    return found


@contextmanager
def _stubbed_gateway(run: DemoRun, folder: Path) -> Iterator[tuple[str, str]]:
    """A second gateway whose orders is a stub; yields (gateway URL, the stub's admin URL)."""
    from interlock.stubs import StubServer, load_services

    shop = find_shop()
    stub = StubServer(load_services([str(shop / "pacts" / "gateway-orders.json")]))
    stub.start()
    port = free_port()
    inventory = run.url("inventory")
    env = {
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "PYTHONPATH": str(shop),
        "PYTHONUNBUFFERED": "1",
        "ORDERS_URL": stub.endpoints()[0].url,
        "INVENTORY_URL": inventory,
        "OTEL_EXPORTER_OTLP_ENDPOINT": run.dashboard_url,
        "OTEL_BSP_SCHEDULE_DELAY": "500",  # the experiment reads the spans right after
    }
    spec = ProcessSpec(
        name="gateway (orders stubbed)",
        argv=[sys.executable, "-m", "gateway.app"],
        log_path=folder / "gateway.log",
        env=env,
        cwd=shop,
        health_url=f"http://127.0.0.1:{port}/health",
    )
    processes = ProcessSet()
    try:
        wait_healthy([processes.start(spec)], 60)
        yield f"http://127.0.0.1:{port}", stub.admin_url or ""
    finally:
        processes.stop()
        stub.stop()


def find_missing_timeout(run: DemoRun) -> dict[str, Any]:
    """The slow-dependency experiment on gateway → orders, as `interlock chaos verify` runs it."""
    from interlock.chaos import Target, verify_resilience

    # Chaos Toolkit logs a failed hypothesis as a warning; with no handler of the demo's
    # own, Python would print it in the middle of the story (the journal keeps it anyway).
    logging.getLogger("chaostoolkit").addHandler(logging.NullHandler())
    config = find_shop() / "gateway" / "interlock.yaml"
    folder = run.data_dir / "chaos-demo"
    folder.mkdir(parents=True, exist_ok=True)
    with _stubbed_gateway(run, folder) as (gateway, admin):
        target = Target(f"{gateway}/orders/{ORDER_ID}", admin, run.data_dir)
        verdicts = verify_resilience(config, "gateway", target, ("timeout",), callee="orders")
    return verdicts[0].to_json()


def _regressions(comparison: dict[str, Any]) -> list[str]:
    """The regressions' messages, those of an operation before those of all merged."""
    found = [c for c in comparison["changes"] if c["regression"]]
    found.sort(key=lambda c: c["operation"] == OVERALL)
    return [c["message"] for c in found]


def _perf_line(perf: dict[str, Any], dashboard: str) -> str:
    if "skipped" in perf:
        return f"[bold]8[/] Load test of orders skipped: {escape(perf['skipped'])}"
    if "slower_payments" not in perf:
        return "[bold]8[/] Load test of orders stopped early"
    same = _regressions(perf["unchanged"])
    slower = _regressions(perf["slower_payments"])
    verdict = (
        f"[red]{escape(same[0])}[/] (noise on this machine?)" if same else "[green]no regression[/]"
    )
    found = f"[red]{escape(slower[0])}[/]" if slower else "no regression found"
    spans = perf["slower_payments"].get("spans") or []
    if slower and spans:
        found += f", because {escape(spans[0]['message'])}"
    return (
        f"[bold]8[/] orders load-tested alone (inventory and payments stubbed, "
        f"POST /orders at a constant rate): this commit against its baseline: {verdict}; "
        f"with payments slower by a stub fault: {found} — {dashboard}/perf?service=orders"
    )


def _chaos_line(chaos: dict[str, Any], dashboard: str) -> str:
    mark = "[green]✓[/]" if chaos.get("passed") else "[red]✗[/]"
    fix = "" if chaos.get("passed") else " — the fix, an httpx timeout on the client: docs/chaos.md"
    return (
        f"[bold]8[/] Chaos experiment, orders slowed: {mark} {escape(str(chaos.get('message')))}"
        f"{fix} — {dashboard}/chaos"
    )


def tell_resilience_chapter(
    run: DemoRun, stop: threading.Event, timings: ChapterTimings | None = None
) -> tuple[ResilienceChapter, list[str]]:
    """Run both halves; what they found and the story's lines. A half that fails is a line
    saying so, not the end of the chapter."""
    chapter = ResilienceChapter()
    lines = []
    try:
        chapter.perf = load_test_orders(run, stop, timings or ChapterTimings())
        lines.append(_perf_line(chapter.perf, run.dashboard_url))
    except Exception as error:  # the chaos half still runs
        chapter.perf = {"error": f"{type(error).__name__}: {error}"}
        lines.append(f"[bold]8[/] [red]load test failed:[/] {escape(chapter.perf['error'])}")
    if stop.is_set():
        return chapter, lines
    chapter.chaos = find_missing_timeout(run)
    lines.append(_chaos_line(chapter.chaos, run.dashboard_url))
    return chapter, lines
