"""`interlock rca` on a real store in a data dir: in process through Typer, and once as a subprocess."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from interlock.cli.main import app
from interlock.errors import UserInputError
from interlock.telemetry import Span, SpanKind, SQLiteSpanStore, StatusCode, TelemetrySettings
from interlock.telemetry.rca.diagnose import format_time

_MS = 1_000_000
_S = 1_000_000_000
START = (time.time_ns() // _S - 3600) * _S
"""An hour ago, on a whole second: recent enough for the store's retention."""
_ids = itertools.count(1)
runner = CliRunner()


def _order(at: int, payments_error: bool = False, payments_ms: float = 5.0) -> list[Span]:
    """gateway → orders → payments, SERVER spans only, starting at `at` (Unix ns)."""
    trace_id = f"{next(_ids):032x}"
    ids = [f"{next(_ids):016x}" for _ in range(3)]
    status = StatusCode.ERROR if payments_error else StatusCode.UNSET
    inner = int(payments_ms * _MS)
    shape = [
        ("gateway", "POST /orders", None, 0, inner + 6 * _MS),
        ("orders", "POST /orders", ids[0], 1 * _MS, inner + 5 * _MS),
        ("payments", "POST /payments", ids[1], 2 * _MS, inner + 2 * _MS),
    ]
    return [
        Span(
            trace_id, span_id, parent, name, SpanKind.SERVER, at + start, at + end, service, status
        )
        for span_id, (service, name, parent, start, end) in zip(ids, shape, strict=True)
    ]


def _fill(data_dir: Path, start: int, faulty: bool = True) -> list[list[Span]]:
    """20 healthy traces in the minute from `start`, 20 in the next (every other one failing)."""
    traces = [_order(start + i * 3 * _S) for i in range(20)]
    traces += [
        _order(start + 60 * _S + i * 3 * _S, payments_error=faulty and i % 2 == 0)
        for i in range(20)
    ]
    settings = TelemetrySettings(data_dir=data_dir)
    store = SQLiteSpanStore(settings.spans_path, settings)
    store.offer_spans([s for t in traces for s in t])
    store.close()
    return traces


def _rca(data_dir: Path, *args: str) -> Result:
    return runner.invoke(app, ["rca", "--data-dir", str(data_dir), *args])


def _at(offset_s: int) -> str:
    """START + `offset_s` in RFC 3339."""
    return format_time(START + offset_s * _S)


WINDOW = ("--start", _at(60), "--end", _at(120))


def test_window_json_names_the_failing_service_with_evidence(tmp_path: Path) -> None:
    """Suspects found are findings: exit 1, with the ranking."""
    _fill(tmp_path, START)
    done = _rca(tmp_path, *WINDOW, "--format", "json")
    assert 1 == done.exit_code, done.output
    report = json.loads(done.output)
    assert (20, 10, 20) == (report["traces"], report["failed_traces"], report["baseline"]["traces"])
    top = report["suspects"][0]
    assert ("payments", "POST /payments", 10, 10) == (
        top["service"],
        top["operation"],
        top["failed_traces"],
        top["blamed_traces"],
    )
    assert "payments" == report["services"][0]["service"]


def test_window_text_shows_the_ranking(tmp_path: Path) -> None:
    _fill(tmp_path, START)
    done = _rca(tmp_path, *WINDOW)
    assert 1 == done.exit_code, done.output
    assert "10 failed" in done.output
    assert "payments" in done.output


def test_healthy_window_exits_0(tmp_path: Path) -> None:
    """Nothing failed in the window: exit 0, 'nothing looks wrong'."""
    _fill(tmp_path, START, faulty=False)
    done = _rca(tmp_path, *WINDOW)
    assert 0 == done.exit_code, done.output
    assert "nothing looks wrong" in done.output


def test_since_reads_the_recent_window_and_the_one_before(tmp_path: Path) -> None:
    """--since 1m: the last minute against the minute before it."""
    _fill(tmp_path, time.time_ns() - 119 * _S)
    done = _rca(tmp_path, "--since", "1m", "--format", "json")
    assert 1 == done.exit_code, done.output
    assert "payments" == json.loads(done.output)["services"][0]["service"]


def test_trace_names_the_root_cause_span(tmp_path: Path) -> None:
    traces = _fill(tmp_path, START)
    failing = traces[20]
    done = _rca(tmp_path, "--trace", failing[0].trace_id, "--format", "json")
    assert 1 == done.exit_code, done.output
    report = json.loads(done.output)
    assert (failing[2].span_id, "payments") == (
        report["culprit"]["span_id"],
        report["culprit"]["service"],
    )
    text = _rca(tmp_path, "--trace", failing[0].trace_id)
    assert "probable root cause: payments POST /payments" in text.output


def test_healthy_trace_exits_0(tmp_path: Path) -> None:
    """A healthy trace is no finding: exit 0."""
    traces = _fill(tmp_path, START)
    done = _rca(tmp_path, "--trace", traces[21][0].trace_id)
    assert 0 == done.exit_code, done.output
    assert "healthy" in done.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--trace", "ab" * 16), f"trace {'ab' * 16}: not found"),
        (("--trace", "xyz"), "expected 32 hex digits"),
        (("--start", "yesterday", "--end", _at(120)), "--start 'yesterday'"),
        (("--start", _at(120)), "--start and --end go together"),
        (("--since", "soon"), "expected a duration"),
        ((), "exactly one of --trace"),
        (("--since", "5m", "--baseline-start", _at(120)), "go together"),
        (("--start", _at(120).removesuffix("Z"), "--end", _at(180)), "with a zone"),
    ],
)
def test_bad_input_is_a_user_error(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    """Each mistake is a UserInputError with one clear message (main() prints it, exit 2)."""
    _fill(tmp_path, START)
    done = _rca(tmp_path, *args)
    assert isinstance(done.exception, UserInputError)
    assert message in str(done.exception)


def test_missing_store_exits_2_without_traceback(tmp_path: Path) -> None:
    """As a user runs it: one line on stderr, exit 2."""
    done = subprocess.run(
        [sys.executable, "-m", "interlock", "rca", "--since", "15m", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert 2 == done.returncode
    assert "no span store here" in done.stderr
    assert "Traceback" not in done.stderr
