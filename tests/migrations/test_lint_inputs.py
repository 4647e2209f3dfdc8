"""What `migrate lint` is asked to read: nothing to lint is an error, a single file is linted alone.

A file's earlier neighbours are only its context (their schema is replayed): a problem in
one of them is a note, not the file's error, and the files after it are not read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BINARY = b"\x89PNG\r\n\x1a\n\x00\xff"


def _lint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interlock", "migrate", "lint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert 1 == len(lines), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("contents", [[], ["README.md", "notes.txt"]])
def test_a_folder_with_no_migrations_is_an_input_error(tmp_path: Path, contents: list[str]) -> None:
    """An empty folder, or one with no .sql file, exits 2 naming the folder and the layouts."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name in contents:
        (folder / name).write_text("not SQL\n")
    result = _lint(tmp_path, "migrations")
    line = _error_line(result)
    assert 2 == result.returncode
    assert "no migrations found under migrations (looked for " in line
    assert "Flyway V1__name.sql" in line and "golang-migrate 1_name.up.sql" in line


def test_a_path_that_does_not_exist_is_an_input_error(tmp_path: Path) -> None:
    """A typo in the path exits 2 naming it."""
    result = _lint(tmp_path, "migratoins")
    assert 2 == result.returncode
    assert "migratoins: no such file or directory" in _error_line(result)


def _folder_with_neighbours(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_items.sql").write_text(
        "CREATE TABLE items (id bigint PRIMARY KEY, note text);\n"
    )
    (folder / "002_logo.sql").write_bytes(BINARY)
    (folder / "003_broken.sql").write_text("CREATE TABLE (;\n")
    (folder / "004_index.sql").write_text(
        "SET lock_timeout = '1s';\nSET statement_timeout = '1min';\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS items_note ON items (note);\n"
    )
    (folder / "005_later.sql").write_bytes(BINARY)
    return folder


def test_a_file_is_linted_with_broken_neighbours_as_notes(tmp_path: Path) -> None:
    """Unreadable and unparsable earlier files are notes; the file's own result decides the exit."""
    _folder_with_neighbours(tmp_path)
    result = _lint(tmp_path, "migrations/004_index.sql", "--format", "json")
    assert 0 == result.returncode, result.stderr
    report = json.loads(result.stdout)
    assert 1 == report["summary"]["migrations"]
    assert [] == report["findings"]
    assert [
        {"file": "migrations/002_logo.sql", "message": "expected UTF-8 text, found byte 0x89"},
        {
            "file": "migrations/003_broken.sql",
            "message": '1:14: SQL does not parse: syntax error at or near "("',
        },
    ] == report["notes"]


def test_the_text_report_says_a_neighbour_is_only_context(tmp_path: Path) -> None:
    """The note names the neighbour and says it was left out of the schema replay."""
    _folder_with_neighbours(tmp_path)
    result = _lint(tmp_path, "migrations/004_index.sql")
    assert 0 == result.returncode, result.stderr
    assert (
        "note  migrations/002_logo.sql: expected UTF-8 text, found byte 0x89 "
        "(read only as context for the file linted; left out of the schema replay)"
    ) in result.stdout


def test_the_schema_of_good_neighbours_is_still_replayed(tmp_path: Path) -> None:
    """A table made in a readable earlier file is known: indexing it without CONCURRENTLY is flagged."""
    folder = _folder_with_neighbours(tmp_path)
    (folder / "004_index.sql").write_text(
        "SET lock_timeout = '1s';\nSET statement_timeout = '1min';\n"
        "ALTER TABLE items ALTER COLUMN note TYPE varchar(20);\n"
    )
    result = _lint(tmp_path, "migrations/004_index.sql", "--format", "json")
    assert 1 == result.returncode, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert ["'note' from text to varchar(20) rewrites the table"] == [
        f["message"] for f in findings if f["rule"] == "changing-column-type"
    ]


def test_the_file_asked_for_is_still_an_error_when_broken(tmp_path: Path) -> None:
    """The linted file itself unreadable: exit 2 naming it, as before."""
    _folder_with_neighbours(tmp_path)
    result = _lint(tmp_path, "migrations/002_logo.sql")
    assert 2 == result.returncode
    assert "002_logo.sql: expected UTF-8 text, found byte 0x89" in _error_line(result)


def test_a_directory_still_fails_on_any_broken_file(tmp_path: Path) -> None:
    """Linting the directory asks for every file: a broken one is an input error (exit 2)."""
    _folder_with_neighbours(tmp_path)
    result = _lint(tmp_path, "migrations")
    assert 2 == result.returncode
    assert "002_logo.sql: expected UTF-8 text, found byte 0x89" in _error_line(result)


def test_a_golang_migrate_file_ignores_its_neighbours_down_files(tmp_path: Path) -> None:
    """Earlier migrations' down files are not read for a single file: a broken one is no note."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "1_items.up.sql").write_text("CREATE TABLE items (id bigint PRIMARY KEY);\n")
    (folder / "1_items.down.sql").write_bytes(BINARY)
    (folder / "2_more.up.sql").write_text("CREATE TABLE more (id bigint PRIMARY KEY);\n")
    (folder / "2_more.down.sql").write_text("DROP TABLE more;\n")
    result = _lint(tmp_path, "migrations/2_more.up.sql", "--format", "json")
    assert 0 == result.returncode, result.stderr
    assert [] == json.loads(result.stdout)["notes"]
