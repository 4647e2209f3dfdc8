"""The root `interlock` command: every group listed, each imported only when it runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from interlock.cli.main import COMMANDS, _module_commands

REPO = Path(__file__).resolve().parents[1]


def test_the_command_table_matches_what_each_module_registers() -> None:
    """A command added to a module but not to COMMANDS (or the reverse) would vanish silently."""
    registered = {
        name: module
        for module in set(COMMANDS.values())
        for name in _module_commands(module).list_commands(None)
    }
    assert COMMANDS == {name: registered[name] for name in COMMANDS}
    assert set(COMMANDS) == set(registered)


def test_help_lists_every_group_and_version_prints() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "interlock", "--help"], capture_output=True, text=True
    ).stdout
    for name in COMMANDS:
        assert f" {name} " in help_text
    version = subprocess.run(
        [sys.executable, "-m", "interlock", "--version"], capture_output=True, text=True
    )
    assert version.stdout.startswith("interlock ")


def test_a_command_imports_only_its_own_group() -> None:
    """`interlock catalog check` must not pay for FastAPI and SQLAlchemy."""
    probe = (
        "import sys; from interlock.cli.main import main\n"
        "try:\n    main(['catalog', 'check', 'examples/shop'])\nexcept SystemExit:\n    pass\n"
        "print('LOADED', 'fastapi' in sys.modules, 'sqlalchemy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO
    ).stdout
    assert "LOADED False False" in out


def test_an_unknown_command_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "interlock", "nosuch"], capture_output=True, text=True
    )
    assert 2 == result.returncode
    assert "No such command" in result.stderr
    assert "Traceback" not in result.stderr
