"""Lint settings read once: flag > `[tool.interlock.migrations]` in pyproject.toml > default.

Keys: `pg_version` (int), `assume_in_transaction` (bool), `disabled_rules` (list of rule ids).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from interlock.errors import Position, SourceError
from interlock.migrations.lint import all_rules
from interlock.migrations.model import LintSettings
from interlock.migrations.rulebook import ALIASES

_KEYS = {"pg_version", "assume_in_transaction", "disabled_rules"}


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml in `start` or its parents."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_lint_settings(
    pyproject: Path | None,
    *,
    pg_version: int | None = None,
    assume_in_transaction: bool | None = None,
) -> LintSettings:
    """Settings from `pyproject` (if given) with the command-line flags laid over them."""
    table = _table(pyproject) if pyproject else {}
    where = "$.tool.interlock.migrations"
    file = str(pyproject)
    for key in table:
        if key not in _KEYS:
            raise SourceError(
                file,
                Position(path=f"{where}.{key}"),
                f"unknown key; expected one of {sorted(_KEYS)}",
            )
    version = table.get("pg_version", 16)
    if not isinstance(version, int) or isinstance(version, bool) or not 9 <= version <= 30:
        raise SourceError(
            file,
            Position(path=f"{where}.pg_version"),
            "expected a PostgreSQL major version such as 16",
        )
    assume = table.get("assume_in_transaction", False)
    if not isinstance(assume, bool):
        raise SourceError(
            file, Position(path=f"{where}.assume_in_transaction"), "expected true or false"
        )
    disabled = table.get("disabled_rules", [])
    if not isinstance(disabled, list) or not all(isinstance(r, str) for r in disabled):
        raise SourceError(
            file, Position(path=f"{where}.disabled_rules"), "expected a list of rule ids"
        )
    for index, name in enumerate(disabled):
        if name not in all_rules() and name not in ALIASES:
            raise SourceError(
                file, Position(path=f"{where}.disabled_rules[{index}]"), f"unknown rule {name!r}"
            )
    if pg_version is not None and not 9 <= pg_version <= 30:
        raise SourceError("--pg-version", None, "expected a PostgreSQL major version such as 16")
    return LintSettings(
        pg_version=pg_version if pg_version is not None else version,
        assume_in_transaction=assume_in_transaction
        if assume_in_transaction is not None
        else assume,
        disabled_rules=frozenset(disabled),
    )


def _table(pyproject: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SourceError(str(pyproject), None, f"not valid TOML: {error}") from None
    section: Any = data.get("tool", {}).get("interlock", {}).get("migrations", {})
    if not isinstance(section, dict):
        raise SourceError(
            str(pyproject), Position(path="$.tool.interlock.migrations"), "expected a table"
        )
    return section
