"""Shared output plumbing for commands: consoles and the `--format` choice."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Any

import orjson
from rich.console import Console

console = Console(highlight=False, soft_wrap=True)
console_err = Console(stderr=True, highlight=False, soft_wrap=True)


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
