"""Fixtures for the storage tests: database URLs for SQLite and the real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file in a folder that does not exist yet (the engine creates it)."""
    return f"sqlite:///{tmp_path / 'data' / 'interlock.db'}"
