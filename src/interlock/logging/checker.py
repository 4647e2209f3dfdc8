"""`interlock logs check`: a service's log lines measured against the logging standard.

Every violation is reported with its line number; nothing is fixed or rewritten.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from interlock.errors import UserInputError

REQUIRED_KEYS = ("timestamp", "severity_text", "severity_number", "body", "service.name")
_SEVERITY_RANGES = {"TRACE": (1, 4), "DEBUG": (5, 8), "INFO": (9, 12), "WARN": (13, 16), "ERROR": (17, 20), "FATAL": (21, 24)}  # fmt: skip
_ALIASES = {"WARNING": "WARN", "CRITICAL": "FATAL", "INFORMATION": "INFO", "ERR": "ERROR"}
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_HEX = {"trace_id": re.compile(r"^[0-9a-f]{32}$"), "span_id": re.compile(r"^[0-9a-f]{16}$")}
_SECRET_WORDS = {"password", "passwd", "secret", "token", "apikey", "authorization",
                 "cookie", "credential", "credentials", "privatekey", "accesskey", "secretkey", "ssn",
                 "jwt", "bearer", "passphrase", "sessionid", "setcookie"}  # fmt: skip
_WORD_SPLIT = re.compile(r"[._\-\s]+|(?<=[a-z0-9])(?=[A-Z])")
_SECRET_VALUE = re.compile(
    r"^(Bearer|Basic)\s+\S{8,}|^eyJ[\w-]{8,}\.[\w-]{8,}\.|-----BEGIN [A-Z ]*PRIVATE KEY-----"
)


@dataclass(frozen=True)
class LogViolation:
    """One way one line breaks the standard."""

    line: int
    message: str


@dataclass
class LogCheckReport:
    """Every violation found in one source, and how many lines were read."""

    source: str
    lines: int = 0
    violations: list[LogViolation] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.violations else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "lines": self.lines,
            "violations": [{"line": v.line, "message": v.message} for v in self.violations],
        }


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _is_secret_key(key: str) -> bool:
    """The key's last word (`user.password`, `access_token`, `apiKey`) names a credential."""
    words = [w.lower() for w in _WORD_SPLIT.split(key) if w]
    if not words:
        return False
    return words[-1] in _SECRET_WORDS or "".join(words[-2:]) in _SECRET_WORDS


def _flatten(obj: dict[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in obj.items():
        path = f"{prefix}{key}"
        yield path, value
        if isinstance(value, dict):
            yield from _flatten(value, f"{path}.")


class _Checker:
    def __init__(self, source: str) -> None:
        self.report = LogCheckReport(source)
        self.types: dict[str, tuple[str, int]] = {}  # key -> (JSON type, first line)

    def fail(self, line: int, message: str) -> None:
        self.report.violations.append(LogViolation(line, message))

    def check(self, number: int, text: str) -> None:
        self.report.lines += 1
        if not text.strip():
            self.fail(number, "empty line: expected one JSON object per line")
            return
        try:
            record = json.loads(text)
        except ValueError as error:
            self.fail(number, f"not JSON ({error.args[0] if error.args else error})")
            return
        if not isinstance(record, dict):
            self.fail(number, f"expected a JSON object, got {_json_type(record)}")
            return
        missing = [key for key in REQUIRED_KEYS if key not in record]
        if missing:
            self.fail(number, f"missing required key(s): {', '.join(missing)}")
        self._timestamp(number, record.get("timestamp"))
        self._severity(number, record.get("severity_text"), record.get("severity_number"))
        self._ids(number, record)
        if "service.name" in record and (
            not isinstance(record["service.name"], str) or not record["service.name"]
        ):
            self.fail(number, "service.name: expected a non-empty string")
        if "attributes" in record and not isinstance(record["attributes"], dict):
            self.fail(
                number, f"attributes: expected an object, got {_json_type(record['attributes'])}"
            )
        for key, value in _flatten(record):
            self._stable_type(number, key, value)
            if _is_secret_key(key):
                self.fail(
                    number,
                    f"{key}: looks like a secret; never log credentials (redact or drop the key)",
                )
            elif isinstance(value, str) and _SECRET_VALUE.search(value):
                self.fail(
                    number,
                    f"{key}: the value looks like a credential (bearer token, JWT or private key)",
                )

    def _timestamp(self, number: int, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, str) or not _RFC3339.match(value):
            self.fail(
                number, f"timestamp {value!r}: expected RFC 3339, e.g. 2026-01-31T12:00:00.123Z"
            )
            return
        try:
            stamp = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            self.fail(number, f"timestamp {value!r}: not a real date and time")
            return
        if stamp.utcoffset() != timedelta(0):
            self.fail(number, f"timestamp {value!r}: expected UTC (Z or +00:00)")

    def _severity(self, number: int, text: Any, value: Any) -> None:
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 24
        ):
            self.fail(number, f"severity_number {value!r}: expected an integer from 1 to 24")
            value = None
        if text is None:
            return
        if not isinstance(text, str):
            self.fail(number, f"severity_text {text!r}: expected a string")
            return
        name = _ALIASES.get(text.upper(), text.upper())
        span = _SEVERITY_RANGES.get(name)
        if span is None:
            self.fail(
                number, f"severity_text {text!r}: expected one of {', '.join(_SEVERITY_RANGES)}"
            )
        elif value is not None and not span[0] <= value <= span[1]:
            self.fail(
                number,
                f"severity_text {text!r} and severity_number {value} disagree: {name} is {span[0]}-{span[1]}",
            )

    def _ids(self, number: int, record: dict[str, Any]) -> None:
        for key, pattern in _HEX.items():
            value = record.get(key)
            if value is None:
                continue
            if not isinstance(value, str) or not pattern.match(value) or not value.strip("0"):
                digits = 32 if key == "trace_id" else 16
                self.fail(
                    number, f"{key} {value!r}: expected {digits} lowercase hex digits, not all zero"
                )
        if "span_id" in record and "trace_id" not in record:
            self.fail(number, "span_id without trace_id")

    def _stable_type(self, number: int, key: str, value: Any) -> None:
        if value is None:
            return
        kind = _json_type(value)
        seen = self.types.setdefault(key, (kind, number))
        if seen[0] != kind:
            self.fail(
                number,
                f"{key}: was {seen[0]} on line {seen[1]}, is {kind} here (keep one type per key)",
            )


def check_log_lines(lines: Iterable[str], source: str = "<lines>") -> LogCheckReport:
    """Check `lines` (one record each) against the standard."""
    checker = _Checker(source)
    for number, text in enumerate(lines, start=1):
        checker.check(number, text.rstrip("\r\n"))
    return checker.report


def check_log_file(path: str) -> LogCheckReport:
    """Check a file of log lines, or standard input when `path` is `-`."""
    if path == "-":
        return check_log_lines(sys.stdin, "<stdin>")
    file = Path(path)
    if not file.is_file():
        raise UserInputError(f"{path}: no such file")
    try:
        with file.open(encoding="utf-8") as handle:
            return check_log_lines(handle, path)
    except UnicodeDecodeError as error:
        raise UserInputError(
            f"{path}: not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None
