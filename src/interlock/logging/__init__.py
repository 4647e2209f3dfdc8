"""The structured-logging standard services import, and the checker for their log lines.

`configure(service="orders")` once at start-up; `check_log_lines` for CI and `interlock logs check`.
"""

from __future__ import annotations

from interlock.logging.checker import (
    REQUIRED_KEYS,
    LogCheckReport,
    LogViolation,
    check_log_file,
    check_log_lines,
)
from interlock.logging.standard import SEVERITY_NUMBERS, add_exception, add_trace_context, configure

__all__ = [
    "REQUIRED_KEYS",
    "SEVERITY_NUMBERS",
    "LogCheckReport",
    "LogViolation",
    "add_exception",
    "add_trace_context",
    "check_log_file",
    "check_log_lines",
    "configure",
]
