"""Runs stored per service, operation and commit, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from interlock.perf import (
    LatencyHistogram,
    OperationResult,
    PerfRun,
    get_run,
    perf_database,
    recent_runs,
    save_run,
)
from interlock.perf.load_test import resolve_baseline
from interlock.perf.records import runs_at, stored_commits


def _run(commit: str, minutes: int, p: float) -> PerfRun:
    op = OperationResult(
        "POST /orders", 3, 1, LatencyHistogram.of([p, p * 2, p * 3]), LatencyHistogram.of([p])
    )
    op.statuses = {"201": 2, "500": 1}
    started = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    return PerfRun(
        "orders",
        commit,
        "http://x",
        started,
        1.5,
        2.0,
        {op.name: op},
        [{"t": 0, "requests": 3}],
        {"users": 10},
    )


def _round_trip(url: str) -> None:
    with perf_database(url) as engine:
        for commit, minutes, p in (
            ("aaaa1111", 0, 10.0),
            ("aaaa1111", 1, 11.0),
            ("bbbb2222", 2, 20.0),
        ):
            save_run(engine, _run(commit, minutes, p))
        at_a = runs_at(engine, "orders", "aaaa1111")
        lowest = [r.operations["POST /orders"].histogram.quantile_ms(0.01) for r in at_a]
        assert [11.0, 10.0] == pytest.approx(lowest, rel=0.01)
        assert ["bbbb2222", "aaaa1111"] == stored_commits(engine, "orders")
        newest = recent_runs(engine, "orders", limit=1)[0]
        again = get_run(engine, newest.id or 0)
        assert again is not None
        assert newest.to_json() == again.to_json()
        assert {"201": 2, "500": 1} == again.operations["POST /orders"].statuses
        assert 2.0 == again.achieved_rate
        assert [] == runs_at(engine, "payments", "aaaa1111")


def test_runs_round_trip_per_service_and_commit_on_sqlite(tmp_path: Path) -> None:
    """Runs read back by service and commit equal what was stored, histograms included."""
    _round_trip(f"sqlite:///{tmp_path / 'interlock.db'}")


@pytest.mark.postgres
def test_runs_round_trip_per_service_and_commit_on_postgres(postgres: Any) -> None:
    """The same on PostgreSQL, a team server's database."""
    _round_trip(postgres.create_database("interlock_perf_records"))


def test_baseline_ref_is_a_stored_commit_or_a_unique_prefix() -> None:
    """`--against` takes a stored commit, or 7+ characters naming exactly one."""
    commits = ["abcdef1234", "abcdef9999", "1234567890"]
    assert "abcdef1234" == resolve_baseline(commits, "abcdef1234")
    assert "1234567890" == resolve_baseline(commits, "1234567")
    assert resolve_baseline(commits, "abcdef") is None
    assert resolve_baseline(commits, "no-such-ref-anywhere") is None
