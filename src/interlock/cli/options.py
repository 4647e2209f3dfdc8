"""Options shared by every command, so that a flag means one thing everywhere.

`--port` and its kin take a port number checked here; `--output`/`-o` is always a file to
write, checked before the command does its work. A bad value is a usage error (exit 2).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from interlock.errors import UserInputError

if TYPE_CHECKING:
    from sqlalchemy import Engine

_HIGHEST_PORT = 65535


def parse_port(text: object, *, free: bool = False) -> int:
    """A port number from a flag's text; 0 ("a free one") only where `free` is meant.

    Raises `typer.BadParameter`, which names the flag it came from.
    """
    lowest = 0 if free else 1
    try:
        port = int(str(text).strip())
    except ValueError:
        port = -1
    if not lowest <= port <= _HIGHEST_PORT:
        expected = f"1-{_HIGHEST_PORT} or 0 (a free one)" if free else f"1-{_HIGHEST_PORT}"
        raise typer.BadParameter(f"expected a port number {expected}, found {text}")
    return port


def _port_parser(free: bool) -> Callable[[Any], int]:
    def port(text: Any) -> int:
        return parse_port(text, free=free)

    return port


def port_option(default: int | None, *flags: str, help: str, free: bool = False) -> Any:
    """A port option (1-65535; with `free`, 0 picks a free port): the one every command uses."""
    return typer.Option(default, *flags, help=help, metavar="PORT", parser=_port_parser(free))


def _writable(value: Path | None) -> Path | None:
    """The file an --output names, if its directory exists: checked before any work is done."""
    if value is None:
        return None
    if value.is_dir():
        raise typer.BadParameter(f"cannot write {value}: it is a directory, expected a file")
    parent = value.parent
    if not parent.is_dir():
        raise typer.BadParameter(f"cannot write {value}: directory {parent} does not exist")
    return value


def output_option(help: str = "Write to this file instead of standard output.") -> Any:
    """`--output`/`-o PATH`: the file a command writes (its directory must exist)."""
    return typer.Option(None, "--output", "-o", help=help, metavar="PATH", callback=_writable)


def writable_directory(value: Path | None) -> Path | None:
    """A directory a command writes into (made if missing): not a file, nor under one.

    Checked at once, so that a long run (a recording, a dry run) is not lost at its end.
    """
    if value is None:
        return None
    existing = next((p for p in (value, *value.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise typer.BadParameter(
            f"cannot write into {value}: {existing} is a file, not a directory"
        )
    return value


def data_dir_option(help: str = "Where Interlock keeps its data.") -> Any:
    """`--data-dir DIR` (env INTERLOCK_DATA_DIR): Interlock's data directory."""
    return typer.Option(None, "--data-dir", envvar="INTERLOCK_DATA_DIR", help=help)


def database_url_option() -> Any:
    """`--database-url URL` (env INTERLOCK_DATABASE_URL): Interlock's own database."""
    return typer.Option(
        None,
        "--database-url",
        envvar="INTERLOCK_DATABASE_URL",
        help="Interlock's database (default: the SQLite file under --data-dir).",
    )


def interlock_database(
    data_dir: Path | None, database_url: str | None
) -> AbstractContextManager[Engine]:
    """Interlock's own database as --data-dir / --database-url name it, brought up to date
    (commands that run on the server's database rather than over HTTP)."""
    from interlock.settings import load_settings
    from interlock.store import open_database

    return open_database(load_settings(data_dir=data_dir, database_url=database_url).database_url)


def first_port(text: str, flag: str, count: int = 1) -> int | None:
    """`auto` (None: free ports) or the first of `count` consecutive ports, all 1-65535."""
    if text == "auto":
        return None
    if not text.isdigit():
        raise UserInputError(f"{flag}: expected `auto` or a port number, found {text!r}")
    try:
        first = parse_port(text)
    except typer.BadParameter as error:
        raise UserInputError(f"{flag}: {error.message}") from None
    if first + count - 1 > _HIGHEST_PORT:
        raise UserInputError(
            f"{flag}: {count} ports from {first} go past {_HIGHEST_PORT}; "
            f"expected at most {_HIGHEST_PORT - count + 1}"
        )
    return first
