"""Shared output plumbing for commands: consoles and the `--format` choice."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

import orjson

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
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_APPEND_NEWLINE
)


def print_json(data: Any) -> None:
    """Write `data` as indented JSON to stdout, as machines expect it."""
    sys.stdout.write(orjson.dumps(data, default=str, option=_JSON_OPTIONS).decode())
