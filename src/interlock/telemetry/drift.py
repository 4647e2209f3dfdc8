"""Declared versus observed topology: catalog edges never seen, and calls never declared.

Names are joined through each catalog service's `telemetry_name` (its OpenTelemetry `service.name`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.catalog import (
    CatalogGraph,
    EdgeKind,
    Finding,
    NodeKind,
    Severity,
    Source,
    load_catalog,
)
from interlock.telemetry.queries import (
    ObservedEdge,
    observed_edges,
    open_store,
    parse_duration_s,
)
from interlock.telemetry.stores.interface import SpanStore

UNDECLARED = "observed-call-not-declared"
UNSEEN = "declared-call-not-observed"

_DB_EDGES = (EdgeKind.USES, EdgeKind.READS, EdgeKind.WRITES, EdgeKind.OWNS)


@dataclass(frozen=True)
class EdgeState:
    """One caller→callee pair (catalog names where known) and whether it is declared, seen, both."""

    caller: str
    callee: str
    callee_kind: str  # service | database | queue
    declared: bool
    observed: ObservedEdge | None
    declared_at: Source | None = None

    @property
    def status(self) -> str:
        if self.declared and self.observed:
            return "both"
        return "declared" if self.declared else "observed"

    def to_json(self) -> dict[str, Any]:
        seen = self.observed
        return {
            "caller": self.caller,
            "callee": self.callee,
            "callee_kind": self.callee_kind,
            "status": self.status,
            "declared_at": str(self.declared_at) if self.declared_at else None,
            "calls": seen.calls if seen else 0,
            "errors": seen.errors if seen else 0,
            "calls_per_minute": round(seen.calls_per_minute, 3) if seen else 0.0,
            "error_rate": round(seen.error_rate, 4) if seen else 0.0,
            "p50_ms": seen.p50_ms if seen else None,
            "p95_ms": seen.p95_ms if seen else None,
        }


@dataclass(frozen=True)
class DriftReport:
    """Every edge with its state, and the drift among them as catalog-style findings."""

    edges: list[EdgeState]
    findings: list[Finding] = field(default_factory=list)
    active_services: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "edges": [e.to_json() for e in self.edges],
            "findings": [f.to_json() for f in self.findings],
            "active_services": list(self.active_services),
        }


def telemetry_names(graph: CatalogGraph) -> dict[str, str]:
    """OpenTelemetry `service.name` → catalog service name."""
    return {
        str(node.attrs.get("telemetry_name") or node.name): node.name
        for node in graph.nodes(NodeKind.SERVICE)
    }


def declared_edges(graph: CatalogGraph) -> dict[tuple[str, str], tuple[str, Source | None]]:
    """Declared calls by (caller, callee) catalog names: service→service and service→database."""
    found: dict[tuple[str, str], tuple[str, Source | None]] = {}
    for edge in graph.edges(EdgeKind.CALLS):
        caller, callee = graph.node(edge.source), graph.node(edge.target)
        found.setdefault((caller.name, callee.name), ("service", edge.declared_at))
    for kind in _DB_EDGES:
        for edge in graph.edges(kind):
            caller, target = graph.node(edge.source), graph.node(edge.target)
            if caller.kind is not NodeKind.SERVICE:
                continue
            database = target.name
            if target.kind is NodeKind.TABLE:
                database = str(target.attrs.get("database") or target.name.split(".")[0])
            elif target.kind is not NodeKind.DATABASE:
                continue
            key = (caller.name, database)
            if kind is EdgeKind.OWNS:  # owning is not a promise to call within every window
                found.setdefault(key, ("owned-database", edge.declared_at))
            elif key not in found or found[key][0] == "owned-database":
                found[key] = ("database", edge.declared_at)
    return found


def compare_topology(
    graph: CatalogGraph, observed: Sequence[ObservedEdge], active: Sequence[str]
) -> DriftReport:
    """Join declared and observed edges; flag calls never declared, and declared calls of an
    active caller (one that sent spans in the window) never seen.

    A declared call of a service that sent nothing is not flagged: no traffic says nothing.
    """
    names = telemetry_names(graph)
    active_names = {names.get(s, s) for s in active}
    declared = declared_edges(graph)
    states: dict[tuple[str, str], EdgeState] = {}
    findings: list[Finding] = []
    for edge in observed:
        caller = names.get(edge.caller, edge.caller)
        callee = (
            names.get(edge.callee, edge.callee) if edge.callee_kind == "service" else edge.callee
        )
        known = declared.get((caller, callee))
        states[(caller, callee)] = EdgeState(
            caller, callee, edge.callee_kind, known is not None, edge, known[1] if known else None
        )
        if known is None:
            node = graph.get(NodeKind.SERVICE, caller)
            where = node.source if node and node.source else None
            findings.append(
                Finding(
                    UNDECLARED,
                    Severity.WARNING,
                    f"{caller} calls {edge.callee_kind} {callee} ({edge.calls} call"
                    f"{'' if edge.calls == 1 else 's'} observed) "
                    "but the catalog does not declare it",
                    where.file if where else "<observed traces>",
                    where.line if where else 0,
                    where.column if where else 0,
                )
            )
    for (caller, callee), (kind, source) in sorted(declared.items()):
        if (caller, callee) in states:
            continue
        callee_kind = "service" if kind == "service" else "database"
        states[(caller, callee)] = EdgeState(caller, callee, callee_kind, True, None, source)
        if kind == "owned-database" or caller not in active_names:
            continue
        findings.append(
            Finding(
                UNSEEN,
                Severity.WARNING,
                f"{caller} is declared to call {callee_kind} {callee} but no such call was "
                f"observed while {caller} was sending spans",
                source.file if source else "<catalog>",
                source.line if source else 0,
                source.column if source else 0,
            )
        )
    edges = sorted(states.values(), key=lambda e: (e.caller, e.callee))
    findings.sort(key=lambda f: (f.code, f.message))
    return DriftReport(edges, findings, tuple(sorted(active_names)))


def store_drift(
    graph: CatalogGraph, store: SpanStore, start_unix_nano: int, end_unix_nano: int
) -> DriftReport:
    """Drift between `graph` and what `store` saw in `[start, end)`."""
    edges = observed_edges(store, start_unix_nano, end_unix_nano)
    active = sorted({op.service for op in store.operations(None, start_unix_nano, end_unix_nano)})
    return compare_topology(graph, edges, active)


def observed_drift(
    graph: CatalogGraph, data_dir: Path, start_unix_nano: int, end_unix_nano: int
) -> DriftReport:
    """`store_drift` on the span store of `data_dir` (UserInputError when it has none)."""
    with open_store(data_dir) as store:
        return store_drift(graph, store, start_unix_nano, end_unix_nano)


def check_observed(
    catalog_dir: Path, data_dir: Path, window: str = "15m", now: float | None = None
) -> DriftReport:
    """Drift between the catalog under `catalog_dir` and the spans of `data_dir` over the
    `window` (a duration such as 15m) before now: for `catalog check --observed`."""
    end = int((time.time() if now is None else now) * 1_000_000_000)
    start = end - int(parse_duration_s(window) * 1_000_000_000)
    return observed_drift(load_catalog(catalog_dir).graph, data_dir, start, end)
