"""Interlock's settings, read once into one typed, frozen object.

Each value comes from the first place that sets it: a command-line flag, an `INTERLOCK_*`
environment variable, `[tool.interlock]` in ./pyproject.toml, or the built-in default.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlock.errors import Position, SourceError, UserInputError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878
DEFAULT_DATA_DIR = Path(".interlock")
DATABASE_SCHEMES = ("sqlite", "postgresql", "postgres", "postgresql+psycopg")

# field name -> (environment variable, pyproject key, flag)
SOURCES: dict[str, tuple[str, str, str]] = {
    "host": ("INTERLOCK_HOST", "host", "--host"),
    "port": ("INTERLOCK_PORT", "port", "--port"),
    "data_dir": ("INTERLOCK_DATA_DIR", "data-dir", "--data-dir"),
    "database_url": ("INTERLOCK_DATABASE_URL", "database-url", "--database-url"),
    "catalog_dir": ("INTERLOCK_CATALOG_DIR", "catalog-dir", "--catalog"),
    "span_store": ("INTERLOCK_SPAN_STORE", "span-store", "--span-store"),
}


@dataclass(frozen=True)
class Settings:
    """Where the server listens, where it keeps its data, and which catalog it reads."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""  # empty: the SQLite file under `data_dir`
    catalog_dir: Path = Path(".")
    # traces, logs and metrics: empty is SQLite under `data_dir`; else postgresql://...,
    # clickhouse://host:8123/db or chdb:///dir
    span_store: str = ""

    def __post_init__(self) -> None:
        if not self.database_url:
            default = f"sqlite:///{self.data_dir / 'interlock.db'}"
            object.__setattr__(self, "database_url", default)

    @property
    def url(self) -> str:
        """The dashboard's address, as a person would type it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"


def load_settings(
    *,
    host: str | None = None,
    port: int | None = None,
    data_dir: Path | None = None,
    database_url: str | None = None,
    catalog_dir: Path | None = None,
    span_store: str | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Settings from flags (the keyword arguments), then environment, then pyproject.

    Paths are made absolute against `cwd` so that nothing depends on a later `chdir`.
    Raises `UserInputError` naming the flag, variable or pyproject key of a bad value.
    """
    base = (cwd or Path.cwd()).resolve()
    env = os.environ if environ is None else environ
    flags: dict[str, Any] = {
        "host": host,
        "port": port,
        "data_dir": data_dir,
        "database_url": database_url,
        "catalog_dir": catalog_dir,
        "span_store": span_store,
    }
    project = _PyprojectSection.read(base / "pyproject.toml")

    def pick(field: str, parse: Callable[[Any, str], Any]) -> Any:
        env_name, key, flag = SOURCES[field]
        if flags[field] is not None:
            return parse(flags[field], flag)
        if env.get(env_name):
            return parse(env[env_name], env_name)
        if key in project.values:
            try:
                return parse(project.values[key], f"[tool.interlock] {key}")
            except UserInputError as error:
                raise project.error(key, str(error)) from None
        return None

    chosen_data_dir: Path = pick("data_dir", _path(base)) or base / DEFAULT_DATA_DIR
    return Settings(
        host=pick("host", _host) or DEFAULT_HOST,
        port=pick("port", _port) or DEFAULT_PORT,
        data_dir=chosen_data_dir,
        database_url=pick("database_url", _database_url) or "",
        catalog_dir=pick("catalog_dir", _path(base)) or base,
        span_store=pick("span_store", _span_store) or "",
    )


def _host(value: Any, source: str) -> str:
    if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value):
        raise UserInputError(f"{source}={value!r}: expected a host name or IP address")
    return value


def _port(value: Any, source: str) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or not 1 <= int(text) <= 65535:
        raise UserInputError(f"{source}={value!r}: expected a port number from 1 to 65535")
    return int(text)


def _path(base: Path) -> Callable[[Any, str], Path]:
    def parse(value: Any, source: str) -> Path:
        if not isinstance(value, str | Path) or not str(value).strip():
            raise UserInputError(f"{source}={value!r}: expected a directory path")
        return (base / Path(value).expanduser()).resolve()

    return parse


def _database_url(value: Any, source: str) -> str:
    scheme = str(value).partition("://")[0] if isinstance(value, str) else ""
    if scheme not in DATABASE_SCHEMES or "://" not in str(value):
        raise UserInputError(
            f"{source}={value!r}: expected a database URL such as "
            "sqlite:///path/interlock.db or postgresql://user@host:5432/interlock"
        )
    return str(value)


SPAN_STORE_SCHEMES = (
    "postgresql",
    "postgres",
    "clickhouse",
    "clickhouse+https",
    "clickhouses",
    "chdb",
)


def _span_store(value: Any, source: str) -> str:
    scheme = str(value).partition("://")[0] if isinstance(value, str) else ""
    if scheme not in SPAN_STORE_SCHEMES or "://" not in str(value):
        raise UserInputError(
            f"{source}={value!r}: expected a span store URL such as "
            "postgresql://user@host:5432/interlock, clickhouse://host:8123/otel or chdb:///path"
        )
    return str(value)


@dataclass(frozen=True)
class _PyprojectSection:
    """`[tool.interlock]` of one pyproject.toml, and the text to find a key's line in."""

    file: Path
    text: str
    values: dict[str, Any]

    @classmethod
    def read(cls, file: Path) -> _PyprojectSection:
        if not file.is_file():
            return cls(file, "", {})
        text = file.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise SourceError(str(file), None, f"not valid TOML: {error}") from None
        section = data.get("tool", {}).get("interlock", {})
        if not isinstance(section, dict):
            raise SourceError(
                str(file), Position(path="tool.interlock"), "expected a [tool.interlock] table"
            )
        # Sub-tables ([tool.interlock.broker]...) belong to the capabilities that read them.
        return cls(file, text, {k: v for k, v in section.items() if not isinstance(v, dict)})

    def error(self, key: str, message: str) -> SourceError:
        return SourceError(str(self.file), Position(self._line_of(key), None, key), message)

    def _line_of(self, key: str) -> int | None:
        in_section = False
        for number, line in enumerate(self.text.splitlines(), start=1):
            stripped = line.strip()
            if stripped.startswith("["):
                in_section = stripped == "[tool.interlock]"
            elif in_section and re.match(rf"^\s*\"?{re.escape(key)}\"?\s*=", line):
                return number
        return None
