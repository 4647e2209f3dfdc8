"""Shared output plumbing for commands: consoles and the `--format` choice."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Any

from rich.console import Console

console = Console(highlight=False, soft_wrap=True)
console_err = Console(stderr=True, highlight=False, soft_wrap=True)


class Format(StrEnum):
    """Output for people (text) or machines (json)."""

    text = "text"
    json = "json"


def print_json(data: Any) -> None:
    """Write `data` as indented JSON to stdout, as machines expect it."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
