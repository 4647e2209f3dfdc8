"""SQL text to positioned statements, through PostgreSQL's own parser (pglast's libpg_query).

A file that does not parse becomes a `SourceError` naming the file, line and column.
"""

from __future__ import annotations

from pathlib import Path

from interlock.errors import Position, SourceError
from interlock.migrations.model import SqlSection, Statement
from interlock.migrations.sqltree import ParseError, parse_statements


def parse_section(path: Path, sql: str, first_line: int = 1) -> SqlSection:
    """Parse `sql`, which starts at 1-based `first_line` of `path`, into a `SqlSection`."""
    empty = SqlSection(path=path, sql=sql, first_line=first_line, statements=())
    try:
        parsed = parse_statements(sql)
    except ParseError as error:
        message, index = _split_parse_error(error)
        line, column = empty.position(min(index, len(sql)))
        raise SourceError(
            str(path), Position(line, column), f"SQL does not parse: {message}"
        ) from None
    statements = []
    for item in parsed:
        location = item.location
        length = item.length or len(sql) - location
        line, column = empty.position(location)
        statements.append(
            Statement(
                node=item.node,
                text=sql[location : location + length],
                line=line,
                column=column,
                location=location,
            )
        )
    return SqlSection(path=path, sql=sql, first_line=first_line, statements=tuple(statements))


def parse_file(path: Path) -> SqlSection:
    """Read and parse a whole SQL file."""
    return parse_section(path, read_text(path))


def read_text(path: Path) -> str:
    """Read a migration file as UTF-8, turning an unreadable file into a user error."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise SourceError(
            str(path), None, f"expected UTF-8 text, found byte {error.object[error.start]:#x}"
        ) from None
    except OSError as error:
        raise SourceError(str(path), None, f"cannot read: {error.strerror}") from None


def _split_parse_error(error: Exception) -> tuple[str, int]:
    args = error.args
    if len(args) >= 2 and isinstance(args[1], int):
        return str(args[0]), args[1]
    return str(error), 0
