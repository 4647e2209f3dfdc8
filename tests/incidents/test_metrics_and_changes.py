"""`/metrics` in the Prometheus exposition format from the span aggregates; change events
over HTTP on SQLite, and `record_change` on the real PostgreSQL."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from interlock.incidents import record_change
from interlock.store import create_engine_for, upgrade_database
from interlock.telemetry import Span, SpanKind, StatusCode

_MS = 1_000_000


def _trace(number: int, failed: bool) -> list[Span]:
    """web's server span, its client call, and checkout's server span (failing if `failed`)."""
    at = time.time_ns() - 5_000 * _MS
    trace_id = f"{number:032x}"
    root, call, child = (f"{3 * number + i:016x}" for i in range(3))
    status = StatusCode.ERROR if failed else StatusCode.UNSET
    peer = {"peer.service": "checkout"}
    return [
        Span(trace_id, root, None, "GET /", SpanKind.SERVER, at, at + 30 * _MS, "web", status),
        Span(
            trace_id,
            call,
            root,
            "POST",
            SpanKind.CLIENT,
            at + _MS,
            at + 25 * _MS,
            "web",
            status,
            attributes=peer,
        ),
        Span(
            trace_id,
            child,
            call,
            "POST /pay",
            SpanKind.SERVER,
            at + 2 * _MS,
            at + 20 * _MS,
            "checkout",
            status,
        ),
    ]


def test_metrics_exposes_red_per_operation_and_edge(app: FastAPI, client: httpx.Client) -> None:
    """calls_total per status, the duration histogram, and the service-graph counters parse."""
    store = app.state.span_store
    for number in range(1, 11):
        assert store.offer_spans(_trace(number, failed=number <= 3))
    store.flush(10)
    answer = client.get("/metrics")
    assert 200 == answer.status_code
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for line in answer.text.splitlines():
        if line.startswith("#"):
            continue
        found = re.fullmatch(r"([a-z_]+)\{(.*)\} (\S+)", line)
        assert found, line  # every sample line has the exposition format's shape
        labels = frozenset(re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', found.group(2)))
        samples[(found.group(1), labels)] = float(found.group(3))

    def value(name: str, **labels: str) -> Any:
        return next(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls)

    assert 3 == value(
        "calls_total",
        service_name="checkout",
        span_name="POST /pay",
        status_code="STATUS_CODE_ERROR",
    )
    assert 7 == value(
        "calls_total",
        service_name="checkout",
        span_name="POST /pay",
        status_code="STATUS_CODE_UNSET",
    )
    assert 10 == value("duration_milliseconds_bucket", service_name="web", le="+Inf")
    assert 10 == value("traces_service_graph_request_total", client="web", server="checkout")
    assert 3 == value("traces_service_graph_request_failed_total", client="web", server="checkout")


def test_changes_api_records_and_refuses_with_the_place(client: httpx.Client) -> None:
    """POST /api/changes stores a flag change; a bad kind or field is a 422 naming it."""
    made = client.post(
        "/api/changes", json={"service": "billing", "kind": "flag", "summary": "new-pricing on"}
    )
    assert 201 == made.status_code, made.text
    assert ["flag"] == [c["kind"] for c in client.get("/api/changes").json()]
    bad = client.post("/api/changes", json={"service": "billing", "kind": "reboot"})
    assert 422 == bad.status_code
    assert "kind 'reboot': expected one of deploy, migration, config, flag" == bad.json()["detail"]
    unknown = client.post(
        "/api/changes", json={"service": "billing", "kind": "deploy", "when": "now"}
    )
    assert unknown.json()["detail"].startswith("$.when: unknown field")


@pytest.mark.postgres
def test_record_change_on_postgres_accepts_every_kind(postgres: Any) -> None:
    """After the migration, PostgreSQL takes deploy, config, migration and flag."""
    url = postgres.create_database("incident_changes")
    upgrade_database(url)
    engine = create_engine_for(url)
    try:
        kinds = [
            record_change(engine, service="billing", kind=k).kind
            for k in ("deploy", "config", "migration", "flag")
        ]
    finally:
        engine.dispose()
    assert ["deploy", "config", "migration", "flag"] == kinds
