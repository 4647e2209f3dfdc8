"""SQL text to sections whose statements PostgreSQL's own parser (pglast's libpg_query) reads.

A section is parsed when its statements are first read; SQL that does not parse is then a
`SourceError` naming the file, line and column.
"""

from __future__ import annotations

from pathlib import Path

from interlock.errors import SourceError
from interlock.migrations.model import SqlSection


def parse_section(path: Path, sql: str, first_line: int = 1) -> SqlSection:
    """`sql`, which starts at 1-based `first_line` of `path`, parsed into a `SqlSection`."""
    return SqlSection(path, sql, first_line).parse()


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
