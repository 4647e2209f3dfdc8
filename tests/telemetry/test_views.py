"""The data behind the telemetry pages: waterfall rows, the search form, drift, RED, charts."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from interlock.catalog import layout, load_catalog
from interlock.errors import UserInputError
from interlock.telemetry import (
    LogRecord,
    ObservedEdge,
    SearchForm,
    Span,
    SpanKind,
    SQLiteSpanStore,
    StatusCode,
    TelemetrySettings,
    TraceSummary,
    compare_topology,
    rca_trace,
    service_red,
    waterfall,
)
from interlock.telemetry.drift import DriftReport, EdgeState
from interlock.telemetry.views.charts import line_chart_svg, scatter_svg
from interlock.telemetry.views.live_map import map_graph, widen_gaps
from interlock.telemetry.views.traces import nice_step, time_ticks

MS = 1_000_000
T0 = 1_790_000_000 * 1_000_000_000
TRACE = "ab" * 16

CATALOG = """\
apiVersion: interlock/v1
kind: Service
name: web
telemetryName: web-frontend
calls: [api]
---
apiVersion: interlock/v1
kind: Service
name: api
databases:
  apidb:
    tables:
      items: [id]
---
apiVersion: interlock/v1
kind: Service
name: batch
calls: [api]
"""


def span(
    span_id: str,
    parent: str | None,
    service: str,
    name: str,
    start_ms: float,
    end_ms: float,
    kind: SpanKind = SpanKind.SERVER,
    error: bool = False,
    start: int = T0,
    trace_id: str = TRACE,
    **attributes: str,
) -> Span:
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=name,
        kind=kind,
        start_unix_nano=start + int(start_ms * MS),
        end_unix_nano=start + int(end_ms * MS),
        service=service,
        status_code=StatusCode.ERROR if error else StatusCode.UNSET,
        attributes={k.replace("_", "."): v for k, v in attributes.items()},
    )


def web_trace(start: int = T0, trace_id: str = TRACE, error: bool = True) -> list[Span]:
    """web-frontend → api (two sequential calls, the second failing) → api's database."""
    return [
        span("01" * 8, None, "web-frontend", "GET /", 0, 100, error=error, start=start,
             trace_id=trace_id),
        span("02" * 8, "01" * 8, "web-frontend", "GET", 10, 40, SpanKind.CLIENT, start=start,
             trace_id=trace_id),
        span("03" * 8, "02" * 8, "api", "GET /items", 12, 38, start=start, trace_id=trace_id),
        span("04" * 8, "03" * 8, "api", "SELECT", 14, 30, SpanKind.CLIENT, start=start,
             trace_id=trace_id, db_system="postgresql", db_name="apidb"),
        span("05" * 8, "01" * 8, "web-frontend", "POST", 45, 95, SpanKind.CLIENT, error=error,
             start=start, trace_id=trace_id),
        span("06" * 8, "05" * 8, "api", "POST /items", 47, 93, error=error, start=start,
             trace_id=trace_id),
    ]  # fmt: skip


def log(span_id: str | None, body: str) -> LogRecord:
    return LogRecord(T0 + 50 * MS, T0 + 50 * MS, 17, "ERROR", body, "api", TRACE, span_id)


def test_waterfall_rows_follow_the_tree_with_offsets_and_self_time() -> None:
    spans = web_trace()
    view = waterfall(
        spans, [log("06" * 8, "insert failed"), log(None, "no span")], rca_trace(spans)
    )
    assert ["GET /", "GET", "GET /items", "SELECT", "POST", "POST /items"] == [
        r.span.name for r in view.rows
    ]
    assert [0, 1, 2, 3, 1, 2] == [r.depth for r in view.rows]
    assert [0.0, 10.0, 12.0, 14.0, 45.0, 47.0] == [r.offset_ms for r in view.rows]
    assert 10.0 == pytest.approx(view.rows[2].self_ms)  # 26 ms less the 16 ms query
    assert 45.0 == view.rows[4].offset_pct
    assert ["insert failed"] == [r.body for r in view.rows[5].logs]
    assert ["no span"] == [r.body for r in view.other_logs]
    assert view.rows[5].root_cause
    assert {"web-frontend", "api"} == set(view.services)


def test_the_critical_path_leaves_out_a_concurrent_call_that_ends_earlier() -> None:
    spans = [
        span("01" * 8, None, "web", "GET /", 0, 100),
        span("02" * 8, "01" * 8, "web", "fast", 10, 60, SpanKind.CLIENT),
        span("03" * 8, "01" * 8, "web", "slow", 20, 95, SpanKind.CLIENT),
    ]
    view = waterfall(spans, [], rca_trace(spans))
    assert [("GET /", True), ("fast", False), ("slow", True)] == [
        (r.span.name, r.critical) for r in view.rows
    ]


