"""`interlock demo` as a user runs it: it starts everything, the shop answers, Ctrl-C stops all."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from interlock.ports import free_port

pytestmark = pytest.mark.server


def _wait_for_state(path: Path, demo: subprocess.Popen[bytes], output: Path) -> dict[str, Any]:
    """demo.json, written once every process answered; fails early if the demo exits."""
    deadline = time.monotonic() + 120.0
    while not path.exists():
        assert demo.poll() is None, f"demo exited with {demo.returncode}:\n{output.read_text()}"
        assert time.monotonic() < deadline, f"demo never got ready:\n{output.read_text()}"
        time.sleep(0.1)
    state: dict[str, Any] = json.loads(path.read_text())
    return state


def _environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def _processes_mentioning(text: str) -> list[int]:
    """Pids whose command line or environment contains `text` (e.g. the demo's data dir)."""
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


def test_demo_runs_the_shop_and_ctrl_c_leaves_no_process(
    tmp_path: Path, still_running: Callable[[list[int]], list[int]]
) -> None:
    port, data_dir, output = free_port(), tmp_path / "demo", tmp_path / "demo.out"
    command = [sys.executable, "-m", "interlock", "demo", "--data-dir", str(data_dir)]
    with output.open("wb") as out:
        demo = subprocess.Popen(
            [
                *command,
                "--port",
                str(port),
                "--no-browser-hint",
                "--shop-ports",
                "auto",
                "--no-story",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our SIGINT reaches the demo alone, as Ctrl-C would
        )
    try:
        state = _wait_for_state(data_dir / "demo.json", demo, output)
        urls = {p["name"]: p["url"] for p in state["processes"]}
        pids = [p["pid"] for p in state["processes"]]

        assert f"http://127.0.0.1:{port}" == state["dashboard"]
        assert 200 == httpx.get(f"{state['dashboard']}/").status_code
        for name in ("gateway", "orders", "payments", "inventory"):
            assert 200 == httpx.get(f"{urls[name]}/health").status_code, name
            endpoint = _environment(next(p["pid"] for p in state["processes"] if p["name"] == name))
            assert state["dashboard"] == endpoint["OTEL_EXPORTER_OTLP_ENDPOINT"], name
        placed = httpx.post(f"{urls['gateway']}/orders", json={"product_id": 1, "quantity": 1})
        assert 201 == placed.status_code, placed.text

        demo.send_signal(signal.SIGINT)
        returncode = demo.wait(timeout=60)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()

    printed = output.read_text()
    assert 0 == returncode, printed
    assert f"Dashboard: http://127.0.0.1:{port}" in printed
    assert [] == still_running(pids)
    assert [] == still_running(_processes_mentioning(str(data_dir)))


def test_demo_names_what_did_not_come_up(tmp_path: Path) -> None:
    """A port already taken by something else: the server cannot start, the demo says so."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "interlock",
                "demo",
                "--data-dir",
                str(tmp_path),
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert 2 == result.returncode, result.stdout + result.stderr
    assert "interlock server" in result.stderr
    assert "last lines of" in result.stderr
