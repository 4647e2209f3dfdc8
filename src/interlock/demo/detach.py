"""`interlock demo --detach` and `--stop`: the demo as a background process, for scripts and tours.

The detached demo is the same `interlock demo` command run in its own session with its
output in DATA_DIR/logs/demo.log; it is ready once it has written DATA_DIR/demo.json,
which names its pid. `--stop` sends it SIGTERM, and it stops everything it started.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from interlock.demo.shop import STATE_FILE, DemoRun, Endpoint
from interlock.errors import UserInputError
from interlock.processes import (
    ProcessSpec,
    ProcessStartError,
    live_group_members,
    process_start_time,
    start_process,
    stop_process_groups,
)

DETACHED_LOG = "demo.log"


def start_detached(args: Sequence[str], data_dir: Path, timeout: float) -> DemoRun:
    """Run `interlock demo ARGS` in the background; return once every process answers.

    Raises `ProcessStartError` with the last lines of its log when it exits or is not
    ready within `timeout` seconds (then it is stopped: nothing is left running).
    """
    data_dir = data_dir.resolve()
    running = read_state(data_dir)
    if running is not None and _alive(running):
        raise UserInputError(
            f"a demo already runs from {data_dir} (pid {running['pid']}); "
            f"stop it with `interlock demo --stop --data-dir {data_dir}`"
        )
    (data_dir / STATE_FILE).unlink(missing_ok=True)
    child = start_process(
        ProcessSpec(
            name="the detached demo",
            argv=[sys.executable, "-m", "interlock", "demo", "--data-dir", str(data_dir), *args],
            log_path=data_dir / "logs" / DETACHED_LOG,
        )
    )
    deadline = time.monotonic() + timeout
    while True:
        state = read_state(data_dir)
        if state is not None and state.get("pid") == child.pid:
            return run_from_state(state, data_dir / STATE_FILE, data_dir)
        if not child.running:
            raise ProcessStartError(
                child.describe_failure(f"exited with code {child.popen.returncode}")
            )
        if time.monotonic() > deadline:
            stop_process_groups([child.pid], grace=30.0)
            raise ProcessStartError(child.describe_failure(f"did not answer within {timeout:g} s"))
        time.sleep(0.1)


def stop_detached(data_dir: Path, grace: float = 60.0) -> int | None:
    """Stop the demo running from `data_dir`: its pid, or None when none runs."""
    state = read_state(data_dir.resolve())
    if state is None or not _alive(state):
        return None
    pid = state["pid"]
    assert isinstance(pid, int)  # _alive checked it
    stop_process_groups([pid], grace=grace)
    return pid


def read_state(data_dir: Path) -> dict[str, object] | None:
    """DATA_DIR/demo.json as written by a running demo, or None when there is none."""
    try:
        state = json.loads((data_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def run_from_state(state: dict[str, object], state_file: Path, data_dir: Path) -> DemoRun:
    """The `DemoRun` a demo.json describes."""
    processes = state.get("processes")
    endpoints = [Endpoint(**entry) for entry in processes] if isinstance(processes, list) else []
    stubbed = state.get("stubbed")
    return DemoRun(
        str(state.get("dashboard", "")),
        endpoints,
        state_file,
        list(stubbed) if isinstance(stubbed, list) else [],
        data_dir,
    )


def _alive(state: dict[str, object]) -> bool:
    """The demo that wrote `state` still runs (the same process, not a reused pid)."""
    pid = state.get("pid")
    if not isinstance(pid, int) or not live_group_members(pid):
        return False
    started = state.get("started")
    return started is None or started == process_start_time(pid)
