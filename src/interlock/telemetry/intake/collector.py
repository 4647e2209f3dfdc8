"""The standalone OTLP collector: the intake and its store as one small ASGI app on uvicorn.

`interlock collector` runs it; `interlock server` mounts the same intake with `mount_telemetry`.
"""

from __future__ import annotations

import gc
import os
from dataclasses import fields, replace

import uvicorn
from fastapi import FastAPI

from interlock.errors import UserInputError
from interlock.telemetry.intake.routes import mount_telemetry
from interlock.telemetry.settings import TelemetrySettings
from interlock.telemetry.stores.interface import SpanStore

_WRITER_PROCESS_VARIABLE = "INTERLOCK_TELEMETRY_WRITER_PROCESS"


def create_collector_app(settings: TelemetrySettings) -> FastAPI:
    """An app serving `POST /v1/traces`, `POST /v1/logs` and `GET /healthz`."""
    app = FastAPI(title="Interlock OTLP collector", docs_url=None, redoc_url=None)
    store = mount_telemetry(app, settings.data_dir, settings)

    @app.get("/healthz")
    def healthz() -> dict[str, int]:
        counters = store.counters
        return {
            "spans_received": counters.spans_received,
            "spans_stored": counters.spans_stored,
            "logs_stored": counters.logs_stored,
            "refused_batches": counters.refused_batches,
        }

    return app


def collector_store(app: FastAPI) -> SpanStore:
    """The span store behind an app made by `create_collector_app` or `mount_telemetry`."""
    store: SpanStore = app.state.span_store
    return store


def run_collector(
    settings: TelemetrySettings, host: str = "127.0.0.1", port: int = 4318, workers: int = 1
) -> None:
    """Serve the collector until interrupted; the store is flushed and closed on the way out.

    With SQLite the spans are written by a second process (`writer_process`), so that the
    standalone collector ingests on two cores; `INTERLOCK_TELEMETRY_WRITER_PROCESS=0` keeps
    the writer a thread of the one process. With `workers` > 1 (a PostgreSQL or ClickHouse
    server behind), that many processes share the port, each writing its batches directly.
    """
    check_workers(settings, workers)
    if workers > 1:
        os.environ.update(settings_environment(settings))  # the workers read them back
        uvicorn.run(
            "interlock.telemetry.intake.collector:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )
        return
    if _WRITER_PROCESS_VARIABLE not in os.environ:
        settings = replace(settings, writer_process=True)
    app = create_collector_app(settings)
    # the intake builds some 100,000 short-lived containers a second (rows and their keys,
    # queued for the writer); collections at the default threshold walk them and the whole
    # app again and again (measured: a tenth of the HTTP process's time)
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def check_workers(settings: TelemetrySettings, workers: int) -> None:
    """UserInputError unless `workers` processes can share the store of `settings`."""
    if workers < 1:
        raise UserInputError(f"--workers {workers}: expected 1 or more")
    url = settings.database_url
    if workers > 1 and not url.startswith(("postgresql://", "postgres://", "clickhouse")):
        store = "chdb (one process holds its directory)" if url else "SQLite (one writer)"
        raise UserInputError(
            f"--workers {workers}: {store} cannot take writes from several processes; "
            "use --span-store postgresql://... or clickhouse://host:8123/db"
        )


def settings_environment(settings: TelemetrySettings) -> dict[str, str]:
    """`settings` as the INTERLOCK_TELEMETRY_* variables that `with_environment` reads."""
    return {
        f"INTERLOCK_TELEMETRY_{f.name.upper()}": str(getattr(settings, f.name))
        for f in fields(settings)
    }


def app_from_environment() -> FastAPI:
    """The collector app of one worker process, from the variables its parent set."""
    return create_collector_app(TelemetrySettings().with_environment())
