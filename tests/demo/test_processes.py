"""`interlock.processes`: children start in their own group, report failures, stop entirely."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from interlock.ports import free_port
from interlock.processes import ProcessSet, ProcessSpec, ProcessStartError, wait_healthy


def _wait_for_file(path: Path) -> str:
    deadline = time.monotonic() + 10.0
    while not path.exists() or not path.read_text().strip():
        assert time.monotonic() < deadline, f"{path} was never written"
        time.sleep(0.05)
    return path.read_text().strip()


def test_stop_ends_the_whole_group_even_when_it_ignores_sigterm(
    tmp_path: Path, still_running: Callable[[list[int]], list[int]]
) -> None:
    """A grandchild that ignores SIGTERM is killed with the group after the grace period."""
    pid_file = tmp_path / "grandchild.pid"
    spec = ProcessSpec(
        name="stubborn",
        argv=["sh", "-c", f"trap '' TERM; sleep 300 & echo $! > {pid_file}; wait"],
        log_path=tmp_path / "stubborn.log",
    )
    with ProcessSet() as processes:
        child = processes.start(spec)
        grandchild = int(_wait_for_file(pid_file))
        processes.stop(grace=0.5)

    assert [] == still_running([child.pid, grandchild])


def test_a_child_that_exits_early_is_named_with_its_last_log_lines(tmp_path: Path) -> None:
    spec = ProcessSpec(
        name="broken-service",
        argv=[sys.executable, "-c", "print('boom: DATABASE_URL is not set'); raise SystemExit(3)"],
        log_path=tmp_path / "broken.log",
        health_url=f"http://127.0.0.1:{free_port()}/health",
    )
    with ProcessSet() as processes, pytest.raises(ProcessStartError) as raised:
        wait_healthy([processes.start(spec)], timeout=30)

    message = str(raised.value)
    assert message.startswith("broken-service exited with code 3; last lines of ")
    assert "boom: DATABASE_URL is not set" in message


def test_a_child_that_never_answers_is_named_with_its_health_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/health"
    spec = ProcessSpec(
        name="silent",
        argv=[sys.executable, "-c", "print('starting', flush=True); import time; time.sleep(60)"],
        log_path=tmp_path / "silent.log",
        health_url=url,
    )
    with ProcessSet() as processes, pytest.raises(ProcessStartError) as raised:
        wait_healthy([processes.start(spec)], timeout=0.5)

    assert f"silent did not answer {url} within 0.5s" in str(raised.value)
    assert "    starting" in str(raised.value)


def test_a_missing_program_is_a_clear_error(tmp_path: Path) -> None:
    spec = ProcessSpec("ghost", ["/nonexistent/ghost"], tmp_path / "ghost.log")
    with ProcessSet() as processes, pytest.raises(ProcessStartError, match="ghost: cannot run"):
        processes.start(spec)


def test_a_failure_shows_only_this_runs_log_lines(tmp_path: Path) -> None:
    """Lines an earlier run left in the same log never pass for this run's."""
    log = tmp_path / "server.log"
    log.write_text("ERROR: cannot listen on 127.0.0.1:7878: Address already in use\n")
    spec = ProcessSpec(
        name="server",
        argv=[sys.executable, "-c", "print('catalog not found', flush=True); raise SystemExit(2)"],
        log_path=log,
        health_url=f"http://127.0.0.1:{free_port()}/health",
    )
    with ProcessSet() as processes, pytest.raises(ProcessStartError) as raised:
        wait_healthy([processes.start(spec)], timeout=30)

    assert (
        f"server exited with code 2; last lines of {log} (this run):\n    catalog not found"
    ) == str(raised.value)
    assert "Address already in use" in log.read_text()  # the earlier run's lines are kept


def test_a_silent_failure_says_no_output_even_after_a_noisy_run(tmp_path: Path) -> None:
    log = tmp_path / "quiet.log"
    log.write_text("an earlier run's last words\n")
    spec = ProcessSpec("quiet", [sys.executable, "-c", "raise SystemExit(1)"], log)
    with ProcessSet() as processes:
        child = processes.start(spec)
        child.popen.wait(timeout=30)
    assert f"quiet exited; last lines of {log} (this run):\n    (no output)" == (
        child.describe_failure("exited")
    )
