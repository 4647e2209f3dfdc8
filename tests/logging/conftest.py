"""Fixtures for the logging standard: restore global logging state, and a real collector."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import structlog
import uvicorn

from interlock.ports import free_port, wait_for_port
from interlock.telemetry import SpanStore, TelemetrySettings, create_collector_app
from interlock.telemetry.intake.collector import collector_store


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """`configure` changes process-wide state; put it back after each test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    structlog.reset_defaults()


@dataclass
class Collector:
    url: str
    store: SpanStore


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Collector]:
    """A real OTLP collector on uvicorn on a free port."""
    app = create_collector_app(TelemetrySettings(data_dir=tmp_path / "data"))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    yield Collector(f"http://127.0.0.1:{port}", collector_store(app))
    server.should_exit = True
    thread.join(timeout=30)
