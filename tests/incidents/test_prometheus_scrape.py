"""`/metrics` read by the real Debian `prometheus` as a child process: it scrapes the live
server, and a PromQL query over its HTTP API returns Interlock's own RED figures."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from interlock.ports import free_port, wait_for_port

BINARY = "prometheus"
CONFIG = """\
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: interlock
    metrics_path: /metrics
    static_configs:
      - targets: ["{target}"]
"""


def _attribute(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "value": {"stringValue": value}}


def _calls(count: int, errors: int) -> dict[str, Any]:
    """OTLP JSON: checkout calling billing (which reports itself as billing-svc)."""
    now = time.time_ns()
    spans: dict[str, list[dict[str, Any]]] = {"checkout": [], "billing-svc": []}
    for n in range(count):
        trace, client = f"{n + 1:032x}", f"{n + 1:015x}a"
        start = now - 30 * 10**9 + n * 10**8
        times = {"traceId": trace, "startTimeUnixNano": str(start),
                 "endTimeUnixNano": str(start + 20_000_000)}  # fmt: skip
        status = {"code": 2} if n < errors else {}
        spans["checkout"].append(
            {**times, "spanId": client, "name": "POST /charge", "kind": 3, "status": status,
             "attributes": [_attribute("peer.service", "billing-svc")]}
        )  # fmt: skip
        spans["billing-svc"].append(
            {**times, "spanId": f"{n + 1:015x}b", "parentSpanId": client, "name": "POST /charge",
             "kind": 2, "status": status}
        )  # fmt: skip
    return {
        "resourceSpans": [
            {"resource": {"attributes": [_attribute("service.name", name)]},
             "scopeSpans": [{"spans": found}]}
            for name, found in spans.items()
        ]
    }  # fmt: skip


@pytest.fixture
def prometheus(live_server: str, tmp_path: Path) -> Iterator[str]:
    """Prometheus on a free port, scraping the live server's /metrics every second."""
    binary = shutil.which(BINARY)
    if binary is None:
        pytest.skip(f"{BINARY} not installed (Debian package prometheus)")
    config = tmp_path / "prometheus.yml"
    config.write_text(CONFIG.format(target=live_server.removeprefix("http://")))
    port = free_port()
    log = (tmp_path / "prometheus.log").open("w")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _query(prometheus: str, promql: str, want: float, timeout: float = 30.0) -> float:
    """The query's single value once it equals `want` (scrapes take a moment); else fail."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": promql}).json()
        result = answer["data"]["result"]
        if result:
            value = float(result[0]["value"][1])
            if value == want:
                return value
        time.sleep(0.5)
    raise AssertionError(f"{promql}: {value} after {timeout} s, expected {want}")


@pytest.mark.server
def test_prometheus_scrapes_metrics_and_promql_returns_interlocks_figures(
    live_server: str, prometheus: str
) -> None:
    """30 calls, 12 failed: the spanmetrics and servicegraph series say so, under the
    catalog's names (billing-svc in spans is billing in the catalog)."""
    httpx.post(f"{live_server}/v1/traces", json=_calls(30, 12)).raise_for_status()
    errors = 'sum(calls_total{service_name="billing",status_code="STATUS_CODE_ERROR"})'
    assert 12.0 == _query(prometheus, errors, 12.0)
    assert 30.0 == _query(prometheus, 'sum(calls_total{service_name="billing"})', 30.0)
    failed = 'traces_service_graph_request_failed_total{client="checkout",server="billing"}'
    assert 12.0 == _query(prometheus, failed, 12.0)
    ratio = (
        'sum(traces_service_graph_request_failed_total{server="billing"})'
        ' / sum(traces_service_graph_request_total{server="billing"})'
    )
    assert 0.4 == _query(prometheus, ratio, 0.4)
    up = httpx.get(f"{prometheus}/api/v1/query", params={"query": 'up{job="interlock"}'}).json()
    assert "1" == up["data"]["result"][0]["value"][1]
