"""The dashboard's load tests: runs per service, a run's operations with its latency
histogram and timeline, and a comparison of two commits; each page has its JSON twin."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from interlock.perf import compare_runs, get_run, recent_runs, stored_services
from interlock.perf.charts import histogram_svg, timeline_svg
from interlock.web.rendering import render_page

router = APIRouter()


def _runs(request: Request, service: str | None) -> dict[str, Any]:
    engine = request.app.state.engine
    runs = recent_runs(engine, service, limit=100)
    operations = sorted({name for run in runs for name in run.operations})
    trend = {
        name: [
            {
                "run": run.id,
                "commit": run.commit,
                "p95_ms": run.operations[name].summary()["p95_ms"],
            }
            for run in reversed(runs)
            if name in run.operations
        ]
        for name in operations
    }
    return {
        "services": stored_services(engine),
        "service": service,
        "runs": [run.to_json(histograms=False) | {"timeline": None} for run in runs],
        "trend": trend,
    }


def _run(request: Request, run_id: int) -> dict[str, Any]:
    run = get_run(request.app.state.engine, run_id)
    if run is None:
        raise HTTPException(404, f"no load test run {run_id}")
    return run.to_json(histograms=True)


def _compare(request: Request, service: str, baseline: str, current: str) -> dict[str, Any]:
    engine = request.app.state.engine
    runs = recent_runs(engine, service, limit=500)
    base = [r for r in runs if r.commit == baseline]
    now = [r for r in runs if r.commit == current]
    if not base or not now:
        raise HTTPException(404, f"no runs of {service} at {baseline if not base else current}")
    return compare_runs(base, now).to_json()


@router.get("/api/perf", tags=["perf"])
async def perf_json(request: Request, service: str | None = None) -> dict[str, Any]:
    """Load test runs (newest first), optionally of one service, and p95 per operation over them."""
    return await run_in_threadpool(_runs, request, service)


@router.get("/api/perf/runs/{run_id}", tags=["perf"])
async def perf_run_json(request: Request, run_id: int) -> dict[str, Any]:
    """One run: every operation with its histogram, the per-second timeline, the generator."""
    return await run_in_threadpool(_run, request, run_id)


@router.get("/api/perf/compare", tags=["perf"])
async def perf_compare_json(
    request: Request, service: str, baseline: str, current: str
) -> dict[str, Any]:
    """The current commit's runs against the baseline's: each change with its 95% interval."""
    return await run_in_threadpool(_compare, request, service, baseline, current)


@router.get("/perf", include_in_schema=False)
async def perf_page(request: Request, service: str | None = None) -> Response:
    data = await run_in_threadpool(_runs, request, service)
    return render_page(request, "perf.html", active="perf", title="Load tests", **data)


@router.get("/perf/runs/{run_id}", include_in_schema=False)
async def perf_run_page(request: Request, run_id: int) -> Response:
    run = await run_in_threadpool(get_run, request.app.state.engine, run_id)
    if run is None:
        raise HTTPException(404, f"no load test run {run_id}")
    operations = [
        {"result": op, "summary": op.summary(), "svg": histogram_svg(op)}
        for op in run.operations.values()
    ]
    return render_page(
        request,
        "perf_run.html",
        active="perf",
        title=f"Load test {run_id}",
        run=run,
        operations=operations,
        timeline=timeline_svg(run.timeline),
    )


@router.get("/perf/compare", include_in_schema=False)
async def perf_compare_page(
    request: Request, service: str, baseline: str, current: str
) -> Response:
    comparison = await run_in_threadpool(_compare, request, service, baseline, current)
    return render_page(
        request,
        "perf_compare.html",
        active="perf",
        title="Load test comparison",
        comparison=comparison,
    )
