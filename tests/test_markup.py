"""Markup without Rich: the escaping and the plain text are exactly Rich's own."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from rich.markup import escape as rich_escape

from interlock.markup import escape, plain_text

ROOT = Path(__file__).resolve().parents[1]
TEXTS = [
    "plain words",
    "[bold]orders[/] calls [red]payments[/red]",
    "a list [1, 2] and a [not-a-tag",
    r"escaped \[bold] and \\[bold]doubled[/] and \\\[tripled]",
    "ends with a backslash \\",
    "[link=https://example.com]docs[/link] [#ff0000]hex[/] [@click]x[/]",
    "V1__add.sql: 3:1  error  [{code}] message",
    "brackets inside a name: items[0].price",
]


def _rich_plain(markup: str, is_markup: bool = True) -> str:
    out = io.StringIO()  # not a terminal: what a pipe receives
    Console(file=out, highlight=False, soft_wrap=True).print(markup, markup=is_markup)
    return out.getvalue()[:-1]


@pytest.mark.parametrize("text", TEXTS)
def test_escape_is_riches(text: str) -> None:
    """`escape` gives Rich's escaping, printed as Rich prints it."""
    assert rich_escape(text) == escape(text)
    assert _rich_plain(escape(text)) == plain_text(escape(text))


@pytest.mark.parametrize("text", TEXTS)
def test_plain_text_is_what_rich_prints_to_a_pipe(text: str) -> None:
    """Markup turned into plain text here reads exactly as Rich prints it, markup on or off."""
    assert _rich_plain(text) == plain_text(text)
    assert _rich_plain(text, is_markup=False) == plain_text(text, is_markup=False)


@pytest.mark.parametrize("text", ["time 12:30:45 :smile:", "a\ttab", "bell\x07"])
def test_text_rich_would_change_is_left_to_rich(text: str) -> None:
    """Emoji codes, tabs and control characters are not plain: Rich prints those itself."""
    assert None is plain_text(text)


def test_piped_lint_output_is_the_same_without_rich(tmp_path: Path) -> None:
    """`migrate lint` piped prints what Rich printed, without importing Rich."""
    migration = tmp_path / "V1__add_price.sql"
    migration.write_text("CREATE INDEX i ON items (price);\nALTER TABLE items ADD COLUMN p int;\n")
    command = [sys.executable, "-X", "importtime", "-m", "interlock", "migrate", "lint"]
    piped = subprocess.run(
        [*command, str(migration)], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert 1 == piped.returncode
    assert "rich" not in {line.rsplit("|", 1)[1].strip() for line in piped.stderr.splitlines()}
    forced = subprocess.run(  # FORCE_COLOR makes Rich print, with colours: the same words
        [command[0], *command[3:], str(migration)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "FORCE_COLOR": "1"},
    )
    assert _strip_ansi(forced.stdout) == piped.stdout
    assert "require-concurrent-index-creation" in piped.stdout


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)
