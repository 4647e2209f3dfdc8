"""The one exception hierarchy of Interlock.

    InterlockError            anything Interlock raises on purpose
     └── UserInputError       bad input from the user: a file, a flag, a payload (exit 2)
          └── SourceError     ... with a place in a named file (file:line:col or a JSON path)

A `UserInputError` is printed as one message with no traceback; any other exception
is our bug and keeps its traceback.
"""

from __future__ import annotations


class InterlockError(Exception):
    """Base of every error Interlock raises deliberately."""


class UserInputError(InterlockError):
    """The user gave us something we cannot use; the message says what and where."""


class Position:
    """A place in a file: 1-based line and column, or a JSON path, or both. Immutable.

    A plain class rather than a dataclass: every command imports this module, and
    `dataclasses` brings `inspect` with it (15-20 ms of each start-up).
    """

    __slots__ = ("column", "line", "path")
    line: int | None
    column: int | None
    path: str | None

    def __init__(
        self, line: int | None = None, column: int | None = None, path: str | None = None
    ) -> None:
        object.__setattr__(self, "line", line)
        object.__setattr__(self, "column", column)
        object.__setattr__(self, "path", path)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Position is immutable: cannot set {name}")

    def _key(self) -> tuple[int | None, int | None, str | None]:
        return (self.line, self.column, self.path)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Position) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Position(line={self.line!r}, column={self.column!r}, path={self.path!r})"

    def __reduce__(self) -> tuple[type[Position], tuple[int | None, int | None, str | None]]:
        return type(self), self._key()

    def __str__(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        where = ":".join(parts)
        if self.path:
            return f"{where} {self.path}".strip() if where else self.path
        return where


class SourceError(UserInputError):
    """A problem at a place in a named file: `file:line:col: message`."""

    def __init__(self, file: str, position: Position | None, message: str) -> None:
        self.file = file
        self.position = position or Position()
        self.message = message
        where = f"{file}:{self.position}" if str(self.position) else file
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[type[SourceError], tuple[str, Position, str], dict[str, object]]:
        # rebuilt from its parts, as a worker process sends it back (notes kept)
        return type(self), (self.file, self.position, self.message), self.__dict__
