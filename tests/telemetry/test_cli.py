"""`interlock collector` and `interlock traces` as a user runs them, in real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from interlock.ports import free_port, wait_for_port


def _interlock(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interlock", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.server
def test_collector_receives_and_traces_commands_find_it(tmp_path: Path) -> None:
    port = free_port()
    collector = subprocess.Popen(
        [sys.executable, "-m", "interlock", "collector", "--port", str(port), "--data-dir", "data"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        wait_for_port(port)
        provider = TracerProvider(resource=Resource.create({"service.name": "payments"}))
        provider.add_span_processor(
            SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces"))
        )
        with provider.get_tracer("tests").start_as_current_span(
            "POST /charge", kind=SpanKind.SERVER
        ) as span:
            span.set_attribute("http.route", "/charge")
            span.set_status(Status(StatusCode.ERROR))
            trace_id = format(span.get_span_context().trace_id, "032x")
        provider.shutdown()
    finally:
        collector.send_signal(signal.SIGINT)
        _, errors = collector.communicate(timeout=30)
    assert 0 == collector.returncode, errors

    found = _interlock(
        "traces",
        "search",
        "--service",
        "payments",
        "--status",
        "error",
        "--attr",
        "http.route=/charge",
        "--data-dir",
        "data",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert 0 == found.returncode, found.stderr
    assert [trace_id] == [t["trace_id"] for t in json.loads(found.stdout)]

    shown = _interlock(
        "traces", "show", trace_id, "--data-dir", "data", "--format", "json", cwd=tmp_path
    )
    assert 0 == shown.returncode, shown.stderr
    assert ["POST /charge"] == [s["name"] for s in json.loads(shown.stdout)["spans"]]

    text = _interlock("traces", "show", trace_id, "--data-dir", "data", cwd=tmp_path)
    assert "payments" in text.stdout and "ERROR" in text.stdout


def test_traces_commands_explain_a_missing_store(tmp_path: Path) -> None:
    result = _interlock("traces", "search", "--data-dir", "nowhere", cwd=tmp_path)
    assert 2 == result.returncode
    assert "no span store here" in result.stderr
    assert "Traceback" not in result.stderr


def test_traces_show_rejects_a_malformed_id(tmp_path: Path) -> None:
    result = _interlock("traces", "show", "xyz", cwd=tmp_path)
    assert 2 == result.returncode
    assert "expected 32 hex digits" in result.stderr


def test_traces_search_rejects_a_bad_filter(tmp_path: Path) -> None:
    result = _interlock("traces", "search", "--attr", "novalue", cwd=tmp_path)
    assert 2 == result.returncode
    assert "expected key=value or key~value" in result.stderr
