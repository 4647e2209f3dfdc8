"""`migrate dry-run` and `migrate impact` with a `--database-url` that leads nowhere: one line, exit 2.

Each case runs the installed command as a user does, and checks the one line it prints: the
flag, what is wrong, and never the password.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from interlock.ports import free_port

SHOP_MIGRATIONS = (
    Path(__file__).resolve().parents[2] / "examples" / "shop" / "inventory" / "migrations"
)
PASSWORD = "s3cret-pw"


def _interlock(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interlock", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _dry_run(url: str) -> subprocess.CompletedProcess[str]:
    return _interlock("migrate", "dry-run", str(SHOP_MIGRATIONS), "--database-url", url)


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert 1 == len(lines), result.stderr
    assert "Traceback" not in result.stderr
    assert PASSWORD not in result.stderr + result.stdout
    return lines[0]


def test_nothing_listening_names_the_flag_and_the_address() -> None:
    """A URL whose port has no server: 'nothing listens at host:port', exit 2."""
    port = free_port()
    result = _dry_run(f"postgresql://app:{PASSWORD}@127.0.0.1:{port}/shop")
    line = _one_line(result)
    assert 2 == result.returncode
    assert "--database-url" in line
    assert f"nothing listens at 127.0.0.1:{port}" in line
    assert "app:***@" in line


@pytest.mark.parametrize(
    "url",
    [f"mysql://app:{PASSWORD}@127.0.0.1:3306/shop", "sqlite:///shop.db", "localhost:5432/shop"],
)
def test_a_url_of_another_database_is_not_a_postgresql_url(url: str) -> None:
    """mysql://, sqlite:// or no scheme at all: 'not a PostgreSQL URL: expected postgresql://...'."""
    result = _dry_run(url)
    line = _one_line(result)
    assert 2 == result.returncode
    assert "--database-url" in line
    assert "not a PostgreSQL URL: expected postgresql://" in line


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (f"postgresql://app:{PASSWORD}@[::1/shop", "IPv6 host address"),
        ("postgresql://127.0.0.1/shop?colour=blue", 'invalid URI query parameter: "colour"'),
    ],
)
def test_a_malformed_url_says_what_is_malformed(url: str, reason: str) -> None:
    """libpq's reason for rejecting the URL, without the URL's password."""
    result = _dry_run(url)
    line = _one_line(result)
    assert 2 == result.returncode
    assert "--database-url" in line
    assert "malformed URL" in line
    assert reason in line


@pytest.mark.postgres
def test_an_unknown_database_is_named(postgres: Any) -> None:
    """A server that answers, a database it does not have: 'database "x" does not exist'."""
    result = _dry_run(f"postgresql://postgres:{PASSWORD}@127.0.0.1:{postgres.port}/no_such_db")
    line = _one_line(result)
    assert 2 == result.returncode
    assert "--database-url" in line
    assert f'database "no_such_db" does not exist on 127.0.0.1:{postgres.port}' in line


@pytest.mark.postgres
def test_an_unknown_role_is_one_line_without_the_password(postgres: Any) -> None:
    """The server's refusal in one line, with the password (which it never sees) left out."""
    result = _dry_run(f"postgresql://nobody:{PASSWORD}@127.0.0.1:{postgres.port}/postgres")
    line = _one_line(result)
    assert 2 == result.returncode
    assert 'role "nobody" does not exist' in line


def test_impact_reads_its_database_url_the_same_way(tmp_path: Path) -> None:
    """`migrate impact --database-url` with nothing listening: the same one line, exit 2."""
    port = free_port()
    result = _interlock(
        "migrate",
        "impact",
        str(SHOP_MIGRATIONS),
        "--catalog",
        str(tmp_path),
        "--database",
        "inventory",
        "--database-url",
        f"postgresql://app:{PASSWORD}@127.0.0.1:{port}/shop",
    )
    line = _one_line(result)
    assert 2 == result.returncode
    assert f"--database-url 'postgresql://app:***@127.0.0.1:{port}/shop': nothing listens" in line
