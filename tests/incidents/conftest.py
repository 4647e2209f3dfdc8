"""Fixtures for incidents: a catalog with two unrelated systems, a desk on a real SQLite
database, the app in process, and the real server on 127.0.0.1."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from interlock.catalog import load_catalog
from interlock.incidents import IncidentDesk, IncidentSettings
from interlock.ports import free_port, wait_for_port
from interlock.server import create_app
from interlock.settings import Settings, load_settings
from interlock.store import create_engine_for, upgrade_database
from interlock.telemetry import LogRecord, Span, SpanKind, SQLiteSpanStore, StatusCode

# web → checkout → billing (billing reports itself as billing-svc), checkout → stock;
# far away: search → index. Teams own each side.
CATALOG = """\
apiVersion: interlock/v1
kind: Service
name: web
owner: team-front
calls: [checkout]
---
apiVersion: interlock/v1
kind: Service
name: checkout
owner: team-pay
calls: [billing, stock]
---
apiVersion: interlock/v1
kind: Service
name: billing
owner: team-pay
telemetryName: billing-svc
---
apiVersion: interlock/v1
kind: Service
name: stock
owner: team-stock
---
apiVersion: interlock/v1
kind: Service
name: search
owner: team-find
calls: [index]
---
apiVersion: interlock/v1
kind: Service
name: index
owner: team-find
"""


TEAMS = "\n---\n".join(
    f"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {{name: {team}}}\nspec: {{type: team}}"
    for team in ("team-front", "team-pay", "team-stock", "team-find")
)


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    root.mkdir()
    (root / "interlock.yaml").write_text(CATALOG)
    (root / "catalog-info.yaml").write_text(TEAMS + "\n")
    return root


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'interlock.db'}"
    upgrade_database(url)
    return url


@pytest.fixture
def desk(catalog_dir: Path, sqlite_url: str) -> Iterator[IncidentDesk]:
    """A desk with the defaults but a flapping guard of 2 alerts or 60 s."""
    engine = create_engine_for(sqlite_url)
    try:
        graph = load_catalog(catalog_dir).graph
        yield IncidentDesk(engine, graph, None, IncidentSettings(min_alerts=2, min_duration_s=60))
    finally:
        engine.dispose()


@pytest.fixture
def settings(catalog_dir: Path, tmp_path: Path) -> Settings:
    return load_settings(
        catalog_dir=catalog_dir, data_dir=tmp_path / "data", environ={}, cwd=tmp_path
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI, in_process_client: Callable[[FastAPI], httpx.Client]) -> httpx.Client:
    """The app in process after its startup (migrate, load the catalog, make the desk)."""
    return in_process_client(app)


@pytest.fixture
def live_server(catalog_dir: Path, tmp_path: Path) -> Iterator[str]:
    """The real server (uvicorn in a thread) on a free 127.0.0.1 port; its base URL."""
    port = free_port()
    settings = load_settings(
        catalog_dir=catalog_dir, data_dir=tmp_path / "live", port=port, environ={}, cwd=tmp_path
    )
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Traffic:
    """Writes calls into a real span store: a CLIENT span in the caller, the SERVER span it
    caused in the callee (so the store sees the edge), the first `errors` of them failed."""

    def __init__(self, store: SQLiteSpanStore) -> None:
        self.store = store
        self._ids = itertools.count(1)

    def calls(
        self,
        caller: str | None,
        callee: str,
        at_s: float,
        count: int,
        errors: int = 0,
        ms: float = 20.0,
    ) -> list[str]:
        """`count` calls at `at_s` (Unix seconds), spread over ten seconds; their trace ids."""
        spans: list[Span] = []
        traces = []
        for n in range(count):
            number = next(self._ids)
            trace_id = f"{number:032x}"
            start = int((at_s + n * 10 / max(count, 1)) * _S)
            end = start + int(ms * 1_000_000)
            status = StatusCode.ERROR if n < errors else StatusCode.UNSET
            server_parent = None
            if caller is not None:
                server_parent = f"{number:015x}a"
                spans.append(
                    Span(trace_id, server_parent, None, f"call {callee}", SpanKind.CLIENT,
                         start, end, caller, status, attributes={"peer.service": callee})
                )  # fmt: skip
            spans.append(
                Span(trace_id, f"{number:015x}b", server_parent, "GET /work", SpanKind.SERVER,
                     start, end, callee, status)
            )  # fmt: skip
            traces.append(trace_id)
        assert self.store.offer_spans(spans)
        assert self.store.flush(30)
        return traces

    def logs(self, service: str, trace_id: str, at_s: float, *bodies: str) -> None:
        """Error log records of `service` in the trace `trace_id`."""
        records = [
            LogRecord(int(at_s * _S), int(at_s * _S), 17, "ERROR", body, service, trace_id)
            for body in bodies
        ]
        assert self.store.offer_logs(records)
        assert self.store.flush(30)


_S = 1_000_000_000


@pytest.fixture
def span_store(tmp_path: Path) -> Iterator[SQLiteSpanStore]:
    """A real SQLite span store under the test's directory."""
    store = SQLiteSpanStore(tmp_path / "spans" / "spans.db")
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def traffic(span_store: SQLiteSpanStore) -> Traffic:
    return Traffic(span_store)


@pytest.fixture
def span_desk(
    catalog_dir: Path, sqlite_url: str, span_store: SQLiteSpanStore
) -> Iterator[IncidentDesk]:
    """A desk that reads the span store: rules, recovery, curves and the RCA work."""
    engine = create_engine_for(sqlite_url)
    try:
        graph = load_catalog(catalog_dir).graph
        settings = IncidentSettings(min_alerts=2, min_duration_s=60)
        yield IncidentDesk(engine, graph, span_store, settings)
    finally:
        engine.dispose()


class Receiver:
    """A real HTTP server on 127.0.0.1 that keeps every JSON body POSTed to it and answers
    GET with `status` (a health endpoint to switch up and down)."""

    def __init__(self) -> None:
        self.bodies: list[tuple[str, Any]] = []
        self.status = 200
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length", "0"))
                owner.bodies.append((self.path, json.loads(self.rfile.read(size))))
                self._answer(200)

            def do_GET(self) -> None:
                self._answer(owner.status)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                """Quiet: the test says what matters."""

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local webhook receiver and health endpoint on a free port."""
    found = Receiver()
    try:
        yield found
    finally:
        found.close()
