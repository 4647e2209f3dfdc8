"""Fixtures for the demo tests: telling whether a process still runs, from /proc."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest


def _running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie (a zombie has already stopped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def still_running() -> Callable[[list[int]], list[int]]:
    """Which of these pids still run, after giving a just-killed process a moment to die."""

    def check(pids: list[int]) -> list[int]:
        deadline = time.monotonic() + 5.0
        while any(_running(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        return [pid for pid in pids if _running(pid)]

    return check
