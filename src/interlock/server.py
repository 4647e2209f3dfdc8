"""The one ASGI app of `interlock server`, composed here, and the uvicorn that serves it.

Every router of every capability is mounted in `create_app`, in one visible list.
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from interlock import __version__
from interlock.broker import catalog_owners, mount_broker
from interlock.catalog import catalog_summary, load_catalog
from interlock.contracts import index_contracts
from interlock.errors import UserInputError
from interlock.incidents import IncidentSettings, load_incident_settings, mount_incidents
from interlock.ports import check_can_listen
from interlock.settings import Settings
from interlock.store import create_engine_for, record_catalog_load, upgrade_database
from interlock.telemetry import TelemetrySettings, mount_telemetry
from interlock.web import (
    STATIC,
    LoadedCatalog,
    api_router,
    broker_pages_router,
    chaos_router,
    contracts_router,
    envs_router,
    incidents_router,
    install_error_pages,
    migrations_router,
    pages_router,
    perf_router,
    traces_router,
)


def create_app(settings: Settings) -> FastAPI:
    """The whole server: JSON API, dashboard, static files; state is loaded on startup."""
    app = FastAPI(
        title="Interlock",
        version=__version__,
        summary="Contracts, stubs, migration safety and observability for services.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # Swagger UI loads from a CDN; /api/docs is served by the dashboard
        redoc_url=None,
        lifespan=_lifespan(settings),
    )
    app.state.settings = settings
    # Routers, in matching order. Later capabilities add theirs here:
    # the Pact Broker API, OTLP intake (/v1/traces, /v1/logs), alert intake (/api/alerts).
    app.include_router(api_router)
    app.include_router(pages_router)
    app.include_router(broker_pages_router)  # before contracts: /contracts/matrix/{p}
    app.include_router(contracts_router)
    app.include_router(migrations_router)
    app.include_router(envs_router)
    app.include_router(traces_router)  # trace search, waterfall, live map, RED, RCA pages
    mount_broker(app)  # the Pact Broker API under /broker, webhooks, retention
    mount_telemetry(app, settings.data_dir, _telemetry_settings(settings))  # /v1/traces, /v1/logs
    app.include_router(incidents_router)  # incident list and page, JSON twins, postmortem
    app.include_router(perf_router)  # load test runs, a run's histograms, comparisons
    app.include_router(chaos_router)  # chaos experiment journals
    mount_incidents(app)  # /api/alerts/..., /api/changes, /metrics; the incident desk
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_error_pages(app)
    return app


def _telemetry_settings(settings: Settings) -> TelemetrySettings:
    """The span store's settings: INTERLOCK_TELEMETRY_* variables, and the `span_store` URL."""
    telemetry = TelemetrySettings(data_dir=settings.data_dir).with_environment()
    if settings.span_store:
        telemetry = replace(telemetry, database_url=settings.span_store)
    return telemetry


def load_state(settings: Settings, engine: Engine) -> LoadedCatalog:
    """Migrate the database, read the catalog, and record that load."""
    upgrade_database(settings.database_url)
    catalog = load_catalog(settings.catalog_dir)
    summary = catalog_summary(catalog)
    load = record_catalog_load(
        engine,
        source_dir=summary.source_dir,
        node_count=summary.node_count,
        edge_count=summary.edge_count,
        finding_count=summary.finding_count,
        digest=summary.digest,
    )
    contracts = index_contracts(settings.catalog_dir)
    return LoadedCatalog(catalog=catalog, summary=summary, load=load, contracts=contracts)


def _lifespan(settings: Settings) -> Callable[[FastAPI], Any]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine_for(settings.database_url)
        try:
            app.state.engine = engine
            app.state.catalog = await run_in_threadpool(load_state, settings, engine)
            # the broker's webhooks and change pages name the teams that own each side
            app.state.broker_owners = catalog_owners(app.state.catalog.catalog.graph)
            yield
        finally:
            engine.dispose()

    return lifespan


def check_settings(settings: Settings) -> None:
    """Fail early, with one clear message, on what would make the server die at start."""
    if not settings.catalog_dir.is_dir():
        raise UserInputError(f"catalog directory {settings.catalog_dir} does not exist")
    upgrade_database(settings.database_url)
    load_incident_settings(settings.catalog_dir, IncidentSettings())  # its `incidents:` Config
    check_can_listen(
        settings.host,
        settings.port,
        "choose another with --host/--port or INTERLOCK_HOST/INTERLOCK_PORT",
    )


def run_server(settings: Settings) -> None:
    """Serve until Ctrl-C or SIGTERM, then shut down gracefully and return."""
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=False,
        lifespan="on",
    )
    with _signals_end_quietly():
        uvicorn.Server(config).run()


@contextmanager
def _signals_end_quietly() -> Iterator[None]:
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the
    # handler that was there before it; a no-op handler lets the command return normally.
    quiet = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, previous in quiet.items():
            signal.signal(sig, previous)
