"""Fixtures for the demo tests: running `interlock demo`, and telling what still runs, from /proc."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from interlock.ports import free_port


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


@dataclass
class DemoProcess:
    """`interlock demo` running in its own session, its output in a file."""

    popen: subprocess.Popen[bytes]
    data_dir: Path
    output: Path
    port: int

    def printed(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_for(self, ready: Callable[[], bool], what: str, timeout: float = 180.0) -> None:
        """Poll `ready`; fail early (with the demo's output) if the demo exits or time runs out."""
        deadline = time.monotonic() + timeout
        while not ready():
            assert self.popen.poll() is None, (
                f"demo exited with {self.popen.returncode}:\n{self.printed()}"
            )
            assert time.monotonic() < deadline, f"{what} never happened:\n{self.printed()}"
            time.sleep(0.2)

    def state(self) -> dict[str, Any]:
        self.wait_for((self.data_dir / "demo.json").exists, "demo.json")
        state: dict[str, Any] = json.loads((self.data_dir / "demo.json").read_text())
        return state

    def story(self) -> dict[str, Any]:
        path = self.data_dir / "story.json"
        if not path.exists():
            return {}
        story: dict[str, Any] = json.loads(path.read_text())  # replaced whole, never half
        return story

    def interrupt(self) -> int:
        """Ctrl-C, as a user would press it; the exit code."""
        self.popen.send_signal(signal.SIGINT)
        return self.popen.wait(timeout=90)


@pytest.fixture
def start_demo(tmp_path: Path) -> Iterator[Callable[..., DemoProcess]]:
    """Start `interlock demo ARGS...` on a free port with its data under tmp_path."""
    started: list[DemoProcess] = []

    def start(*args: str) -> DemoProcess:
        port, data_dir = free_port(), tmp_path / f"demo{len(started)}"
        output = tmp_path / f"demo{len(started)}.out"
        command = [sys.executable, "-m", "interlock", "demo", "--data-dir", str(data_dir)]
        with output.open("wb") as out:
            popen = subprocess.Popen(
                [*command, "--port", str(port), "--no-browser-hint", "--shop-ports", "auto", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # our SIGINT reaches the demo alone, as Ctrl-C would
                env={**os.environ, "COLUMNS": "250"},  # one story line per line
            )
        started.append(DemoProcess(popen, data_dir, output, port))
        return started[-1]

    yield start
    for demo in started:
        if demo.popen.poll() is None:
            os.killpg(demo.popen.pid, signal.SIGKILL)
            demo.popen.wait()


@pytest.fixture
def processes_mentioning() -> Callable[[str], list[int]]:
    """Pids whose command line or environment contains a text (e.g. the demo's data dir)."""

    def find(text: str) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                blob = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
            except OSError:
                continue  # gone meanwhile, or not ours
            if text.encode() in blob:
                found.append(int(entry.name))
        return found

    return find
