"""Shared output plumbing for commands: consoles and the `--format` choice."""

from __future__ import annotations

import gc
import os
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NoReturn, cast

import orjson
import typer

if TYPE_CHECKING:
    from rich.console import Console


class _LazyConsole:
    """A Rich console made on first use: a command that writes JSON never imports Rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


console = cast("Console", _LazyConsole(highlight=False, soft_wrap=True))
console_err = cast("Console", _LazyConsole(stderr=True, highlight=False, soft_wrap=True))


class Format(StrEnum):
    """Output for people (text) or machines (json)."""

    text = "text"
    json = "json"


_JSON_OPTIONS = (
    orjson.OPT_INDENT_2
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME  # str(datetime), as the documented outputs show
    | orjson.OPT_APPEND_NEWLINE
)


def print_json(data: Any) -> None:
    """Write `data` as indented JSON to stdout, as machines expect it."""
    encoded = orjson.dumps(data, default=str, option=_JSON_OPTIONS)
    binary = getattr(sys.stdout, "buffer", None)
    if binary is None:
        sys.stdout.write(encoded.decode())
        return
    sys.stdout.flush()  # what was written as text comes first
    binary.write(encoded)


class _Process:
    entry = False  # the CLI runs as its own process (`main`), not inside a caller's
    short_lived = False


def as_process() -> None:
    """`main` tells commands that the CLI is the process: `short_lived` applies."""
    _Process.entry = True


def short_lived() -> None:
    """Run this command's process as a short-lived one: no cycle collection, and `finish`
    ends it at once, without Python's teardown.

    Teardown frees every module and object one at a time: 15 ms once `migrate lint` has
    imported what it needs, a tenth of its whole run on a large directory. Only for a
    command that leaves nothing to finish: no open file, no other thread, no exit handler.
    Inside another program (a test's CliRunner) it does nothing.
    """
    if _Process.entry:
        gc.disable()
        _Process.short_lived = True


def finish(code: int) -> NoReturn:
    """End the command with exit status `code`."""
    if _Process.short_lived:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # a reader that went away (`| head`): nothing more to write
            pass
        os._exit(code)
    raise typer.Exit(code)