def test_a_service_keeps_its_colour_across_traces() -> None:
    first = waterfall(web_trace(), [], rca_trace(web_trace()))
    other = web_trace(trace_id="cd" * 16)
    second = waterfall(other, [], rca_trace(other))
    assert first.services == second.services


def test_time_ticks_are_round_numbers() -> None:
    assert ["0 ms", "20 ms", "40 ms", "60 ms", "80 ms", "100 ms"] == [
        label for _, label in time_ticks(100)
    ]
    assert [0.0, 50.0, 100.0] == [pct for pct, _ in time_ticks(100, count=4)]
    assert ["0 ms", "500 ms", "1 s", "1.5 s"] == [label for _, label in time_ticks(1800, 4)]
    assert 0.5 == nice_step(0.3)
    assert 2000.0 == nice_step(1234)


def test_the_search_form_becomes_a_store_query() -> None:
    form = SearchForm(
        service="api", attributes=("http.status_code=500", "db.statement~items"),
        min_ms="25", status="error", since="15m",
    )  # fmt: skip
    query = form.query(T0)
    assert "api" == query.service
    assert [("http.status_code", "500", False), ("db.statement", "items", True)] == [
        (a.key, a.value, a.substring) for a in query.attributes
    ]
    assert 25.0 == query.min_duration_ms
    assert StatusCode.ERROR == query.status
    assert T0 - 15 * 60 * 1_000_000_000 == query.start_unix_nano


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (SearchForm(min_ms="soon"), "min_ms 'soon': expected a number of milliseconds"),
        (SearchForm(status="bad"), "status 'bad': expected error, ok or unset"),
        (SearchForm(attributes=("novalue",)), "attribute: 'novalue': expected key=value or key~value"),
        (SearchForm(since="forever"), "'forever': expected a duration such as 250ms, 90s, 15m, 2h or 1d"),
        (SearchForm(start="yesterday"), "start 'yesterday': expected an RFC 3339 time such as 2026-11-26T14:00:00Z"),
    ],
)  # fmt: skip
def test_a_malformed_search_names_the_field(form: SearchForm, message: str) -> None:
    with pytest.raises(UserInputError) as caught:
        form.query(T0)
    assert message == str(caught.value)


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    root.mkdir()
    (root / "interlock.yaml").write_text(CATALOG)
    return root


def _edge(caller: str, callee: str, kind: str = "service", errors: int = 0) -> ObservedEdge:
    return ObservedEdge(caller, callee, kind, 10, errors, 1.0, errors / 10, 25.0, 50.0)


def test_drift_maps_telemetry_names_and_flags_both_directions(catalog_dir: Path) -> None:
    """web calls api as declared (under its telemetry name); api's call to `audit` is new;
    batch's declared call is not flagged because batch sent nothing."""
    graph = load_catalog(catalog_dir).graph
    observed = [
        _edge("web-frontend", "api"),
        _edge("api", "apidb", "database"),
        _edge("api", "audit"),
    ]
    report = compare_topology(graph, observed, ["web-frontend", "api"])
    assert [
        ("api", "apidb", "both"),
        ("api", "audit", "observed"),
        ("batch", "api", "declared"),
        ("web", "api", "both"),
    ] == [(e.caller, e.callee, e.status) for e in report.edges]
    assert [("observed-call-not-declared", "api calls service audit (10 calls observed) but the catalog does not declare it")] == [
        (f.code, f.message) for f in report.findings
    ]  # fmt: skip
    assert str(catalog_dir / "interlock.yaml") == report.findings[0].file


def test_a_declared_call_of_an_active_service_never_seen_is_drift(catalog_dir: Path) -> None:
    graph = load_catalog(catalog_dir).graph
    report = compare_topology(graph, [], ["batch"])
    assert ["batch is declared to call service api but no such call was observed while batch was sending spans"] == [
        f.message for f in report.findings
    ]  # fmt: skip
    assert 0 < report.findings[0].line


