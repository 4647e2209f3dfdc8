"""The story `interlock demo` tells once the shop answers: one short line per chapter.

Runs in a background thread so the prompt comes at once; what each chapter found is also
written to DATA_DIR/story.json (for tests and for whoever scripts the demo).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.markup import escape

from interlock.contracts import VerifyOptions, verify_pacts
from interlock.demo.broker_chapter import tell_broker_chapter
from interlock.demo.incidents_chapter import IncidentsChapter
from interlock.demo.migrations_chapter import ThrowawayPostgres, check_proposals
from interlock.demo.resilience_chapter import tell_resilience_chapter
from interlock.demo.shop import STUB_PROCESS, DemoRun, find_shop
from interlock.demo.traffic import FaultTarget, Traffic, diagnose, restock
from interlock.telemetry import format_time

STORY_FILE = "story.json"
# Who calls whom in the shop: a provider verified with a stubbed dependency would test the stub.
DEPENDENCIES = {
    "gateway": ("inventory", "orders"),
    "orders": ("inventory", "payments"),
    "inventory": (),
    "payments": (),
}

Say = Callable[[str], None]
"""Prints one line of the story (Rich markup)."""


@dataclass(frozen=True)
class StoryTimings:
    """When chapter 5 injects its fault, for how long, and how long spans take to arrive."""

    fault_after_s: float = 20.0
    """Seconds of calm traffic (the RCA's baseline) before the fault."""
    fault_for_s: float = 15.0
    export_wait_s: float = 3.0
    """The services' export delay (1 s) and the server's write, with a margin."""


@dataclass(frozen=True)
class PairVerification:
    """One consumer-provider pair of the example pacts, verified (or skipped, and why)."""

    consumer: str
    provider: str
    passed: int
    total: int
    skipped: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.skipped and not self.error and self.passed == self.total

    def to_json(self) -> dict[str, Any]:
        return {
            "consumer": self.consumer,
            "provider": self.provider,
            "passed": self.passed,
            "total": self.total,
            "ok": self.ok,
            "skipped": self.skipped,
            "error": self.error,
        }


def verify_shop_pacts(run: DemoRun) -> list[PairVerification]:
    """Every example pact replayed against its running provider, states set by the provider."""
    results = []
    for pact in sorted((find_shop() / "pacts").glob("*.json")):
        consumer, provider = pact.stem.split("-", 1)
        stubbed = [s for s in (provider, *DEPENDENCIES.get(provider, ())) if s in run.stubbed]
        if stubbed:
            reason = f"{', '.join(stubbed)} stubbed"
            results.append(PairVerification(consumer, provider, 0, 0, skipped=reason))
            continue
        base = run.url(provider)
        try:
            report = verify_pacts([pact], VerifyOptions(provider, base, f"{base}/_pact/state"))
        except Exception as error:  # shown in the story instead of stopping the demo
            results.append(PairVerification(consumer, provider, 0, 0, error=str(error)))
            continue
        passed = sum(1 for r in report.results if r.status == "passed")
        results.append(PairVerification(consumer, provider, passed, len(report.results)))
    return results


@dataclass
class Story:
    """Chapters 1 to 5 told in a background thread; `stop()` ends it and cleans up."""

    run: DemoRun
    say: Say
    timings: StoryTimings = field(default_factory=StoryTimings)
    results: dict[str, Any] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _traffic: Traffic | None = None

    def __post_init__(self) -> None:
        self.postgres = ThrowawayPostgres(lambda path: self._record("postgres_dir", str(path)))
        self.story_file = self.run.data_dir / STORY_FILE
        self.incidents = IncidentsChapter(self.run.dashboard_url, self.run.data_dir, self._stop)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._tell, name="demo story", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the traffic and the throwaway PostgreSQL; wait (briefly) for the thread."""
        self._stop.set()
        if self._traffic is not None:
            self._traffic.stop()
        self.postgres.stop()
        self.incidents.stop()
        if self._thread is not None:
            self._thread.join(timeout=20)

    def _say(self, line: str) -> None:
        # Once Ctrl-C stops the story, a chapter cut short has nothing useful left to say.
        if not self._stop.is_set():
            self.say(line)

    def _record(self, key: str, value: Any) -> None:
        self.results[key] = value
        # Replaced whole, so that a reader never sees half a file.
        partial = self.story_file.with_suffix(".json.partial")
        partial.write_text(json.dumps(self.results, indent=2) + "\n")
        partial.replace(self.story_file)

    def _tell(self) -> None:
        dashboard = self.run.dashboard_url
        self._say(f"[bold]1[/] The map of the shop: {dashboard}/map")
        chapters: list[tuple[str, Callable[[], None]]] = [
            ("2", self._contracts),
            ("3", self._alone),
            ("5", self._start_traffic),
            ("4", self._migrations),
            ("7", self._broker),
            ("5", self._fault),
            ("6", self._incident),
            ("8", self._resilience),
        ]
        for number, chapter in chapters:
            if self._stop.is_set():
                return
            try:
                chapter()
            except Exception as error:  # one failed chapter must not end the demo
                if self._stop.is_set():
                    return
                self._say(
                    f"[bold]{number}[/] [red]failed:[/] {type(error).__name__}: {escape(str(error))}"
                )
        self._record("done", True)

    def _contracts(self) -> None:
        pairs = verify_shop_pacts(self.run)
        self._record("contracts", [p.to_json() for p in pairs])
        shown = []
        for p in pairs:
            if p.skipped:
                shown.append(f"{p.consumer}→{p.provider} [dim]skipped ({p.skipped})[/]")
            elif p.ok:
                shown.append(f"{p.consumer}→{p.provider} [green]✓ {p.passed}/{p.total}[/]")
            else:
                detail = escape(p.error) or f"{p.passed}/{p.total}"
                shown.append(f"{p.consumer}→{p.provider} [red]✗ {detail}[/]")
        self._say(
            f"[bold]2[/] Contracts verified against the running services: {', '.join(shown)}"
            f" — {self.run.dashboard_url}/contracts"
        )

    def _alone(self) -> None:
        if not self.run.stubbed:
            self._say(
                "[bold]3[/] To test gateway alone, run "
                "[cyan]interlock demo --stub orders,inventory[/]: its dependencies are "
                "then served by stubs made from the pacts"
            )
            self._record("alone", {"stubbed": []})
            return
        products = httpx.get(f"{self.run.url('gateway')}/products", timeout=10.0)
        self._record(
            "alone", {"stubbed": self.run.stubbed, "gateway_products": products.status_code}
        )
        source = "inventory's stub" if "inventory" in self.run.stubbed else "the real inventory"
        self._say(
            f"[bold]3[/] {', '.join(self.run.stubbed)} served by stubs from their pacts "
            f"({self.run.url(STUB_PROCESS)}); gateway's GET /products answered "
            f"{products.status_code} from {source}"
        )
        if "inventory" in self.run.stubbed and "orders" not in self.run.stubbed:
            self._say(
                "   note: orders reads inventory's database directly (its database contract), "
                "which no HTTP stub replaces: stub orders too to place orders"
            )

    def _start_traffic(self) -> None:
        if "inventory" not in self.run.stubbed:
            restock(self.run.url("inventory"))
        self._traffic = Traffic(self.run.url("gateway"))
        self._traffic.start()
        self._say(
            f"[bold]5[/] Traffic through gateway (~5 requests/s): traces and logs at "
            f"{self.run.dashboard_url}/traces, the live map at {self.run.dashboard_url}/traces/map"
        )

    def _migrations(self) -> None:
        checks = check_proposals(find_shop(), self.run.data_dir, self.postgres, self._say)
        self._record("migrations", [c.to_json() for c in checks])
        parts = []
        for check in checks:
            if check.safe:
                parts.append(f"{check.proposal} [green]passes[/]")
                continue
            caught = []
            if check.lint_errors:
                caught.append(f"lint: {', '.join(check.lint_errors)}")
            if check.broken_services:
                caught.append(f"impact: breaks {', '.join(check.broken_services)}")
            if check.dry_run_ok is False:
                caught.append("dry run: " + escape("; ".join(check.dry_run_problems) or "fails"))
            parts.append(f"{check.proposal} [red]caught[/] ({'; '.join(caught)})")
        self._say(
            f"[bold]4[/] inventory's migrations: {' · '.join(parts)} — "
            f"{self.run.dashboard_url}/migrations"
        )

    def _broker(self) -> None:
        broker = f"{self.run.dashboard_url}/broker"
        done, line = tell_broker_chapter(broker, find_shop(), self.results, self.run.dashboard_url)
        self._record("broker", done.to_json())
        self._say(line)

    def _resilience(self) -> None:
        found, lines = tell_resilience_chapter(self.run, self._stop)
        self._record("resilience", found.to_json())
        for line in lines:
            self._say(line)

    def _incident(self) -> None:
        if self.incidents.deployed_at is None:
            return  # no fault was injected
        found, line = self.incidents.tell()
        self._record("incident", found)
        self._say(line)

    def _fault(self) -> None:
        traffic = self._traffic
        if traffic is None:
            return
        if "orders" in self.run.stubbed:
            self._say("[bold]5[/] No fault injected: orders is stubbed, so payments is not called")
            return
        calm_until = traffic.started_ns + int(self.timings.fault_after_s * 1e9)
        if self._stop.wait(max(0.0, (calm_until - time.time_ns()) / 1e9)):
            return
        baseline = (traffic.started_ns + 1_000_000_000, time.time_ns())
        stub_admin = (
            f"{self.run.url(STUB_PROCESS)}/__admin" if "payments" in self.run.stubbed else None
        )
        target = FaultTarget(self.run.url("payments"), stub_admin)
        self.incidents.deploy_faulty_version()  # the change chapter 6 finds beside the incident
        start_ns = time.time_ns()
        what = target.inject()
        self._say(f"[bold]5[/] Fault injected: {what}")
        try:
            if self._stop.wait(self.timings.fault_for_s):
                return
            end_ns = time.time_ns()
        finally:
            if not self._stop.is_set():
                target.remove()
        if self._stop.wait(self.timings.export_wait_s):
            return
        result = diagnose(self.run.data_dir, start_ns, end_ns, *baseline)
        self._record("rca", {**result.to_json(), "traffic": traffic.counts.to_json()})
        if "payments" in self.run.stubbed:
            self._say(
                "   (payments is a stub and sends no spans: RCA sees it only in orders' calls)"
            )
        ranked = ", ".join(result.ranked[:3]) or "nobody"
        first = result.ranked[0] if result.ranked else "nobody"
        link = (
            f"{self.run.dashboard_url}/rca?start={format_time(start_ns)}&end={format_time(end_ns)}"
        )
        self._say(
            f"[bold]5[/] Root cause: [bold]{first}[/] first (ranked {ranked}; "
            f"{result.failed_traces} of {result.traces} traces failed or slow) — {link}"
        )
        if result.example_trace_id:
            self._say(
                f"   a failing trace: {self.run.dashboard_url}/traces/{result.example_trace_id}"
                " · fault removed, traffic goes on"
            )
