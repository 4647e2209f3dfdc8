"""Lint settings read once: flag > `INTERLOCK_PG_VERSION` (the version only) >
`[tool.interlock.migrations]` in pyproject.toml, or the `migrations:` of a `kind: Config`
document in interlock.yaml > default.

Keys: `pg_version` (int), `assume_in_transaction` (bool), `disabled_rules` (list of rule ids).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interlock.errors import Position, SourceError, UserInputError
from interlock.migrations.lint import all_rules
from interlock.migrations.model import DEFAULT_PG_VERSION, LintSettings
from interlock.migrations.rulebook import ALIASES

if TYPE_CHECKING:
    from interlock.catalog import Document

_KEYS = {"pg_version", "assume_in_transaction", "disabled_rules"}
PG_VERSION_VARIABLE = "INTERLOCK_PG_VERSION"
_PG_VERSIONS = range(9, 31)
_EXPECTED_VERSION = "expected a PostgreSQL major version such as 16 (9 to 30)"


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
    environ: Mapping[str, str] | None = None,
) -> LintSettings:
    """Settings from `pyproject` (a pyproject.toml or an interlock.yaml), then the environment
    (`INTERLOCK_PG_VERSION`), then flags laid over them."""
    table, place = (
        (_yaml_table(pyproject) if pyproject.suffix in (".yaml", ".yml") else _table(pyproject))
        if pyproject
        else ({}, _json_path("$.tool.interlock.migrations"))
    )
    file = str(pyproject)
    for key in table:
        if key not in _KEYS:
            raise SourceError(file, place(key), f"unknown key; expected one of {sorted(_KEYS)}")
    version = table.get("pg_version", DEFAULT_PG_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version not in _PG_VERSIONS:
        raise SourceError(file, place("pg_version"), _EXPECTED_VERSION)
    assume = table.get("assume_in_transaction", False)
    if not isinstance(assume, bool):
        raise SourceError(file, place("assume_in_transaction"), "expected true or false")
    disabled = table.get("disabled_rules", [])
    if not isinstance(disabled, list) or not all(isinstance(r, str) for r in disabled):
        raise SourceError(file, place("disabled_rules"), "expected a list of rule ids")
    for index, name in enumerate(disabled):
        if name not in all_rules() and name not in ALIASES:
            raise SourceError(file, place("disabled_rules", index), f"unknown rule {name!r}")
    version_from = "default"
    if "pg_version" in table:
        yaml = pyproject is not None and pyproject.suffix in (".yaml", ".yml")
        version_from = f"{file} " + (
            "migrations.pg_version" if yaml else "[tool.interlock.migrations]"
        )
    env = os.environ if environ is None else environ
    if pg_version is not None:
        version, version_from = _version(pg_version, "--pg-version"), "--pg-version"
    elif env.get(PG_VERSION_VARIABLE, "").strip():
        version = _version(env[PG_VERSION_VARIABLE], PG_VERSION_VARIABLE)
        version_from = PG_VERSION_VARIABLE
    return LintSettings(
        pg_version=version,
        assume_in_transaction=assume_in_transaction
        if assume_in_transaction is not None
        else assume,
        disabled_rules=frozenset(disabled),
        pg_version_from=version_from,
    )


def _version(value: object, source: str) -> int:
    text = str(value).strip()
    if not text.isdigit() or int(text) not in _PG_VERSIONS:
        raise UserInputError(f"{source}={value!r}: {_EXPECTED_VERSION}")
    return int(text)


Place = Callable[..., Position]


def _json_path(base: str) -> Place:
    def place(key: str, index: int | None = None) -> Position:
        return Position(path=f"{base}.{key}" + ("" if index is None else f"[{index}]"))

    return place


def _table(pyproject: Path) -> tuple[dict[str, Any], Place]:
    import tomllib  # only where a pyproject.toml is read: `migrate lint` starts faster

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
