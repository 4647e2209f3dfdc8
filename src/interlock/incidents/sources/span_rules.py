"""Rules over the span aggregates: each service's (and each service-to-service edge's)
error rate and p95 in the last few minutes against its own baseline before them.

The baseline of a firing rule is kept from the moment it fired, so a long incident does
not become its own baseline and resolve itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from interlock.incidents.config import RuleThresholds
from interlock.incidents.model import AlertIn
from interlock.telemetry import LATENCY_BUCKETS_MS, SpanStore, quantile_ms

_NS = 1_000_000_000
MIN_ERRORS = 3  # one or two failed requests are not an incident, whatever the rate


@dataclass
class Tally:
    """Calls, errors and a latency histogram summed over minutes."""

    calls: int = 0
    errors: int = 0
    histogram: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS_MS) + 1))

    def add(self, calls: int, errors: int, histogram: Iterable[int]) -> None:
        self.calls += calls
        self.errors += errors
        for index, count in enumerate(histogram):
            if index < len(self.histogram):
                self.histogram[index] += count

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0

    @property
    def p95_ms(self) -> float:
        return quantile_ms(self.histogram, 0.95) if self.calls else 0.0


@dataclass(frozen=True)
class Baseline:
    """What is usual for a service or edge: its error rate and p95 (None without calls)."""

    error_rate: float
    p95_ms: float | None


@dataclass(frozen=True)
class Breach:
    """One rule broken now: which, where, by how much."""

    rule: str  # error_rate | latency
    service: str  # the catalog service the alert is about (an edge's callee)
    client: str | None  # the caller, for an edge
    value: float
    baseline: Baseline
    threshold: float
    calls: int

    @property
    def fingerprint(self) -> str:
        where = f"edge:{self.client}->{self.service}" if self.client else f"service:{self.service}"
        return f"rule:{self.rule}:{where}"


@dataclass(frozen=True)
class Figures:
    """Window and baseline tallies of every service and every service-to-service edge."""

    services: dict[str, tuple[Tally, Tally]]
    edges: dict[tuple[str, str], tuple[Tally, Tally]]


def read_figures(
    store: SpanStore,
    catalog_name: Callable[[str], str],
    now: datetime,
    window_s: float,
    baseline_s: float,
) -> Figures:
    """Two reads of the per-minute aggregates: the window and the baseline just before."""
    end = now.timestamp()
    split = int(end - window_s) // 60 * 60  # whole minutes: the aggregates are per minute
    start = split - baseline_s
    services: dict[str, tuple[Tally, Tally]] = {}
    for row in store.operations(None, int(start * _NS), int(end * _NS) + _NS):
        pair = services.setdefault(catalog_name(row.service), (Tally(), Tally()))
        pair[0 if row.minute_unix >= split else 1].add(row.calls, row.errors, row.histogram)
    edges: dict[tuple[str, str], tuple[Tally, Tally]] = {}
    for edge in store.edges(int(start * _NS), int(end * _NS) + _NS):
        if edge.callee_kind != "service":
            continue
        key = (catalog_name(edge.caller), catalog_name(edge.callee))
        if key[0] == key[1]:
            continue
        pair = edges.setdefault(key, (Tally(), Tally()))
        pair[0 if edge.minute_unix >= split else 1].add(edge.calls, edge.errors, edge.histogram)
    return Figures(services, edges)


def baseline_of(tally: Tally, thresholds: RuleThresholds) -> Baseline:
    """The baseline figures; no p95 from fewer than `min_calls` calls."""
    return Baseline(tally.error_rate, tally.p95_ms if tally.calls >= thresholds.min_calls else None)


def breaches(
    service: str,
    client: str | None,
    window: Tally,
    baseline: Baseline,
    thresholds: RuleThresholds,
) -> list[Breach]:
    """The rules `window` breaks against `baseline`."""
    if window.calls < thresholds.min_calls:
        return []
    found = []
    rate_limit = baseline.error_rate + thresholds.error_rate_increase
    if thresholds.error_rate is not None:
        rate_limit = min(rate_limit, thresholds.error_rate)
    if window.errors >= MIN_ERRORS and window.error_rate >= rate_limit:
        found.append(
            Breach(
                "error_rate", service, client, window.error_rate, baseline, rate_limit, window.calls
            )
        )
    limits = []
    if baseline.p95_ms is not None:
        limits.append(baseline.p95_ms * thresholds.p95_factor)
    if thresholds.p95_ms is not None:
        limits.append(thresholds.p95_ms)
    if limits and window.p95_ms >= min(limits):
        found.append(
            Breach("latency", service, client, window.p95_ms, baseline, min(limits), window.calls)
        )
    return found


@dataclass
class _Firing:
    since: datetime
    baseline: Baseline
    breach: Breach


@dataclass
class RuleEngine:
    """Evaluates the rules on each call and remembers what fires, to resolve it later."""

    thresholds_for: Callable[[str], RuleThresholds]
    window_s: float = 120.0
    baseline_s: float = 1800.0
    _firing: dict[str, _Firing] = field(default_factory=dict)

    def evaluate(self, figures: Figures, now: datetime | None = None) -> list[AlertIn]:
        """Firing alerts for every breach (repeats refresh them) and resolved ones for the
        rules that no longer break."""
        moment = now or datetime.now(UTC)
        found: dict[str, Breach] = {}
        targets: list[tuple[str, str | None, Tally, Tally]] = [
            (name, None, window, before) for name, (window, before) in figures.services.items()
        ]
        targets += [
            (callee, caller, window, before)
            for (caller, callee), (window, before) in figures.edges.items()
        ]
        for service, client, window, before in targets:
            thresholds = self.thresholds_for(service)
            usual = baseline_of(before, thresholds)
            for rule in ("error_rate", "latency"):
                key = Breach(rule, service, client, 0, usual, 0, 0).fingerprint
                kept = self._firing.get(key)
                for breach in breaches(
                    service, client, window, kept.baseline if kept else usual, thresholds
                ):
                    if breach.rule == rule:
                        found[key] = breach
        alerts = []
        for key, breach in found.items():
            kept = self._firing.setdefault(key, _Firing(moment, breach.baseline, breach))
            kept.breach = breach
            alerts.append(_alert(breach, "firing", kept.since, None))
        for key in [k for k in self._firing if k not in found]:
            gone = self._firing.pop(key)
            alerts.append(_alert(gone.breach, "resolved", gone.since, moment))
        return alerts


_NAMES = {
    ("error_rate", False): "HighErrorRate",
    ("latency", False): "HighLatency",
    ("error_rate", True): "EdgeErrorRate",
    ("latency", True): "EdgeLatency",
}


def _alert(breach: Breach, status: str, since: datetime, ended: datetime | None) -> AlertIn:
    name = _NAMES[(breach.rule, breach.client is not None)]
    where = f"{breach.client} → {breach.service}" if breach.client else breach.service
    if breach.rule == "error_rate":
        usual = f"usual {breach.baseline.error_rate:.1%}"
        summary = f"{where}: error rate {breach.value:.1%} ({usual}, limit {breach.threshold:.1%})"
    else:
        usual = f"usual {breach.baseline.p95_ms:g} ms" if breach.baseline.p95_ms else "no baseline"
        summary = f"{where}: p95 {breach.value:g} ms ({usual}, limit {breach.threshold:g} ms)"
    labels = {"alertname": name, "service": breach.service, "rule": breach.rule}
    if breach.client:
        labels.update(client=breach.client, server=breach.service)
    return AlertIn(
        source="rule",
        name=name,
        status=status,
        starts_at=since,
        ends_at=ended,
        fingerprint=breach.fingerprint,
        labels=labels,
        severity="error" if breach.rule == "error_rate" else "warning",
        summary=summary + f" over {breach.calls} calls",
        service=breach.service,
        generator_url=f"/services/{breach.service}/red",
    )
