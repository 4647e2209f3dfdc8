"""`interlock env` without a running environment: clear messages and exit 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _env(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interlock", "env", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )


def test_down_without_an_environment_says_which_to_name(tmp_path: Path) -> None:
    done = _env(tmp_path, "down")
    assert 2 == done.returncode
    assert "say which environment: give its FILE or --state-dir" in done.stderr
    assert "Traceback" not in done.stderr


def test_status_of_an_empty_state_dir_is_a_user_error(tmp_path: Path) -> None:
    done = _env(tmp_path, "status", "--state-dir", str(tmp_path / "nothing"))
    assert 2 == done.returncode
    assert "no environment is up here (no state.json)" in done.stderr


def test_up_with_a_bad_file_names_the_place(tmp_path: Path) -> None:
    (tmp_path / "interlock-env.yaml").write_text("name: x\nservice: a\ndependencies: [1]\n")
    done = _env(tmp_path, "up", "interlock-env.yaml")
    assert 2 == done.returncode
    assert "interlock-env.yaml:3:15: dependencies: expected a mapping" in done.stderr


def test_help_documents_exit_codes() -> None:
    for command in ("up", "status", "down"):
        done = _env(Path.cwd(), command, "--help")
        assert 0 == done.returncode
        assert "Exit codes" in done.stdout
