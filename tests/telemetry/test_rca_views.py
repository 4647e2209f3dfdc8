"""The window RCA as rows: one example trace of its own per suspect, links by kind, advice."""

from __future__ import annotations

from interlock.telemetry import WindowDiagnosis, no_baseline_advice, suspect_rows
from interlock.telemetry.rca.evidence import Evidence
from interlock.telemetry.rca.rank import rank

START, END = 1_796_000_000_000_000_000, 1_796_000_900_000_000_000
SHARED = ("a" * 32, "b" * 32, "c" * 32)


def _diagnosis(baseline_traces: int = 100) -> WindowDiagnosis:
    evidence = [
        Evidence("latency", "payments", 6.0, "self time of POST /charge: x40", "POST /charge",
                 SHARED, feature=("self", "payments", "POST /charge")),
        Evidence("call", "orders-db", 4.0, "calls from orders: x9", "", SHARED,
                 feature=("call", "orders", "orders-db")),
        Evidence("gap", "gateway->orders", 2.0, "gap gateway->orders: x5; only this edge", "",
                 SHARED, feature=("gap", "gateway", "orders")),
        Evidence("logs", "stock", 0.0, "nothing", "", SHARED),
    ]  # fmt: skip
    return WindowDiagnosis(
        START, END, START - (END - START), START, None, 300, 30, 0, 30, baseline_traces,
        ranking=rank(evidence, {"payments", "gateway", "orders", "stock"}),
    )  # fmt: skip


def test_each_suspect_shows_an_example_trace_of_its_own() -> None:
    """Three suspects found in the same traces get three different first examples."""
    rows = suspect_rows(_diagnosis())
    assert ["payments", "orders-db", "gateway->orders"] == [r.name for r in rows]  # no zero
    assert list(SHARED) == [r.example_trace_id for r in rows]


def test_links_follow_the_kind_of_suspect() -> None:
    """A service links its RED page and log templates; a database and an edge their caller's
    traces in the window."""
    service, database, edge = suspect_rows(_diagnosis())
    window = "start=2026-11-30T00%3A53%3A20.000Z&end=2026-11-30T01%3A08%3A20.000Z"
    assert (
        f"/traces?service=payments&{window}",
        "/services/payments/red",
        f"/services/payments/logs?{window}",
    ) == (service.traces_url, service.red_url, service.logs_url)
    assert (f"/traces?service=orders&{window}", None, None) == (
        database.traces_url,
        database.red_url,
        database.logs_url,
    )
    assert ("database or third party", f"/traces?service=gateway&{window}") == (
        database.kind_label,
        edge.traces_url,
    )


def test_advice_only_without_a_baseline() -> None:
    """An empty baseline window gets advice on choosing one; a baseline with traces none."""
    assert no_baseline_advice(_diagnosis()) is None
    advice = no_baseline_advice(_diagnosis(baseline_traces=0)) or ""
    assert advice.startswith("No traces in the baseline window (2026-11-30T00:38:20.000Z")
    assert "--baseline-start" in advice
