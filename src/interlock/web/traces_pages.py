"""The dashboard's telemetry pages and their JSON twins: trace search, one trace's waterfall,
the live service map with drift, a service's RED charts, and root-cause analysis of a window."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from markupsafe import Markup
from starlette.responses import Response

from interlock.errors import UserInputError
from interlock.telemetry import (
    OPERATION_HELP,
    SCORE_HELP,
    WINDOWS,
    MetricStore,
    SearchForm,
    SpanStore,
    TraceNotFound,
    format_ms,
    format_time,
    live_map,
    no_baseline_advice,
    rca_view_json,
    service_logs_view,
    service_red_view,
    suspect_rows,
    trace_search,
    trace_waterfall,
    window_rca,
)
from interlock.web.rendering import render_page
from interlock.web.state import LoadedCatalog, loaded_catalog

router = APIRouter()


def span_store(request: Request) -> SpanStore:
    """FastAPI dependency: the span store the server opened (see `mount_telemetry`)."""
    store: SpanStore = request.app.state.span_store
    return store


def metric_store(request: Request) -> MetricStore | None:
    """FastAPI dependency: the metric store beside the span store, when the server has one."""
    store: MetricStore | None = getattr(request.app.state, "metric_store", None)
    return store


def search_form(
    service: str = "",
    operation: str = "",
    attribute: list[str] = Query(default=[]),
    min_ms: str = "",
    max_ms: str = "",
    status: str = "",
    since: str = "1h",
    start: str = "",
    end: str = "",
    limit: int = 50,
) -> SearchForm:
    """FastAPI dependency: the search form from the query string."""
    return SearchForm(
        service, operation, tuple(attribute), min_ms, max_ms, status, since, start, end, limit
    )


def _render(request: Request, template: str, **context: Any) -> Response:
    """`render_page` with the time and duration formatters the telemetry templates use."""
    return render_page(request, template, fmt_time=format_time, fmt_ms=format_ms, **context)


def _problem(error: UserInputError) -> HTTPException:
    return HTTPException(404 if isinstance(error, TraceNotFound) else 400, str(error))


def _error_page(request: Request, error: UserInputError, title: str) -> Response:
    status = 404 if isinstance(error, TraceNotFound) else 400
    return _render(
        request,
        "telemetry_error.html",
        active="traces",
        title=title,
        status_code=status,
        message=str(error),
    )


@router.get("/api/traces", tags=["telemetry"])
def traces_json(
    form: SearchForm = Depends(search_form), store: SpanStore = Depends(span_store)
) -> dict[str, Any]:
    """Traces matching service, operation, attributes (`key=value`, `key~substring`), duration
    (`min_ms`, `max_ms`), status (error|ok|unset) and window (`since=1h` or `start`/`end`)."""
    try:
        return trace_search(store, form).to_json()
    except UserInputError as error:
        raise _problem(error) from None


@router.get("/api/traces/map", tags=["telemetry"])
def live_map_json(
    window: str = "15m",
    store: SpanStore = Depends(span_store),
    loaded: LoadedCatalog = Depends(loaded_catalog),
) -> dict[str, Any]:
    """Observed edges with rate, error rate and p95, declared edges, and the drift findings."""
    try:
        return live_map(store, loaded.catalog.graph, window).to_json()
    except UserInputError as error:
        raise _problem(error) from None


@router.get("/api/traces/{trace_id}", tags=["telemetry"])
def trace_json(trace_id: str, store: SpanStore = Depends(span_store)) -> dict[str, Any]:
    """One trace: spans in tree order with offsets, self time, critical path; logs; diagnosis."""
    try:
        return trace_waterfall(store, trace_id).to_json()
    except UserInputError as error:
        raise _problem(error) from None


@router.get("/api/services/{name}/red", tags=["telemetry"])
def red_json(
    name: str,
    window: str = "15m",
    store: SpanStore = Depends(span_store),
    loaded: LoadedCatalog = Depends(loaded_catalog),
    metrics: MetricStore | None = Depends(metric_store),
) -> dict[str, Any]:
    """Rate, errors and p50/p95/p99 per minute for a service (`window` 15m, 1h or 6h), and its
    resource metrics (CPU, memory, restarts) per minute."""
    try:
        return service_red_view(
            store, loaded.catalog.graph, name, window, metrics=metrics
        ).to_json()
    except UserInputError as error:
        raise _problem(error) from None


@router.get("/api/services/{name}/logs", tags=["telemetry"])
def service_logs_json(
    name: str,
    since: str = "15m",
    start: str = "",
    end: str = "",
    store: SpanStore = Depends(span_store),
    loaded: LoadedCatalog = Depends(loaded_catalog),
) -> dict[str, Any]:
    """A service's log templates with their counts in the window and in the window before."""
    try:
        return service_logs_view(store, loaded.catalog.graph, name, since, start, end).to_json()
    except UserInputError as error:
        raise _problem(error) from None


