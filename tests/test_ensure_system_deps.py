"""`scripts/ensure-system-deps`: apt-get waits for a lock another process holds, and says so.

The script's `apt_get` runs against a stand-in `apt-get` on PATH that refuses as apt does.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "ensure-system-deps"
LOCKED = "Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)"


def _apt_get(
    tmp_path: Path, refusals: int, error: str = LOCKED, **env: str
) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run the script's `apt_get update` with an apt-get that fails `refusals` times first."""
    calls = tmp_path / "calls"
    fake = tmp_path / "bin" / "apt-get"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {calls}\n'
        f"if [ $(wc -l < {calls}) -le {refusals} ]; then\n"
        f'  echo "E: {error}" >&2; exit 100\n'
        "fi\n"
    )
    fake.chmod(0o755)
    result = subprocess.run(
        ["bash", "-c", f"set -euo pipefail; source {SCRIPT}; apt_get update"],
        env={**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result, len(calls.read_text().splitlines())


def test_apt_get_waits_for_a_held_lock_and_says_which(tmp_path: Path) -> None:
    """Refused twice for the lists lock, it tries again until apt-get runs, saying so once."""
    result, calls = _apt_get(tmp_path, refusals=2)
    assert (0, 3) == (result.returncode, calls), result.stderr
    assert f"waiting for the apt lock held by another process… ({LOCKED})\n" == result.stderr


def test_apt_get_gives_up_once_the_wait_is_over(tmp_path: Path) -> None:
    result, _ = _apt_get(tmp_path, refusals=100, APT_LOCK_WAIT_S="2")
    assert 1 == result.returncode
    assert (
        f"gave up after 2s waiting for the apt lock: {LOCKED}" == (result.stderr.splitlines()[-1])
    )


def test_apt_get_fails_at_once_on_anything_but_a_lock(tmp_path: Path) -> None:
    """Other errors are apt-get's to report: shown as they are, no waiting, exit 1."""
    result, calls = _apt_get(tmp_path, refusals=1, error="Unable to locate package wrk")
    assert (1, 1) == (result.returncode, calls)
    assert "E: Unable to locate package wrk\n" == result.stderr
