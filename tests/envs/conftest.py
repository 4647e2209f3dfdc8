"""Fixtures for the environment tests: writing environment files, running `interlock env`.

The CLI runs as a real child process, as a user runs it, so the pieces it starts are
detached from the test process exactly as they are in use.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from interlock.processes import live_group_members

REPO = Path(__file__).resolve().parents[2]
SHOP = REPO / "examples" / "shop"

EnvCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def write_env(tmp_path: Path) -> Callable[[str], Path]:
    """Write an environment file into the test's directory; `{shop}` is the example shop."""

    def write(text: str) -> Path:
        path = tmp_path / "interlock-env.yaml"
        path.write_text(text.replace("{shop}", str(SHOP)), encoding="utf-8")
        return path

    return write


@pytest.fixture
def env_cli(tmp_path: Path) -> Iterator[EnvCli]:
    """Run `python -m interlock env ...` in the test's directory; tears down what stays up."""
    state_dir = tmp_path / "state"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "interlock", "env", *args, "--state-dir", str(state_dir)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
        )

    yield run
    if (state_dir / "state.json").exists():  # a failed test must not leave servers behind
        run("down")


@pytest.fixture
def live_pieces() -> Callable[[dict[str, object]], list[str]]:
    """Names of the recorded pieces that still have a running process or a data directory."""

    def check(state: dict[str, object]) -> list[str]:
        alive = []
        for piece in state["pieces"]:  # type: ignore[attr-defined]
            if piece.get("pgid") and live_group_members(piece["pgid"]):
                alive.append(piece["name"])
            if piece.get("base_dir") and Path(piece["base_dir"]).exists():
                alive.append(piece["name"])
        return alive

    return check


def read_json(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_text())
    return data


@pytest.fixture
def state_json() -> Callable[[Path], dict[str, object]]:
    return read_json