def _store(data_dir: Path, spans: list[Span]) -> None:
    settings = TelemetrySettings(data_dir=data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    store = SQLiteSpanStore(settings.spans_path, settings)
    assert store.offer_spans(spans)
    store.close()


def test_red_series_counts_every_minute_of_the_window(tmp_path: Path) -> None:
    now = time.time()
    start = int((now - 120) * 1_000_000_000)
    _store(tmp_path / "data", web_trace(start) + web_trace(start, "cd" * 16, error=False))
    settings = TelemetrySettings(data_dir=tmp_path / "data")
    store = SQLiteSpanStore(settings.spans_path, settings)
    try:
        red = service_red(store, "api", "15m", now)
    finally:
        store.close()
    assert 15 == len(red.points)
    assert 6 == red.calls
    assert 1 == red.errors
    assert [("GET /items", 2, 0), ("POST /items", 2, 1), ("SELECT", 2, 0)] == [
        (o.operation, o.calls, o.errors) for o in red.operations
    ]
    assert 50.0 == red.operations[0].p95_ms  # 26 ms falls in the bucket up to 50 ms
    assert 26.0 == red.operations[0].mean_ms


def test_the_scatter_links_each_trace_and_escapes_names() -> None:
    traces = [
        TraceSummary("aa" * 16, "web", "GET /<script>", T0, 12.0, 3, 0),
        TraceSummary("bb" * 16, "web", "GET /", T0 + 60 * 1_000_000_000, 250.0, 3, 2),
    ]
    svg = scatter_svg(traces, T0 - 1_000_000_000, T0 + 120 * 1_000_000_000)
    assert 2 == svg.count('<a href="/traces/')
    assert "<script>" not in svg
    assert 1 == svg.count('fill="#b42318"')  # the trace with errors
    assert "time (UTC)" in svg and "duration" in svg


def test_an_empty_chart_still_has_its_axes() -> None:
    svg = line_chart_svg("Rate", "calls per minute", [], {"calls": []}, "g")
    assert "calls per minute" in svg
    assert svg.startswith("<svg")


def test_catalog_check_observed_reports_drift_and_exits_1(
    tmp_path: Path, catalog_dir: Path
) -> None:
    """`interlock catalog check DIR --observed DATA_DIR` in a real process."""
    start = int((time.time() - 60) * 1_000_000_000)
    calls_audit = [
        span("07" * 8, None, "api", "GET /x", 0, 20, start=start),
        span("08" * 8, "07" * 8, "api", "POST", 1, 10, SpanKind.CLIENT, start=start),
        span("09" * 8, "08" * 8, "audit", "POST /log", 2, 9, start=start),
    ]
    _store(tmp_path / "data", calls_audit)
    done = subprocess.run(
        [sys.executable, "-m", "interlock", "catalog", "check", str(catalog_dir),
         "--observed", str(tmp_path / "data"), "--format", "json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert 1 == done.returncode, done.stderr
    data = json.loads(done.stdout)
    assert ["observed-call-not-declared"] == [f["code"] for f in data["findings"]]
    assert 1 == data["warnings"]
    assert {("api", "audit", "observed"), ("web", "api", "declared")} <= {
        (e["caller"], e["callee"], e["status"]) for e in data["observed"]["edges"]
    }
    missing = subprocess.run(
        [sys.executable, "-m", "interlock", "catalog", "check", str(catalog_dir),
         "--observed", str(tmp_path / "nothing")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert 2 == missing.returncode
    assert "no span store here" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_spans_whose_parent_never_arrived_start_their_own_rows() -> None:
    """A trace read while its root is still in flight: the orphans are shown, not lost."""
    spans = [s for s in web_trace(error=False) if s.span_id != "01" * 8]
    view = waterfall(spans, [], rca_trace(spans))
    assert [("GET", 0), ("GET /items", 1), ("SELECT", 2), ("POST", 0), ("POST /items", 1)] == [
        (r.span.name, r.depth) for r in view.rows
    ]
    assert 0.0 == view.rows[0].offset_ms


def test_the_live_map_widens_gaps_and_keeps_arrows_on_their_boxes() -> None:
    report = DriftReport(
        [
            EdgeState("a", "b", "service", True, _edge("a", "b")),
            EdgeState("b", "c", "service", False, _edge("b", "c")),
            EdgeState("a", "c", "service", True, None),
        ]
    )
    plan = widen_gaps(layout(map_graph(report)), 200.0)
    boxes = {b.node.name: b for b in plan.boxes}
    assert 200.0 <= boxes["b"].x - (boxes["a"].x + boxes["a"].width)
    for route in plan.routes:
        source, target = (
            boxes[end.split(":", 1)[1]] for end in (route.edge.source, route.edge.target)
        )
        assert source.x + source.width == pytest.approx(route.points[0][0])
        assert target.x == pytest.approx(route.points[-1][0])