@router.get("/api/rca", tags=["telemetry"])
def rca_json(
    since: str = "15m",
    start: str = "",
    end: str = "",
    service: str = "",
    baseline_start: str = "",
    baseline_end: str = "",
    store: SpanStore = Depends(span_store),
    metrics: MetricStore | None = Depends(metric_store),
) -> dict[str, Any]:
    """Suspect services, dependencies and edges of a window ranked against its baseline (the
    window before, or `baseline_start`..`baseline_end`), each with its links."""
    try:
        found = window_rca(
            store, since, start, end, service, None, metrics, baseline_start, baseline_end
        )
    except UserInputError as error:
        raise _problem(error) from None
    return rca_view_json(found)


@router.get("/traces", include_in_schema=False)
def traces_page(
    request: Request,
    form: SearchForm = Depends(search_form),
    store: SpanStore = Depends(span_store),
) -> Response:
    try:
        search = trace_search(store, form)
    except UserInputError as error:
        return _render(
            request,
            "traces.html",
            active="traces",
            title="Traces",
            status_code=400,
            form=form,
            search=None,
            error=str(error),
        )
    return _render(
        request,
        "traces.html",
        active="traces",
        title="Traces",
        form=form,
        search=search,
        scatter=Markup(search.scatter),  # drawn by Interlock, every text escaped
        error=None,
    )


@router.get("/traces/map", include_in_schema=False)
def live_map_page(
    request: Request,
    window: str = "15m",
    store: SpanStore = Depends(span_store),
    loaded: LoadedCatalog = Depends(loaded_catalog),
) -> Response:
    try:
        found = live_map(store, loaded.catalog.graph, window)
    except UserInputError as error:
        return _error_page(request, error, "Live map")
    return _render(
        request,
        "live_map.html",
        active="traces",
        title="Live map",
        live=found,
        svg=Markup(found.svg),
    )


@router.get("/traces/{trace_id}", include_in_schema=False)
def trace_page(trace_id: str, request: Request, store: SpanStore = Depends(span_store)) -> Response:
    try:
        view = trace_waterfall(store, trace_id)
    except UserInputError as error:
        return _error_page(request, error, "Trace")
    return _render(
        request, "trace.html", active="traces", title=f"Trace {view.trace_id[:8]}", view=view
    )


@router.get("/services/{name}/red", include_in_schema=False)
def red_page(
    name: str,
    request: Request,
    window: str = "15m",
    store: SpanStore = Depends(span_store),
    loaded: LoadedCatalog = Depends(loaded_catalog),
    metrics: MetricStore | None = Depends(metric_store),
) -> Response:
    try:
        view = service_red_view(store, loaded.catalog.graph, name, window, metrics=metrics)
    except UserInputError as error:
        return _error_page(request, error, f"{name}: RED")
    return _render(
        request,
        "service_red.html",
        active="services",
        title=f"{name}: RED",
        view=view,
        charts=[Markup(svg) for svg in view.charts],  # drawn by Interlock, every text escaped
        resource_charts=[Markup(svg) for svg in view.resource_charts],
        metrics_kept=metrics is not None,
        windows=list(WINDOWS),
    )


@router.get("/services/{name}/logs", include_in_schema=False)
def service_logs_page(
    name: str,
    request: Request,
    since: str = "15m",
    start: str = "",
    end: str = "",
    store: SpanStore = Depends(span_store),
    loaded: LoadedCatalog = Depends(loaded_catalog),
) -> Response:
    try:
        view = service_logs_view(store, loaded.catalog.graph, name, since, start, end)
    except UserInputError as error:
        return _error_page(request, error, f"{name}: logs")
    return _render(
        request, "service_logs.html", active="services", title=f"{name}: logs", view=view
    )


@router.get("/rca", include_in_schema=False)
def rca_page(
    request: Request,
    since: str = "15m",
    start: str = "",
    end: str = "",
    service: str = "",
    baseline_start: str = "",
    baseline_end: str = "",
    store: SpanStore = Depends(span_store),
    metrics: MetricStore | None = Depends(metric_store),
) -> Response:
    try:
        diagnosis = window_rca(
            store, since, start, end, service, None, metrics, baseline_start, baseline_end
        )
    except UserInputError as error:
        return _error_page(request, error, "Root cause")
    return _render(
        request,
        "rca.html",
        active="traces",
        title="Root cause",
        diagnosis=diagnosis,
        rows=suspect_rows(diagnosis),
        advice=no_baseline_advice(diagnosis),
        score_help=SCORE_HELP,
        operation_help=OPERATION_HELP,
        since=since,
        start=start,
        end=end,
        service=service,
        baseline_start=baseline_start,
        baseline_end=baseline_end,
    )
