"""`interlock logs check`: violations of the logging standard, each with its line number."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from interlock.logging import check_log_lines

GOOD: dict[str, Any] = {
    "timestamp": "2026-01-31T12:00:00.123Z",
    "severity_text": "INFO",
    "severity_number": 9,
    "body": "order placed",
    "service.name": "orders",
    "trace_id": "0af7651916cd43dd8448eb211c80319c",
    "span_id": "b7ad6b7169203331",
    "attributes": {"order_id": 3},
}


def _check(*records: Any) -> list[tuple[int, str]]:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    return [(v.line, v.message) for v in check_log_lines(lines).violations]


def test_good_lines_have_no_violations() -> None:
    assert [] == _check(GOOD, {**GOOD, "severity_text": "ERROR", "severity_number": 17})


def test_non_json_and_non_object_lines() -> None:
    found = _check(GOOD, "plain text", "[1, 2]", "")
    assert [2, 3, 4] == [line for line, _ in found]
    assert "not JSON" in found[0][1]


def test_missing_required_keys_are_named() -> None:
    record = {k: v for k, v in GOOD.items() if k not in ("body", "service.name")}
    assert [(1, "missing required key(s): body, service.name")] == _check(record)


def test_timestamps_must_be_rfc3339_utc() -> None:
    found = _check(
        {**GOOD, "timestamp": "31/01/2026 12:00"},
        {**GOOD, "timestamp": "2026-01-31T12:00:00+02:00"},
    )
    assert [1, 2] == [line for line, _ in found]
    assert "expected UTC" in found[1][1]


def test_ids_must_be_hex_of_the_right_length() -> None:
    found = _check({**GOOD, "trace_id": "abc"}, {**GOOD, "span_id": "B7AD6B7169203331"})
    assert [1, 2] == [line for line, _ in found]
    assert "trace_id 'abc'" in found[0][1]


def test_severity_text_and_number_must_agree() -> None:
    found = _check(
        {**GOOD, "severity_text": "ERROR"},
        {**GOOD, "severity_number": 99},
        {**GOOD, "severity_text": "LOUD"},
    )
    assert [1, 2, 3] == [line for line, _ in found]
    assert "disagree" in found[0][1]


def test_types_must_be_stable_across_lines() -> None:
    found = _check(GOOD, {**GOOD, "attributes": {"order_id": "3"}})
    assert [
        (2, "attributes.order_id: was number on line 1, is string here (keep one type per key)")
    ] == found


def test_secret_looking_keys_and_values_are_flagged() -> None:
    found = _check(
        {**GOOD, "attributes": {"user.password": "x"}},
        {**GOOD, "attributes": {"apiKey": "x"}},
        {**GOOD, "attributes": {"header": "Bearer abcdefghijklmnop"}},
        {**GOOD, "attributes": {"token_count": 3, "tokens": 4}},
    )
    assert [1, 2, 3] == [line for line, _ in found]


def _interlock(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interlock", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_exits_1_on_violations_and_lists_them(tmp_path: Path) -> None:
    path = tmp_path / "orders.log"
    path.write_text(json.dumps(GOOD) + "\nnot json\n")
    result = _interlock("logs", "check", str(path))
    assert 1 == result.returncode
    assert f"{path}:2: not JSON" in result.stdout


def test_cli_reads_stdin_and_gives_json(tmp_path: Path) -> None:
    result = _interlock("logs", "check", "-", "--format", "json", stdin=json.dumps(GOOD) + "\n")
    assert 0 == result.returncode
    assert {"source": "<stdin>", "lines": 1, "violations": []} == json.loads(result.stdout)


def test_cli_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = _interlock("logs", "check", str(tmp_path / "nope.log"))
    assert 2 == result.returncode
    assert "no such file" in result.stderr
