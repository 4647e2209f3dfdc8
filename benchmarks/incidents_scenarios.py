"""The fixed scenario suite of benchmarks/incidents.py, written before any tuning and kept.

Two systems: the example shop (its catalog under examples/shop) and a generated catalog of
60 services (`generate_catalog(seed=7)`). A fault in one service fires its own alerts first
(the span rules' error rate and edge alerts, a team's Alertmanager rule), then, hop by hop,
alerts on the services that call it (each with probability 0.85, 15-45 s later per hop,
up to two hops). Background noise: four unrelated alerts per scenario on services the
faults do not reach, at any time in the 20 minutes around the fault, some of them flapping.

Scenarios: 10 single faults on the shop (every service as an origin, in turn), 10 single
faults on the generated system, 10 pairs of unrelated faults at once on the generated
system (origins at least five hops apart, whose callers within two hops do not meet).
Every random choice comes from `random.Random(2026 + index)`.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
HOP_DELAY_S = (15.0, 45.0)
HOP_PROBABILITY = 0.85
MAX_HOPS = 2
NOISE = 4
NOISE_NAMES = ("DiskAlmostFull", "CertificateExpiresSoon", "PodRestarted", "QueueBacklog")
SOURCES = ("alertmanager", "grafana", "plain")


@dataclass(frozen=True)
class ScenarioAlert:
    """One alert of a scenario, and the group it truly belongs to (fault id or noise id)."""

    at: datetime
    service: str
    name: str
    source: str
    truth: str
    resolves_after_s: float | None = None


@dataclass
class Scenario:
    """A system's call graph, its faults' origins and the alerts they (and the noise) fire."""

    name: str
    system: str  # shop | generated
    origins: list[str]
    alerts: list[ScenarioAlert] = field(default_factory=list)


def callers_of(calls: dict[str, set[str]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for caller, callees in calls.items():
        for callee in callees:
            found.setdefault(callee, set()).add(caller)
    return found


def distance(calls: dict[str, set[str]], a: str, b: str) -> int:
    """Hops between two services over calls taken either way (a large number when apart)."""
    both: dict[str, set[str]] = {}
    for caller, callees in calls.items():
        for callee in callees:
            both.setdefault(caller, set()).add(callee)
            both.setdefault(callee, set()).add(caller)
    seen = {a: 0}
    queue = deque([a])
    while queue:
        node = queue.popleft()
        if node == b:
            return seen[node]
        for nxt in both.get(node, ()):
            if nxt not in seen:
                seen[nxt] = seen[node] + 1
                queue.append(nxt)
    return 99


def upstream(calls: dict[str, set[str]], origin: str, depth: int) -> dict[str, int]:
    """`origin` at 0 and the services that call it, up to `depth` hops."""
    callers = callers_of(calls)
    found = {origin: 0}
    frontier = [origin]
    for hop in range(1, depth + 1):
        frontier = [c for s in frontier for c in callers.get(s, ()) if c not in found]
        for caller in frontier:
            found[caller] = hop
    return found


def fault_alerts(
    rng: random.Random, calls: dict[str, set[str]], origin: str, start: datetime, truth: str
) -> list[ScenarioAlert]:
    """The origin's alerts, then its callers' hop by hop (some callers stay quiet)."""
    out = [
        ScenarioAlert(start, origin, "HighErrorRate", "rule", truth),
        ScenarioAlert(start + timedelta(seconds=rng.uniform(2, 10)), origin, "EdgeErrorRate", "rule", truth),
        ScenarioAlert(start + timedelta(seconds=rng.uniform(20, 60)), origin, "ErrorBudgetBurn", "alertmanager", truth),
    ]  # fmt: skip
    reached = {origin: start}
    for service, hop in sorted(
        upstream(calls, origin, MAX_HOPS).items(), key=lambda x: (x[1], x[0])
    ):
        if hop == 0:
            continue
        if rng.random() > HOP_PROBABILITY:
            continue
        callee_times = [reached[c] for c in calls.get(service, ()) if c in reached]
        if not callee_times:
            continue  # the caller it goes through stayed quiet: no visible symptom
        at = min(callee_times) + timedelta(seconds=rng.uniform(*HOP_DELAY_S))
        reached[service] = at
        out.append(ScenarioAlert(at, service, "HighErrorRate", rng.choice(SOURCES), truth))
        if rng.random() < 0.5:
            out.append(
                ScenarioAlert(at + timedelta(seconds=rng.uniform(1, 20)), service, "HighLatency", "rule", truth)
            )  # fmt: skip
    return out


def noise_alerts(
    rng: random.Random, services: list[str], avoid: set[str], start: datetime, index: int
) -> list[ScenarioAlert]:
    quiet = [s for s in services if s not in avoid] or services
    out = []
    for n in range(NOISE):
        at = start + timedelta(seconds=rng.uniform(-600, 600))
        flaps = rng.random() < 0.5
        out.append(
            ScenarioAlert(
                at, rng.choice(quiet), rng.choice(NOISE_NAMES), rng.choice(SOURCES),
                f"noise-{index}-{n}", 30.0 if flaps else None,
            )
        )  # fmt: skip
    return out


def suite(shop_calls: dict[str, set[str]], generated_calls: dict[str, set[str]]) -> list[Scenario]:
    """The 30 scenarios, in a fixed order."""
    scenarios = []
    shop_services = sorted(set(shop_calls) | {c for cs in shop_calls.values() for c in cs})
    gen_services = sorted(set(generated_calls) | {c for cs in generated_calls.values() for c in cs})
    # origins with at least one caller, so the fault breaks something upstream
    gen_callers = callers_of(generated_calls)
    breaking = [s for s in gen_services if s in gen_callers]
    for index in range(10):
        rng = random.Random(2026 + index)
        origin = ("payments", "inventory", "orders", "gateway")[index % 4]
        scenario = Scenario(f"shop-{index + 1}-{origin}", "shop", [origin])
        scenario.alerts = fault_alerts(rng, shop_calls, origin, T0, "fault-0")
        avoid = set(upstream(shop_calls, origin, MAX_HOPS))
        scenario.alerts += noise_alerts(rng, shop_services, avoid, T0, index)
        scenarios.append(scenario)
    for index in range(10, 20):
        rng = random.Random(2026 + index)
        origin = rng.choice(breaking)
        scenario = Scenario(f"generated-{index - 9}-{origin}", "generated", [origin])
        scenario.alerts = fault_alerts(rng, generated_calls, origin, T0, "fault-0")
        avoid = set(upstream(generated_calls, origin, MAX_HOPS))
        scenario.alerts += noise_alerts(rng, gen_services, avoid, T0, index)
        scenarios.append(scenario)
    for index in range(20, 30):
        rng = random.Random(2026 + index)
        first, second = _far_pair(rng, generated_calls, breaking)
        scenario = Scenario(
            f"two-faults-{index - 19}-{first}+{second}", "generated", [first, second]
        )
        scenario.alerts = fault_alerts(rng, generated_calls, first, T0, "fault-0")
        later = T0 + timedelta(seconds=rng.uniform(0, 90))
        scenario.alerts += fault_alerts(rng, generated_calls, second, later, "fault-1")
        avoid = set(upstream(generated_calls, first, MAX_HOPS)) | set(
            upstream(generated_calls, second, MAX_HOPS)
        )
        scenario.alerts += noise_alerts(rng, gen_services, avoid, T0, index)
        scenarios.append(scenario)
    return scenarios


def _far_pair(
    rng: random.Random, calls: dict[str, set[str]], candidates: list[str]
) -> tuple[str, str]:
    """Two origins at least five hops apart whose callers do not meet; when the system has
    none after 500 draws, the farthest apart of those drawn (the output says so)."""
    best: tuple[tuple[bool, int], str, str] | None = None
    for _ in range(500):
        first, second = rng.sample(candidates, 2)
        cone_a = set(upstream(calls, first, MAX_HOPS))
        cone_b = set(upstream(calls, second, MAX_HOPS))
        near = any(distance(calls, a, b) <= 1 for a in cone_a for b in cone_b)
        hops = distance(calls, first, second)
        if hops >= 5 and not near:
            return first, second
        key = (not near, hops)
        if best is None or key > best[0]:
            best = (key, first, second)
    assert best is not None
    return best[1], best[2]
