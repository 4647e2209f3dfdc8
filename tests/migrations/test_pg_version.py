"""Which PostgreSQL version lint's notes assume: said in the report, chosen by the user.

Precedence: `--pg-version` > `INTERLOCK_PG_VERSION` > `pg_version` in the settings file > 16.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ADD_DEFAULT = "ALTER TABLE items ADD COLUMN IF NOT EXISTS note text DEFAULT 'none';\n"
NOT_NULL_WITH_CHECK = (
    "ALTER TABLE items ADD CONSTRAINT note_set CHECK (note IS NOT NULL) NOT VALID;\n",
    "ALTER TABLE items VALIDATE CONSTRAINT note_set;\n",
    "ALTER TABLE items ALTER COLUMN note SET NOT NULL;\n",
)
TIMEOUTS = "SET lock_timeout = '1s';\nSET statement_timeout = '1min';\n"


def _folder(root: Path, *steps: str) -> Path:
    folder = root / "migrations"
    folder.mkdir()
    (folder / "1_items.up.sql").write_text(
        "CREATE TABLE items (id bigint PRIMARY KEY, note text);\n"
    )
    for number, sql in enumerate(steps, start=2):
        (folder / f"{number}_step.up.sql").write_text(TIMEOUTS + sql)
    return folder


def _lint(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "INTERLOCK_PG_VERSION"}
    return subprocess.run(
        [sys.executable, "-m", "interlock", "migrate", "lint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**environ, **(env or {})},
    )


def _rules(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """rule id -> its advice, of the JSON report's findings."""
    return {f["rule"]: f["instead"] for f in json.loads(result.stdout)["findings"]}


def test_the_text_report_says_which_version_its_notes_assume(tmp_path: Path) -> None:
    """The first line names the version and the flag that changes it."""
    _folder(tmp_path, ADD_DEFAULT)
    result = _lint(tmp_path, "migrations")
    assert 0 == result.returncode, result.stderr
    assert "notes assume PostgreSQL 16 (--pg-version to change)" == result.stdout.splitlines()[0]
    assert "(PostgreSQL 16)" not in result.stdout


def test_the_environment_variable_chooses_the_version(tmp_path: Path) -> None:
    """INTERLOCK_PG_VERSION=10: the header says so, and a constant default now rewrites (exit 1)."""
    _folder(tmp_path, ADD_DEFAULT)
    result = _lint(tmp_path, "migrations", env={"INTERLOCK_PG_VERSION": "10"})
    assert 1 == result.returncode, result.stderr
    assert (
        "notes assume PostgreSQL 10 (from INTERLOCK_PG_VERSION; --pg-version to change)"
        == result.stdout.splitlines()[0]
    )
    assert "before PostgreSQL 11 any default on new column 'note' rewrites" in result.stdout


def test_flag_beats_environment_beats_settings_file(tmp_path: Path) -> None:
    """pyproject says 11, the environment 12, the flag 13: each wins over the ones after it."""
    _folder(tmp_path, ADD_DEFAULT)
    (tmp_path / "pyproject.toml").write_text("[tool.interlock.migrations]\npg_version = 11\n")

    def chosen(*flags: str, env: dict[str, str] | None = None) -> tuple[int, str]:
        result = _lint(tmp_path, "migrations", "--format", "json", *flags, env=env)
        report = json.loads(result.stdout)
        return report["pg_version"], report["pg_version_from"]

    assert (11, f"{tmp_path / 'pyproject.toml'} [tool.interlock.migrations]") == chosen()
    assert (12, "INTERLOCK_PG_VERSION") == chosen(env={"INTERLOCK_PG_VERSION": "12"})
    assert (13, "--pg-version") == chosen("--pg-version", "13", env={"INTERLOCK_PG_VERSION": "12"})


def test_set_not_null_after_a_validated_check_depends_on_the_version(tmp_path: Path) -> None:
    """From 12 the validated CHECK spares the scan; before 12 the advice is to keep the CHECK."""
    _folder(tmp_path, *NOT_NULL_WITH_CHECK)
    newer = _lint(tmp_path, "migrations", "--format", "json", "--pg-version", "12")
    older = _lint(tmp_path, "migrations", "--format", "json", "--pg-version", "11")
    assert "adding-not-nullable-field" not in _rules(newer)
    assert 1 == older.returncode
    assert _rules(older)["adding-not-nullable-field"].startswith(
        "Before PostgreSQL 12 keep the constraint instead"
    )


def test_reindex_advice_depends_on_the_version(tmp_path: Path) -> None:
    """REINDEX CONCURRENTLY is offered from 12; before it, the index is rebuilt beside the old one."""
    _folder(tmp_path, "REINDEX INDEX items_pkey;\n")
    newer = _rules(_lint(tmp_path, "migrations", "--format", "json", "--pg-version", "16"))
    older = _rules(_lint(tmp_path, "migrations", "--format", "json", "--pg-version", "11"))
    assert (
        "REINDEX ... CONCURRENTLY (PostgreSQL 12+), outside a transaction."
        == newer["require-concurrent-reindex"]
    )
    assert older["require-concurrent-reindex"].startswith(
        "REINDEX CONCURRENTLY needs PostgreSQL 12"
    )


@pytest.mark.parametrize(
    ("flags", "env", "expected"),
    [
        ((), {"INTERLOCK_PG_VERSION": "sixteen"}, "INTERLOCK_PG_VERSION='sixteen': expected"),
        (("--pg-version", "8"), {}, "--pg-version=8: expected"),
    ],
)
def test_a_bad_version_names_where_it_came_from(
    tmp_path: Path, flags: tuple[str, ...], env: dict[str, str], expected: str
) -> None:
    """A version that is no PostgreSQL major version: one line naming the variable or flag, exit 2."""
    _folder(tmp_path, ADD_DEFAULT)
    result = _lint(tmp_path, "migrations", *flags, env=env)
    assert 2 == result.returncode
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert 1 == len(lines), result.stderr
    assert expected in lines[0]
    assert "PostgreSQL major version" in lines[0]
