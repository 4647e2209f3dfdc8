"""Why it is slower: each run keeps its traces' self time per kind of span; `perf check`
names the spans that grew, with example traces, in text, JSON, JUnit and GitHub annotations."""

from __future__ import annotations

import json
import random
import secrets
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from interlock.perf import LatencyHistogram, OperationResult, PerfRun, perf_database, save_run
from interlock.perf.span_profile import read_profile, self_time_ns
from interlock.settings import load_settings
from interlock.telemetry import Span, SpanKind, TelemetrySettings, open_span_store

SELECT = "SELECT id, name, price FROM products WHERE id = 2"


def _trace(start: int, select_ms: float) -> list[Span]:
    """orders' POST /orders: a SELECT taking `select_ms` inside 5 ms of its own work."""
    trace, root, child = secrets.token_hex(16), secrets.token_hex(8), secrets.token_hex(8)
    end = start + int((5 + select_ms) * 1e6)
    return [
        Span(trace, root, None, "POST /orders", SpanKind.SERVER, start, end, "orders"),
        Span(
            trace, child, root, "SELECT inventory", SpanKind.CLIENT, start + 2_000_000,
            start + 2_000_000 + int(select_ms * 1e6), "orders", attributes={"db.statement": SELECT},
        ),
    ]  # fmt: skip


def _window(store: object, first: int, select_ms: float, count: int = 20) -> tuple[int, int]:
    spans = [s for k in range(count) for s in _trace(first + k * 10_000_000, select_ms)]
    store.offer_spans(spans)  # type: ignore[attr-defined]
    return first, first + count * 10_000_000 + 100_000_000


def _run(commit: str, median_ms: float, profile: dict[str, object], seed: int) -> PerfRun:
    rng = random.Random(seed)
    histogram = LatencyHistogram.of(rng.gauss(median_ms, median_ms * 0.05) for _ in range(500))
    op = OperationResult("POST /orders", 500, 0, histogram)
    run = PerfRun("orders", commit, "http://x", datetime.now(UTC), 5.0, 100.0, {op.name: op})
    return replace(run, span_profile=profile)


def test_self_time_leaves_out_the_children() -> None:
    """A 10 ms span with children covering 2-5 ms and 4-7 ms (overlapping) owns 5 ms."""
    parent = _trace(0, 0)[0]
    parent = replace(parent, start_unix_nano=0, end_unix_nano=10_000_000)
    kids = [
        replace(parent, start_unix_nano=2_000_000, end_unix_nano=5_000_000),
        replace(parent, start_unix_nano=4_000_000, end_unix_nano=7_000_000),
    ]
    assert 5_000_000 == self_time_ns(parent, kids)


@pytest.fixture
def profiles(tmp_path: Path) -> tuple[dict[str, object], dict[str, object]]:
    """Profiles read from a real span store: a 2 ms SELECT in one window, 6 ms in the next."""
    data = tmp_path / "spans"
    store = open_span_store(TelemetrySettings(data_dir=data))
    now = time.time_ns() - 60_000_000_000
    before = _window(store, now, 2.0)
    after = _window(store, now + 10_000_000_000, 6.0)
    store.flush(timeout=10)
    store.close()
    return read_profile(data, "", "orders", *before), read_profile(data, "", "orders", *after)


def test_perf_check_names_the_span_whose_self_time_grew(
    tmp_path: Path, profiles: tuple[dict[str, object], dict[str, object]]
) -> None:
    """Stored runs with their profiles: `perf check` says the SELECT grew about 3 times, with
    example traces, as text, JSON, a GitHub `::error` and a JUnit failure."""
    before, after = profiles
    assert 20 == before["requests"]
    data = tmp_path / "data"
    with perf_database(load_settings(data_dir=data).database_url) as engine:
        for seed in range(3):
            save_run(engine, _run("base", 10.0, before, seed))
            save_run(engine, _run("slow", 14.0, after, seed + 10))
    check = [sys.executable, "-m", "interlock", "perf", "check", "--service", "orders",
             "--data-dir", str(data), "--against", "base", "--commit", "slow"]  # fmt: skip

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*check, *args], capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False
        )

    as_json = run("-f", "json", "--junit", str(tmp_path / "check.xml"))
    assert 1 == as_json.returncode, as_json.stderr
    span = json.loads(as_json.stdout)["spans"][0]
    assert "orders: SELECT id, name, price FROM products WHERE id = $1" == span["span"]
    assert 2.0 == pytest.approx(span["change"], abs=0.1)
    examples = after["spans"][span["span"]]["examples"]  # type: ignore[index]
    assert examples[0] in span["example_traces"]

    github = run("-f", "github")
    assert 1 == github.returncode
    error = next(line for line in github.stdout.splitlines() if line.startswith("::error"))
    assert error.startswith("::error title=perf regression%3A orders::")
    assert "Why (self time per request" in error and examples[0] in error

    text = run()
    assert "why (self time per request in the runs' traces):" in text.stdout
    failures = ET.parse(tmp_path / "check.xml").getroot().iter("failure")
    assert any("SELECT id, name, price" in (f.text or "") for f in failures)
