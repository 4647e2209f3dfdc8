"""Child processes that Interlock runs for a while: the demo's services, an environment's pieces.

Each child gets its own process group, so stopping it also stops whatever it started;
a health URL tells when it is ready, and its log file tells why when it is not.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from interlock.errors import InterlockError

LOG_TAIL_LINES = 15


class ProcessStartError(InterlockError):
    """A child did not become healthy in time, or exited; the message carries its log tail."""


@dataclass(frozen=True)
class ProcessSpec:
    """How to start one child and how to tell that it is ready.

    `env` is added to this process's environment; `health_url` is ready when it answers
    2xx or 3xx (no URL: ready as soon as it runs); output goes to `log_path`.
    """

    name: str
    argv: Sequence[str]
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    health_url: str | None = None


@dataclass
class ChildProcess:
    """A started child: its spec and its `Popen`; the pid is also its process group id.

    `log_offset` is where this run's output starts in the log: earlier runs' lines stay in
    the file for whoever reads it, and never pass for this run's in an error.
    """

    spec: ProcessSpec
    popen: subprocess.Popen[bytes]
    log_offset: int = 0

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> list[str]:
        """The last lines the child wrote in this run (stdout and stderr together)."""
        try:
            with self.spec.log_path.open("rb") as log:
                size = log.seek(0, os.SEEK_END)
                log.seek(self.log_offset if self.log_offset <= size else 0)  # truncated meanwhile
                text = log.read().decode(errors="replace")
        except OSError:
            return []
        return text.splitlines()[-lines:]

    def describe_failure(self, what: str) -> str:
        tail = self.log_tail()
        shown = "\n".join(f"    {line}" for line in tail) if tail else "    (no output)"
        return f"{self.spec.name} {what}; last lines of {self.spec.log_path} (this run):\n{shown}"


def start_process(spec: ProcessSpec) -> ChildProcess:
    """Start `spec` in a new session (its own process group), output appended to its log."""
    spec.log_path.parent.mkdir(parents=True, exist_ok=True)
    with spec.log_path.open("ab") as log:
        offset = log.seek(0, os.SEEK_END)
        try:
            popen = subprocess.Popen(
                list(spec.argv),
                cwd=spec.cwd,
                env={**os.environ, **spec.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as error:
            raise ProcessStartError(f"{spec.name}: cannot run {spec.argv[0]!r}: {error}") from error
    return ChildProcess(spec, popen, offset)


def _is_healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code < 400
    except httpx.HTTPError:
        return False


def wait_healthy(children: Sequence[ChildProcess], timeout: float = 30.0) -> None:
    """Block until every child's health URL answers; raise naming the first that does not."""
    waiting = list(children)
    deadline = time.monotonic() + timeout
    while waiting:
        for child in list(waiting):
            if not child.running:
                raise ProcessStartError(
                    child.describe_failure(f"exited with code {child.popen.returncode}")
                )
            if child.spec.health_url is None or _is_healthy(child.spec.health_url):
                waiting.remove(child)
        if waiting and time.monotonic() > deadline:
            child = waiting[0]
            raise ProcessStartError(
                child.describe_failure(
                    f"did not answer {child.spec.health_url} within {timeout:g}s"
                )
            )
        if waiting:
            time.sleep(0.1)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    # ProcessLookupError: the whole group has already gone.
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def stop_processes(children: Sequence[ChildProcess], grace: float = 5.0) -> None:
    """SIGTERM every child's group, wait up to `grace` seconds, then SIGKILL what is left."""
    for child in children:
        _signal_group(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children:
        with suppress(subprocess.TimeoutExpired):
            child.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
    for child in children:
        # Also reaches grandchildren that outlived a leader which exited by itself.
        _signal_group(child.pid, signal.SIGKILL)
        child.popen.wait()


class ProcessSet:
    """Children started together and stopped together (newest first), also on errors."""

    def __init__(self) -> None:
        self.children: list[ChildProcess] = []

    def start(self, spec: ProcessSpec) -> ChildProcess:
        child = start_process(spec)
        self.children.append(child)
        return child

    def stop(self, grace: float = 5.0) -> None:
        """Stop every child; a second Ctrl-C meanwhile cannot cut the clean-up short."""
        with _signals_ignored():
            stop_processes(list(reversed(self.children)), grace)

    def wait_for_exit(self) -> ChildProcess:
        """Block until one child exits by itself (Ctrl-C raises KeyboardInterrupt first)."""
        while True:
            for child in self.children:
                if not child.running:
                    return child
            time.sleep(0.2)

    def __enter__(self) -> ProcessSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def _signals_ignored() -> Iterator[None]:
    if not _in_main_thread():  # only the main thread may change signal handlers
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Inside the block SIGTERM raises KeyboardInterrupt, like Ctrl-C, so clean-up runs."""
    if not _in_main_thread():
        yield
        return
    previous: Any = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def process_start_time(pid: int) -> int | None:
    """When `pid` started (clock ticks since boot, from /proc), to tell it from a reused pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: fields are counted after its closing paren.
    return int(stat.rsplit(")", 1)[1].split()[19])


def live_group_members(pgid: int) -> list[int]:
    """Pids of the processes of group `pgid` that still run (zombies do not count)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _reap(pid: int) -> None:
    # Our own child (started in this process) must be waited for, or it stays a zombie.
    with suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def stop_process_groups(pgids: Sequence[int], grace: float = 5.0) -> None:
    """Stop detached children known only by their group id (recorded by another process).

    SIGTERM each group, wait up to `grace` seconds for every member to exit, then SIGKILL
    what is left; returns once no member of any group runs.
    """
    for pgid in pgids:
        _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    remaining = list(pgids)
    while remaining and time.monotonic() < deadline:
        for pgid in remaining:
            _reap(pgid)
        remaining = [p for p in remaining if live_group_members(p)]
        if remaining:
            time.sleep(0.05)
    for pgid in remaining:
        _signal_group(pgid, signal.SIGKILL)
    for pgid in remaining:
        while live_group_members(pgid):
            _reap(pgid)
            time.sleep(0.02)
        _reap(pgid)
