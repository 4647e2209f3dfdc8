"""The README's tour, run as written: every `sh` block of "## A tour", in order, in one shell.

A command may answer with findings (exit 1, as the rename migration does); none may fail
on its input (exit 2 or more) or print a traceback. What each section shows is checked
in the output, so a tour that runs but shows nothing fails too.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
BIN = Path(sys.executable).parent


def tour_blocks(readme: str) -> list[str]:
    """The `sh` code blocks between "## A tour" and the next second-level heading."""
    start = readme.index("\n## A tour")
    end = readme.index("\n## ", start + 1)
    return re.findall(r"```sh\n(.*?)```", readme[start:end], flags=re.S)


def test_the_tour_has_its_sections() -> None:
    """The extraction sees the tour's blocks (a renamed heading must not make the run empty)."""
    blocks = tour_blocks(README.read_text())
    assert len(blocks) >= 10
    assert "interlock demo --no-story --detach" in blocks[0]
    assert "interlock demo --stop" in blocks[-1]


@pytest.mark.server
@pytest.mark.postgres
def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    """Pasted in order at the repository root, each command works and shows what the README says."""
    (tmp_path / "examples").symlink_to(REPO / "examples")
    script = tmp_path / "tour.sh"
    status = tmp_path / "status.log"
    # Each command's exit status is kept: 1 is a finding, 2 or more a failure.
    script.write_text(
        f"trap 'echo \"$? $BASH_COMMAND\" >> {status}' ERR\n"
        + "\n".join(tour_blocks(README.read_text()))
    )
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "200"}
    env.pop("INTERLOCK_DATA_DIR", None)
    tour = subprocess.Popen(
        ["bash", str(script)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = tour.communicate(timeout=420)
    finally:
        _clean_up(tour, tmp_path, env)
    text = output.decode(errors="replace")
    failed = [
        line
        for line in (status.read_text().splitlines() if status.exists() else [])
        if int(line.split(" ", 1)[0]) >= 2
    ]
    assert [] == failed, text
    assert "Traceback" not in text, text
    for shown in (
        "no findings",  # catalog check
        "3 interaction(s): 3 passed",  # verify against the running inventory
        "breaks gateway",  # the API diff
        "latency_all",  # a fault on a stub (its listing)
        "0.3",  # the latency toxic, timed by curl
        "orders-test",  # env up / status
        "rename",  # lint names the rename
        "can-i-deploy gateway to production: yes",  # the broker's matrix
        "migrate check: fail",  # the rename's checklist
        "apply ok",  # expand/contract applied for real
        "PaymentsErrors",  # the incident
        "Stopped the demo",
    ):
        assert shown in text, f"{shown!r} missing from the tour's output:\n{text}"
    assert list((tmp_path / "recordings").glob("*payments*.json")), text
    assert (tmp_path / "map.svg").read_text().startswith("<svg"), text
    # rca's first suspect, the service whose answers the fault broke
    assert re.search(r"\b1\W+payments\b", text), text


def _clean_up(tour: subprocess.Popen[bytes], cwd: Path, env: dict[str, str]) -> None:
    """Whatever the tour left running when it failed half-way: demo, environment, servers."""
    interlock = str(BIN / "interlock")
    subprocess.run([interlock, "demo", "--stop"], cwd=cwd, env=env, capture_output=True)
    state = cwd / ".interlock" / "envs" / "orders-test"
    if state.exists():
        subprocess.run(
            [interlock, "env", "down", "--state-dir", str(state)],
            cwd=cwd,
            env=env,
            capture_output=True,
        )
    with contextlib.suppress(ProcessLookupError):
        os.killpg(tour.pid, signal.SIGKILL)
    tour.wait()
