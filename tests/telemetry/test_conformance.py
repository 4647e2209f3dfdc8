"""The OTLP/JSON examples published with opentelemetry-proto are accepted as they are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.server


def test_trace_example_is_accepted_and_stored(collector: Any, conformance_dir: Path) -> None:
    body = (conformance_dir / "trace.json").read_bytes()
    response = httpx.post(
        f"{collector.url}/v1/traces", content=body, headers={"Content-Type": "application/json"}
    )
    assert 200 == response.status_code
    assert {} == response.json()
    collector.store.flush()
    [span] = collector.store.get_trace("5b8efff798038103d269b633813fc60c")
    assert ("my.service", "I'm a server span", 1000.0) == (
        span.service,
        span.name,
        span.duration_ms,
    )
    assert "eee19b7ec3c1b173" == span.parent_span_id


@pytest.mark.parametrize("name", ["logs.json", "events.json"])
def test_log_examples_are_accepted_and_stored(
    collector: Any, conformance_dir: Path, name: str
) -> None:
    body = (conformance_dir / name).read_bytes()
    response = httpx.post(
        f"{collector.url}/v1/logs", content=body, headers={"Content-Type": "application/json"}
    )
    assert 200 == response.status_code
    assert {} == response.json()
    collector.store.flush()
    assert 1 == collector.store.counters.logs_stored


def test_log_example_keeps_typed_attributes(collector: Any, conformance_dir: Path) -> None:
    body = (conformance_dir / "logs.json").read_bytes()
    httpx.post(
        f"{collector.url}/v1/logs", content=body, headers={"Content-Type": "application/json"}
    )
    collector.store.flush()
    [record] = collector.store.logs_for_trace("5b8efff798038103d269b633813fc60c")
    assert "Example log record" == record.body
    assert (10, True, 637.704) == (
        record.attributes["int.attribute"],
        record.attributes["boolean.attribute"],
        record.attributes["double.attribute"],
    )
    assert "eee19b7ec3c1b174" == record.span_id
