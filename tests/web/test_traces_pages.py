"""The telemetry pages and their JSON twins, fed through the real OTLP/HTTP intake (JSON)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

TRACE_OK = "0af7651916cd43dd8448eb211c80319c"
TRACE_FAILED = "4bf92f3577b34da6a3ce929d0e0e4736"
MS = 1_000_000


def _attributes(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": {"stringValue": str(v)}} for k, v in values.items()]


def _span(
    trace: str,
    span: str,
    parent: str,
    service: str,
    name: str,
    kind: int,
    start_ms: float,
    end_ms: float,
    t0: int,
    error: bool = False,
    **attributes: Any,
) -> tuple[str, dict[str, Any]]:
    body: dict[str, Any] = {
        "traceId": trace,
        "spanId": span,
        "parentSpanId": parent,
        "name": name,
        "kind": kind,
        "startTimeUnixNano": str(t0 + int(start_ms * MS)),
        "endTimeUnixNano": str(t0 + int(end_ms * MS)),
        "attributes": _attributes({k.replace("_", "."): v for k, v in attributes.items()}),
        "status": {"code": 2, "message": "card declined"} if error else {},
    }
    return service, body


def shop_trace(trace: str, t0: int, failed: bool) -> list[tuple[str, dict[str, Any]]]:
    """storefront-web → stock → stockdb, and storefront-web → payments (undeclared)."""
    p = trace[:8]
    return [
        _span(trace, p + "00000001", "", "storefront-web", "GET /", 2, 0, 120, t0, failed),
        _span(
            trace,
            p + "00000002",
            p + "00000001",
            "storefront-web",
            "GET",
            3,
            5,
            60,
            t0,
            peer_service="stock",
        ),
        _span(trace, p + "00000003", p + "00000002", "stock", "GET /items", 2, 8, 58, t0),
        _span(
            trace,
            p + "00000004",
            p + "00000003",
            "stock",
            "SELECT stockdb.items",
            3,
            10,
            50,
            t0,
            db_system="postgresql",
            db_name="stockdb",
            db_statement="SELECT id FROM items WHERE id = 7",
        ),
        _span(
            trace,
            p + "00000005",
            p + "00000001",
            "storefront-web",
            "POST",
            3,
            62,
            115,
            t0,
            failed,
            peer_service="payments",
        ),
        _span(
            trace,
            p + "00000006",
            p + "00000005",
            "payments",
            "POST /charge",
            2,
            64,
            112,
            t0,
            failed,
        ),
    ]


def otlp_traces(spans: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    by_service: dict[str, list[dict[str, Any]]] = {}
    for service, span in spans:
        by_service.setdefault(service, []).append(span)
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": _attributes({"service.name": service})},
                "scopeSpans": [{"scope": {"name": "tests"}, "spans": found}],
            }
            for service, found in by_service.items()
        ]
    }


def otlp_log(trace: str, span: str, service: str, body: str, t0: int) -> dict[str, Any]:
    return {
        "resourceLogs": [
            {
                "resource": {"attributes": _attributes({"service.name": service})},
                "scopeLogs": [
                    {
                        "logRecords": [
                            {
                                "timeUnixNano": str(t0 + 20 * MS),
                                "severityNumber": 17,
                                "severityText": "ERROR",
                                "body": {"stringValue": body},
                                "traceId": trace,
                                "spanId": span,
                            }
                        ]
                    }
                ],
            }
        ]
    }


@pytest.fixture
def traced(client: httpx.Client, app: FastAPI) -> httpx.Client:
    """Two shop traces (one failing in payments) and a log line, in through POST /v1/traces."""
    t0 = time.time_ns() - 5_000 * MS
    spans = shop_trace(TRACE_OK, t0, False) + shop_trace(TRACE_FAILED, t0 + 1_000 * MS, True)
    assert 200 == client.post("/v1/traces", json=otlp_traces(spans)).status_code
    log = otlp_log(TRACE_FAILED, TRACE_FAILED[:8] + "00000006", "payments", "card declined", t0)
    assert 200 == client.post("/v1/logs", json=log).status_code
    assert app.state.span_store.flush(timeout=10)
    return client


def test_search_finds_traces_by_service_and_status(traced: httpx.Client) -> None:
    everything = traced.get("/api/traces").json()["traces"]
    assert [TRACE_FAILED, TRACE_OK] == [t["trace_id"] for t in everything]
    failed = traced.get("/api/traces", params={"status": "error"}).json()["traces"]
    assert [TRACE_FAILED] == [t["trace_id"] for t in failed]
    by_attribute = traced.get("/api/traces", params={"attribute": "db.statement~FROM items"})
    assert 2 == len(by_attribute.json()["traces"])
    slow = traced.get("/api/traces", params={"service": "stock", "min_ms": "1000"})
    assert [] == slow.json()["traces"]


def test_a_malformed_search_is_a_400_naming_the_field(traced: httpx.Client) -> None:
    answer = traced.get("/api/traces", params={"min_ms": "fast"})
    assert 400 == answer.status_code
    assert "min_ms 'fast': expected a number of milliseconds" == answer.json()["detail"]
    page = traced.get("/traces", params={"status": "broken"})
    assert 400 == page.status_code
    assert "expected error, ok or unset" in page.text


def test_the_search_page_draws_a_scatter_linking_each_trace(traced: httpx.Client) -> None:
    page = traced.get("/traces")
    assert 200 == page.status_code
    assert f'<a href="/traces/{TRACE_FAILED}" class="dot"' in page.text
    assert f'<a href="/traces/{TRACE_OK}" class="dot"' in page.text
    assert "time (UTC)" in page.text


def test_the_trace_json_nests_spans_with_self_time_and_logs(traced: httpx.Client) -> None:
    view = traced.get(f"/api/traces/{TRACE_FAILED}").json()
    spans = view["spans"]
    assert [0, 1, 2, 3, 1, 2] == [s["depth"] for s in spans]
    assert ["GET /", "GET", "GET /items", "SELECT stockdb.items", "POST", "POST /charge"] == [
        s["name"] for s in spans
    ]
    items = spans[2]
    assert 10.0 == pytest.approx(items["self_ms"], abs=0.01)  # 50 ms less its 40 ms query
    charge = spans[5]
    assert ["card declined"] == [line["body"] for line in charge["logs"]]
    assert charge["root_cause"] is True
    assert "payments" == view["diagnosis"]["culprit"]["service"]


def test_the_trace_page_shows_the_waterfall_and_diagnosis(traced: httpx.Client) -> None:
    page = traced.get(f"/traces/{TRACE_FAILED}")
    assert 200 == page.status_code
    assert 6 == page.text.count('<details class="span-row')
    assert "Probable root cause: <strong>payments</strong>" in page.text
    assert "card declined" in page.text


def test_an_unknown_or_malformed_trace_id(traced: httpx.Client) -> None:
    assert 404 == traced.get("/api/traces/" + "0" * 32).status_code
    assert 400 == traced.get("/api/traces/xyz").status_code
    assert 404 == traced.get("/traces/" + "0" * 32).status_code


def test_the_live_map_shows_observed_edges_and_drift(traced: httpx.Client) -> None:
    data = traced.get("/api/traces/map").json()
    edges = {(e["caller"], e["callee"]): e for e in data["edges"]}
    assert "both" == edges[("storefront", "stock")]["status"]  # telemetry name mapped back
    assert "observed" == edges[("storefront", "payments")]["status"]
    assert 0.5 == edges[("storefront", "payments")]["error_rate"]
    assert "both" == edges[("stock", "stockdb")]["status"]
    assert [
        (
            "declared-call-not-observed",
            "storefront is declared to call database stockdb but no such call was observed "
            "while storefront was sending spans",
        ),
        (
            "observed-call-not-declared",
            "storefront calls service payments (2 calls observed) but the catalog does not "
            "declare it",
        ),
    ] == [(f["code"], f["message"]) for f in data["findings"]]
    page = traced.get("/traces/map")
    assert 200 == page.status_code
    assert 'data-caller="storefront" data-callee="payments"' in page.text


def test_the_red_page_charts_a_service_under_its_telemetry_name(traced: httpx.Client) -> None:
    data = traced.get("/api/services/storefront/red", params={"window": "15m"}).json()
    assert "storefront-web" == data["telemetry_name"]
    assert 15 == len(data["series"])
    assert 6 == data["calls"]
    assert 2 == data["errors"]
    page = traced.get("/services/storefront/red?window=1h")
    assert 200 == page.status_code
    assert 3 == page.text.count('class="chart line"')
    assert 400 == traced.get("/api/services/storefront/red?window=2d").status_code


def test_the_rca_page_ranks_the_failing_service_first(traced: httpx.Client) -> None:
    data = traced.get("/api/rca", params={"since": "15m"}).json()
    assert 1 == data["failed_traces"]
    assert "payments" == data["services"][0]["service"]
    page = traced.get("/rca?since=15m")
    assert 200 == page.status_code
    assert f'href="/traces/{TRACE_FAILED}"' in page.text


def test_the_service_page_links_its_telemetry(client: httpx.Client) -> None:
    page = client.get("/services/storefront").text
    assert 'href="/services/storefront/red"' in page
    assert 'href="/traces?service=storefront-web"' in page


def test_a_malformed_rca_window_is_a_400(client: httpx.Client) -> None:
    assert 400 == client.get("/rca?since=soon").status_code
    answer = client.get(
        "/api/rca", params={"start": "2026-11-26T14:00:00Z", "end": "2026-11-26T13:00:00Z"}
    )
    assert 400 == answer.status_code
    assert "expected the end after the start" in answer.json()["detail"]


def test_the_rca_ranking_links_each_suspect_and_explains_its_score(traced: httpx.Client) -> None:
    """Each suspect links its traces in the window, its RED page, its log templates and an
    example; only suspects with a score are listed; the score is explained."""
    data = traced.get("/api/rca", params={"since": "15m"}).json()
    assert all(s["score"] > 0 for s in data["ranking"])
    top = data["ranking"][0]
    assert ("payments", "service") == (top["name"], top["kind"])
    links = top["links"]
    assert links["traces"].startswith("/traces?service=payments&start=")
    assert ("/services/payments/red", f"/traces/{TRACE_FAILED}") == (
        links["red"],
        links["example_trace"],
    )
    assert links["logs"].startswith("/services/payments/logs?start=")
    found = traced.get("/api" + links["traces"]).json()["traces"]
    assert [TRACE_FAILED, TRACE_OK] == [t["trace_id"] for t in found]  # both reach payments
    page = traced.get("/rca?since=15m").text
    assert 'data-suspect="payments"' in page
    assert 'class="traces-link" href="/traces?service=payments&amp;start=' in page
    assert 'class="logs-link" href="/services/payments/logs?start=' in page
    assert "strongest evidence plus a quarter of its next five" in page
    assert "Window share" in page
    assert "ochiai" not in page.lower()


def test_the_rca_page_says_what_to_do_without_a_baseline(traced: httpx.Client) -> None:
    """The window before holds nothing: the page says so and how to choose a baseline."""
    data = traced.get("/api/rca", params={"since": "15m"}).json()
    assert data["advice"].startswith("No traces in the baseline window")
    assert "Choose a baseline" in traced.get("/rca?since=15m").text
    window = data["window"]
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(window["start_unix_nano"] / 1e9))
    end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(window["end_unix_nano"] / 1e9 + 1))
    given = {"start": start, "end": end, "baseline_start": start, "baseline_end": end}
    assert traced.get("/api/rca", params=given).json()["advice"] is None
    lone = traced.get("/api/rca", params={"baseline_start": start})
    assert (400, "baseline_start and baseline_end go together") == (
        lone.status_code,
        lone.json()["detail"],
    )


def _log_records(service: str, records: list[tuple[int, int, str]]) -> dict[str, Any]:
    """OTLP/JSON logs without a trace: (time, severity number, body) each."""
    logs = [
        {"timeUnixNano": str(t), "severityNumber": n, "body": {"stringValue": body}}
        for t, n, body in records
    ]
    resource = {"attributes": _attributes({"service.name": service})}
    return {"resourceLogs": [{"resource": resource, "scopeLogs": [{"logRecords": logs}]}]}


def test_the_log_templates_page_counts_each_template_in_the_window_and_before(
    client: httpx.Client, app: FastAPI
) -> None:
    """Messages that differ in numbers share a template; a new error template comes first."""
    now = time.time_ns()
    before, during = now - 20 * 60_000 * MS, now - 60_000 * MS
    records = [(before + i * MS, 9, f"charge {100 + i} ok") for i in range(3)]
    records += [(during, 9, "charge 7 ok"), (during + MS, 9, "charge 8 ok")]
    records += [(during + (2 + i) * MS, 17, f"card {i} declined: limit") for i in range(2)]
    assert 200 == client.post("/v1/logs", json=_log_records("payments", records)).status_code
    assert app.state.span_store.flush(timeout=10)
    data = client.get("/api/services/payments/logs", params={"since": "15m"}).json()
    assert [("card <*> declined limit", "error", 0, 2, "new"), ("charge <*> ok", "info", 3, 2, "same")] == [
        (t["template"], t["level"], t["baseline"], t["window"], t["change"])
        for t in data["templates"]
    ]  # fmt: skip
    page = client.get("/services/payments/logs?since=15m")
    assert 200 == page.status_code
    assert "<code>card &lt;*&gt; declined limit</code>" in page.text
    assert 'href="/api/services/payments/logs?since=15m"' in page.text


def test_the_red_page_charts_cpu_and_memory_from_the_metrics_intake(
    client: httpx.Client,
) -> None:
    """Gauges sent to /v1/metrics come back per minute on the service's RED page and twin."""
    now = time.time_ns()
    points = [(now - m * 60_000 * MS, 0.2 + m / 100) for m in range(1, 4)]
    gauges = [
        ("process.cpu.utilization", "1", points),
        ("process.memory.usage", "By", [(t, 300 * 1024 * 1024.0) for t, _ in points]),
    ]
    metrics = [
        {
            "name": name,
            "unit": unit,
            "gauge": {"dataPoints": [{"timeUnixNano": str(t), "asDouble": v} for t, v in values]},
        }
        for name, unit, values in gauges
    ]
    resource = {"attributes": _attributes({"service.name": "storefront-web"})}
    body = {"resourceMetrics": [{"resource": resource, "scopeMetrics": [{"metrics": metrics}]}]}
    assert 200 == client.post("/v1/metrics", json=body).status_code
    data = client.get("/api/services/storefront/red", params={"window": "15m"}).json()
    resources = {r["kind"]: r for r in data["resources"]}
    assert {"cpu", "memory"} == set(resources)
    cpu = [p["value"] for p in resources["cpu"]["series"] if p["value"] is not None]
    assert [0.23, 0.22, 0.21] == pytest.approx(cpu)
    page = client.get("/services/storefront/red?window=15m").text
    assert 5 == page.count('class="chart line"')  # rate, errors, duration, CPU, memory
    assert "CPU %" in page and "MiB" in page
