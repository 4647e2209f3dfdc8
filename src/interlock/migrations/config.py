"""Lint settings read once: flag > `[tool.interlock.migrations]` in pyproject.toml, or the
`migrations:` of a `kind: Config` document in interlock.yaml > default.

Keys: `pg_version` (int), `assume_in_transaction` (bool), `disabled_rules` (list of rule ids).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interlock.errors import Position, SourceError
from interlock.migrations.lint import all_rules
from interlock.migrations.model import LintSettings
from interlock.migrations.rulebook import ALIASES

if TYPE_CHECKING:
    from interlock.catalog import Document

_KEYS = {"pg_version", "assume_in_transaction", "disabled_rules"}


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml in `start` or its parents."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def find_lint_config(start: Path) -> Path | None:
    """The nearest pyproject.toml with `[tool.interlock.migrations]`, or interlock.yaml with a
    `kind: Config` document, in `start` or its parents; pyproject wins within one folder."""
    for folder in (start, *start.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _table(pyproject)[0]:
            return pyproject
        for name in ("interlock.yaml", "interlock.yml"):
            if (folder / name).is_file() and _yaml_table(folder / name)[0]:
                return folder / name
    return None


def load_lint_settings(
    pyproject: Path | None,
    *,
    pg_version: int | None = None,
    assume_in_transaction: bool | None = None,
) -> LintSettings:
    """Settings from `pyproject` (a pyproject.toml or an interlock.yaml) with flags laid over them."""
    table, place = (
        (_yaml_table(pyproject) if pyproject.suffix in (".yaml", ".yml") else _table(pyproject))
        if pyproject
        else ({}, _json_path("$.tool.interlock.migrations"))
    )
    file = str(pyproject)
    for key in table:
        if key not in _KEYS:
            raise SourceError(file, place(key), f"unknown key; expected one of {sorted(_KEYS)}")
    version = table.get("pg_version", 16)
    if not isinstance(version, int) or isinstance(version, bool) or not 9 <= version <= 30:
        raise SourceError(
            file,
            place("pg_version"),
            "expected a PostgreSQL major version such as 16",
        )
    assume = table.get("assume_in_transaction", False)
    if not isinstance(assume, bool):
        raise SourceError(file, place("assume_in_transaction"), "expected true or false")
    disabled = table.get("disabled_rules", [])
    if not isinstance(disabled, list) or not all(isinstance(r, str) for r in disabled):
        raise SourceError(file, place("disabled_rules"), "expected a list of rule ids")
    for index, name in enumerate(disabled):
        if name not in all_rules() and name not in ALIASES:
            raise SourceError(file, place("disabled_rules", index), f"unknown rule {name!r}")
    if pg_version is not None and not 9 <= pg_version <= 30:
        raise SourceError("--pg-version", None, "expected a PostgreSQL major version such as 16")
    return LintSettings(
        pg_version=pg_version if pg_version is not None else version,
        assume_in_transaction=assume_in_transaction
        if assume_in_transaction is not None
        else assume,
        disabled_rules=frozenset(disabled),
    )


Place = Callable[..., Position]


def _json_path(base: str) -> Place:
    def place(key: str, index: int | None = None) -> Position:
        return Position(path=f"{base}.{key}" + ("" if index is None else f"[{index}]"))

    return place


def _table(pyproject: Path) -> tuple[dict[str, Any], Place]:
    where = "$.tool.interlock.migrations"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SourceError(str(pyproject), None, f"not valid TOML: {error}") from None
    section: Any = data.get("tool", {}).get("interlock", {}).get("migrations", {})
    if not isinstance(section, dict):
        raise SourceError(str(pyproject), Position(path=where), "expected a table")
    return section, _json_path(where)


def _yaml_table(path: Path) -> tuple[dict[str, Any], Place]:
    """`migrations:` of the `kind: Config` document of an interlock.yaml, with line/column places."""
    from interlock.catalog import load_documents  # the catalog loads networkx: only when needed

    for doc in load_documents(path):
        if isinstance(doc.value, dict) and doc.value.get("kind") == "Config":
            section = doc.value.get("migrations") or {}
            if not isinstance(section, dict):
                raise doc.error("'migrations' must be a mapping", "migrations")

            def place(key: str, index: int | None = None, doc: Document = doc) -> Position:
                return doc.position("migrations", key, *(() if index is None else (index,)))

            return section, place
    return {}, _json_path("$.migrations")
