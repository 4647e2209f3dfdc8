"""Shared output plumbing for commands: consoles, the `--format` choice, errors and files.

Every command prints through here, so that output and errors look the same everywhere.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

import orjson
import typer

from interlock.errors import UserInputError

if TYPE_CHECKING:
    from rich.console import Console


_PIPE_WIDTH = 100_000
"""Columns when writing to a file or a pipe: wide enough that no value is ever cut."""


def _whole_values_console(**options: Any) -> Console:
    """A Rich console that, writing to a file or another program, cuts no value at 80 columns.

    On a terminal it fits the terminal; COLUMNS, when set, still wins. Tables are not
    expanded, so a wide console pads nothing: each line is as long as what it shows.
    """
    from rich.console import Console, ConsoleDimensions

    class WholeValuesConsole(Console):
        @property
        def size(self) -> ConsoleDimensions:
            size = super().size
            if self._width is None and "COLUMNS" not in self._environ and not self.is_terminal:
                return ConsoleDimensions(_PIPE_WIDTH, size.height)
            return size

        @size.setter
        def size(self, new_size: tuple[int, int]) -> None:
            self._width, self._height = new_size

    return WholeValuesConsole(**options)


class _LazyConsole:
    """A Rich console made on first use: a command that writes JSON never imports Rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            self._console = _whole_values_console(**self._options)
        return getattr(self._console, name)

    def print(self, *objects: Any, **options: Any) -> None:
        """Text written to a file or a pipe goes out plain, without loading Rich, when Rich
        would print the same (see `interlock.markup`); anything else is Rich's to print."""
        text = self._plain(objects, options) if self._console is None else None
        if text is None:
            self.__getattr__("print")(*objects, **options)
            return
        stream = sys.stderr if self._options.get("stderr") else sys.stdout
        stream.write(text + options.get("end", "\n"))

    def _plain(self, objects: tuple[Any, ...], options: dict[str, Any]) -> str | None:
        from interlock.markup import plain_text

        if not options.get("soft_wrap", self._options.get("soft_wrap")):
            return None  # Rich would wrap at the width COLUMNS gives
        if options.keys() - _PLAIN_OPTIONS:
            return None
        if not all(type(o) is str for o in objects) or _colours_forced():
            return None
        stream = sys.stderr if self._options.get("stderr") else sys.stdout
        isatty = getattr(stream, "isatty", None)
        if isatty is None or isatty():
            return None
        return plain_text(options.get("sep", " ").join(objects), options.get("markup") is not False)


# print options that change nothing in plain text (no colour, no wrapping when soft-wrapped)
_PLAIN_OPTIONS = frozenset({"markup", "highlight", "style", "end", "sep", "soft_wrap"})


def _colours_forced() -> bool:
    """Rich's own overrides of terminal detection (TTY_COMPATIBLE, FORCE_COLOR)."""
    return os.environ.get("TTY_COMPATIBLE", "") == "1" or bool(os.environ.get("FORCE_COLOR"))


console = cast("Console", _LazyConsole(highlight=False, soft_wrap=True))
console_err = cast("Console", _LazyConsole(stderr=True, highlight=False, soft_wrap=True))


EXIT_CODES = (
    "Exit codes: 0 success, 1 findings, 2 usage or input error "
    "(each command's --help says what they mean for it)."
)
"""The contract every command group states in its --help."""


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


def wants_json(argv: list[str]) -> bool:
    """Whether the command line asks for `--format json` (`--format=json`, `-f json`, `-fjson`)."""
    for index, arg in enumerate(argv):
        if arg in ("--format=json", "-fjson"):
            return True
        if arg in ("--format", "-f") and argv[index + 1 : index + 2] == ["json"]:
            return True
    return False


def print_error(message: str, *, as_json: bool, code: int = 2, **details: Any) -> None:
    """One error on stderr: `error: message` for people, one JSON object for machines."""
    if as_json:
        encoded = orjson.dumps({"error": message, "code": code, **details}, default=str)
        sys.stderr.write(encoded.decode() + "\n")
        sys.stderr.flush()
        return
    from rich.text import Text

    console_err.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)


@contextmanager
def output_errors(path: Path, flag: str = "--output") -> Iterator[None]:
    """Turn a failure to write the file `flag` names into the user's error (one line, exit 2)."""
    try:
        yield
    except OSError as error:
        reason = error.strerror or str(error)
        raise UserInputError(f"{flag}: cannot write {path}: {reason}") from None


def write_output(path: Path, text: str, flag: str = "--output") -> None:
    """Write a command's result to the file its `flag` names."""
    with output_errors(path, flag):
        path.write_text(text, encoding="utf-8")


def render_to_text(render: Callable[[Console], None]) -> str:
    """What `render` prints on a console, as plain text (no colours): for a file to write."""
    import io

    buffer = io.StringIO()
    render(_whole_values_console(file=buffer, highlight=False, soft_wrap=True, color_system=None))
    return buffer.getvalue()
