"""The /perf pages and their JSON twins, on runs stored in the server's own database."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import httpx

from interlock.perf import LatencyHistogram, OperationResult, PerfRun, perf_database, save_run
from interlock.settings import Settings


def _store(settings: Settings) -> list[int]:
    rng = random.Random(1)
    ids = []
    with perf_database(settings.database_url) as engine:
        for index, (commit, factor) in enumerate([("base", 1.0)] * 2 + [("slow", 1.5)] * 2):
            histogram = LatencyHistogram.of(
                rng.lognormvariate(2.3, 0.4) * factor for _ in range(500)
            )
            op = OperationResult("POST /orders", 500, 0, histogram, histogram, {"201": 500})
            started = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(minutes=index)
            timeline = [
                {
                    "t": t,
                    "requests": 50,
                    "errors": 0,
                    "p50_ms": 9.0,
                    "p95_ms": 20.0 * factor,
                    "max_ms": 30.0,
                }
                for t in range(10)
            ]
            run = PerfRun(
                "orders",
                commit,
                "http://x",
                started,
                10.0,
                50.0,
                {op.name: op},
                timeline,
                {"users": 10, "cpu_s": 0.2},
            )
            ids.append(save_run(engine, run))
    return ids


def test_without_runs_the_page_says_how_to_run_one(client: httpx.Client) -> None:
    """An empty database: the page shows the command; the twin has no runs."""
    assert "interlock perf run" in client.get("/perf").text
    assert [] == client.get("/api/perf").json()["runs"]


def test_runs_per_service_with_trend_and_a_link_to_the_twin(
    client: httpx.Client, settings: Settings
) -> None:
    """The page lists each run; per service, p95 per operation across runs; the twin agrees."""
    ids = _store(settings)
    data = client.get("/api/perf", params={"service": "orders"}).json()
    assert sorted(ids, reverse=True) == [run["id"] for run in data["runs"]]
    assert 4 == len(data["trend"]["POST /orders"])
    page = client.get("/perf", params={"service": "orders"}).text
    assert 'href="/api/perf?service=orders"' in page
    assert f'href="/perf/runs/{ids[0]}"' in page


def test_a_run_page_draws_its_histogram_and_timeline(
    client: httpx.Client, settings: Settings
) -> None:
    """A run's page has an SVG histogram per operation and the timeline; its twin the buckets."""
    run_id = _store(settings)[0]
    page = client.get(f"/perf/runs/{run_id}").text
    assert 2 == page.count("<svg")
    assert f'href="/api/perf/runs/{run_id}"' in page
    twin = client.get(f"/api/perf/runs/{run_id}").json()
    assert 500 == sum(twin["operations"][0]["histogram"].values())
    assert 404 == client.get("/api/perf/runs/9999").status_code


def test_compare_page_shows_the_regression(client: httpx.Client, settings: Settings) -> None:
    """Two commits compared: the 50% slower one is a regression with its interval."""
    _store(settings)
    twin = client.get(
        "/api/perf/compare", params={"service": "orders", "baseline": "base", "current": "slow"}
    ).json()
    assert any(m.startswith("p95 of POST /orders +") for m in twin["regressions"])
    page = client.get(
        "/perf/compare", params={"service": "orders", "baseline": "base", "current": "slow"}
    ).text
    assert "regression: p95 of POST /orders +" in page
