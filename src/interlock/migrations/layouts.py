"""Reading a directory of migrations in the layout of the tool that runs them.

Flyway, golang-migrate, dbmate, sqitch, diesel-style folders and plain SQL files become one
ordered list of `Migration`s with up and down SQL and transaction behaviour known.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from interlock.errors import Position, SourceError, UserInputError
from interlock.migrations.model import ContextNote, Layout, Migration, SqlSection, Transaction
from interlock.migrations.parsing import read_text

_FLYWAY = re.compile(r"^(?P<kind>[VU])(?P<version>\d+(?:[._]\d+)*)__(?P<name>.+)\.sql$")
_GOLANG = re.compile(r"^(?P<version>\d+)_(?P<name>.+)\.(?P<direction>up|down)\.sql$")
_DBMATE_MARK = re.compile(r"^--\s*migrate:(?P<direction>up|down)\b(?P<options>.*)$", re.M)
_LEADING_VERSION = re.compile(r"^(?P<version>\d+)[_-]?(?P<name>.*?)(?:\.sql)?$")
# plain files numbered in parts (`00.05.00_01_drop_x.sql`): the whole number is the version,
# so that two files never share one (lint tells a table made by this migration by it)
_DOTTED_VERSION = re.compile(r"^(?P<version>\d+(?:[._-]\d+)*)[_-]?(?P<name>.*?)(?:\.sql)?$")
_DIESEL_DIR = re.compile(r"^(?P<version>[\d_-]+?)_(?P<name>.+)$")

# A dot-separated part of a file name that says which database the file is for
# (`1_users.postgres.up.sql` beside `1_users.mysql.up.sql`): the PostgreSQL one is read, the
# others are left out, a file with no such part is for every database.
_POSTGRES_DIALECTS = frozenset({"postgres", "postgresql", "pg", "pgsql"})
_OTHER_DIALECTS = frozenset(
    {
        "mysql", "mariadb", "sqlite", "sqlite3", "mssql", "sqlserver", "oracle", "h2",
        "hsqldb", "db2", "clickhouse", "cockroach", "cockroachdb", "redshift", "snowflake",
        "spanner", "tidb", "derby",
    }
)  # fmt: skip
# A part of a file name that marks a migration to run outside a transaction
# (`2_index.autocommit.up.sql`): each statement alone, as CREATE INDEX CONCURRENTLY needs.
_AUTOCOMMIT_MARKS = frozenset({"autocommit", "notx", "no-transaction", "nontransactional"})

# what "no migrations found" says was looked for: every layout this module reads
LAYOUTS_LOOKED_FOR = (
    "Flyway V1__name.sql, golang-migrate 1_name.up.sql, dbmate or plain *.sql files, "
    "diesel <version>_<name>/up.sql folders, or a sqitch.plan"
)


def detect_layout(directory: Path) -> Layout:
    """Which tool's layout `directory` follows, from the names (and dbmate markers) inside."""
    if (directory / "sqitch.plan").is_file():
        return Layout.sqitch
    if _diesel_folders(directory):
        return Layout.diesel
    files = _sql_files(directory)
    if any(_GOLANG.match(migration_name(f.name)) for f in files):
        return Layout.golang_migrate
    if any(_FLYWAY.match(migration_name(f.name)) for f in files):
        return Layout.flyway
    if any(_DBMATE_MARK.search(_text_or_empty(f)) for f in files):
        return Layout.dbmate
    return Layout.plain


def _text_or_empty(file: Path) -> str:
    """A file's text for layout detection; one that cannot be read is reported when it is read."""
    try:
        return read_text(file)
    except SourceError:
        return ""


def read_migrations(
    path: Path, *, parse: bool = True, context: list[ContextNote] | None = None
) -> list[Migration]:
    """The migrations at `path` (a directory, or one file read with its directory's layout).

    For a single file, the migrations before it in its directory come first, so that
    checks can replay them; callers tell the file's own migration by its `up_path`. The
    files after it are not read. With `context` (a list), those earlier migrations are only
    context for the file: their up SQL alone is read, and one that cannot be read is left
    out with a note added to `context` instead of an error.
    With `parse`, every section is parsed now and SQL that does not parse raises here;
    otherwise each section is parsed when its statements are first read.
    A directory with no migration in any layout is a `UserInputError`.
    """
    migrations = _read(path, context)
    if parse:
        for migration in migrations:
            for section in migration.sections:
                section.parse()
    return migrations


def _read(path: Path, context: list[ContextNote] | None) -> list[Migration]:
    if not path.exists():
        raise UserInputError(f"{path}: no such file or directory")
    if path.is_dir():
        migrations = _READERS[detect_layout(path)](path, _Scope())
        if not migrations:
            raise UserInputError(
                f"no migrations found under {path} (looked for {LAYOUTS_LOOKED_FOR})"
            )
        return migrations
    directory = path.parent
    if path.name in ("up.sql", "down.sql") and directory.parent.exists():
        directory = directory.parent
    if path.parent.name in ("deploy", "revert", "verify"):
        directory = path.parent.parent
    # the readers name each file `directory / ...`, as `path` is named: compared as they are
    scope = _Scope(path, context)
    noted = len(context) if context is not None else 0
    migrations = _READERS[detect_layout(directory)](directory, scope)
    if migrations and path in (section.path for section in migrations[-1].sections):
        return migrations
    if context is not None:
        del context[noted:]  # the file is none of them: they were no context for it
    return [_single_file(path)]


@dataclass(frozen=True)
class _Scope:
    """Which migrations a reader reads: all of a directory, or those up to a `target` file.

    With `context`, the migrations before the target are read as its context only: their
    up SQL alone, and one that cannot be read is left out with a note.
    """

    target: Path | None = None
    context: list[ContextNote] | None = None

    @contextmanager
    def reading(self, files: tuple[Path | None, ...]) -> Iterator[bool]:
        """Around reading one migration of `files`: yields whether it is read as context only;
        a `SourceError` in such a migration becomes a note and the migration is left out."""
        if self.context is None or self.target in files:
            yield False
            return
        try:
            yield True
        except SourceError as error:
            self.context.append(ContextNote.of(error))

    def reached(self, files: tuple[Path | None, ...]) -> bool:
        """True once the target's migration is read: the files after it are not wanted."""
        return self.target is not None and self.target in files


def _single_file(path: Path) -> Migration:
    return Migration(
        version=path.stem,
        name=path.stem,
        up=_sql_file(path),
        down=None,
        transaction=Transaction.never,
        layout=Layout.plain,
    )


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.split(r"[._-]", version) if part.isdigit())


def _natural_key(name: str) -> list[object]:
    return [(0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", name)]


def _sql_files(directory: Path) -> list[Path]:
    """The .sql files in `directory` for PostgreSQL, by name. (A directory entry knows whether
    it is a file: no system call per file, which a directory of hundreds of migrations notices.)

    Of a file written for several databases, the PostgreSQL one is kept (`x.postgres.up.sql`
    over `x.up.sql`), and the files for other databases are left out.
    """
    with os.scandir(directory) as entries:
        names = sorted(e.name for e in entries if e.name.endswith(".sql") and e.is_file())
    chosen: dict[str, str] = {}
    for name in names:
        dialect = _dialect(name)
        if dialect in _OTHER_DIALECTS:
            continue
        key = migration_name(name)
        if key not in chosen or dialect is not None:
            chosen[key] = name
    return [directory / name for name in sorted(chosen.values())]


def _parts(name: str) -> list[str]:
    """The dot-separated parts of a file name between its stem and its extensions."""
    return name.split(".")[1:-1]


def _dialect(name: str) -> str | None:
    parts = {p.lower() for p in _parts(name)}
    found = parts & (_POSTGRES_DIALECTS | _OTHER_DIALECTS)
    return min(found) if found else None


def migration_name(name: str) -> str:
    """A file name without its dialect and autocommit parts, as the tool's naming reads it:
    `1_users.postgres.autocommit.up.sql` -> `1_users.up.sql`."""
    first, *rest = name.split(".")
    marks = _POSTGRES_DIALECTS | _OTHER_DIALECTS | _AUTOCOMMIT_MARKS
    return ".".join([first, *(p for p in rest[:-1] if p.lower() not in marks), *rest[-1:]])


def _autocommit(file: Path | None) -> bool:
    """Whether the file's name marks it to run outside a transaction."""
    return file is not None and any(p.lower() in _AUTOCOMMIT_MARKS for p in _parts(file.name))


def _diesel_folders(directory: Path) -> list[Path]:
    with os.scandir(directory) as entries:
        names = sorted(e.name for e in entries if e.is_dir())
    return [directory / name for name in names if (directory / name / "up.sql").is_file()]


def _read_plain(directory: Path, scope: _Scope) -> list[Migration]:
    files = sorted(_sql_files(directory), key=lambda f: _natural_key(f.name))
    migrations: list[Migration] = []
    for file in files:
        bare = migration_name(file.name)
        match = _DOTTED_VERSION.match(bare)
        version = match["version"] if match and match["version"] else Path(bare).stem
        name = match["name"] if match and match["name"] else Path(bare).stem
        with scope.reading((file,)):
            migrations.append(
                Migration(
                    version=version,
                    name=name,
                    up=_sql_file(file),
                    down=None,
                    transaction=Transaction.never,
                    layout=Layout.plain,
                )
            )
        if scope.reached((file,)):
            break
    return migrations


def _read_flyway(directory: Path, scope: _Scope) -> list[Migration]:
    ups: dict[str, tuple[str, Path]] = {}
    undos: dict[str, Path] = {}
    for file in _sql_files(directory):
        match = _FLYWAY.match(migration_name(file.name))
        if not match:
            continue
        version = match["version"].replace("_", ".")
        if match["kind"] == "V":
            if version in ups:
                _duplicate(version, file, ups[version][1])
            ups[version] = (match["name"], file)
        else:
            undos[version] = file
    migrations: list[Migration] = []
    for version in sorted(ups, key=_version_key):
        name, file = ups[version]
        undo = undos.get(version)
        with scope.reading((file, undo)) as context_only:
            migrations.append(
                Migration(
                    version=version,
                    name=name.replace("_", " "),
                    up=_sql_file(file),
                    down=_sql_file(undo) if undo and not context_only else None,
                    transaction=_flyway_transaction(file),
                    layout=Layout.flyway,
                )
            )
        if scope.reached((file, undo)):
            break
    return migrations


def _flyway_transaction(file: Path) -> Transaction:
    """Flyway wraps each script in a transaction unless its `.conf` says otherwise (or its
    name is marked autocommit)."""
    if _autocommit(file):
        return Transaction.never
    conf = file.with_name(file.name + ".conf")
    if conf.is_file():
        for line in read_text(conf).splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "executeInTransaction":
                return _setting(value)
    return Transaction.always


def _read_golang_migrate(directory: Path, scope: _Scope) -> list[Migration]:
    found: dict[int, dict[str, Path]] = {}
    names: dict[int, str] = {}
    for file in _sql_files(directory):
        match = _GOLANG.match(migration_name(file.name))
        if not match:
            continue
        version = int(match["version"])
        pair = found.setdefault(version, {})
        if match["direction"] in pair:
            _duplicate(str(version), file, pair[match["direction"]])
        pair[match["direction"]] = file
        names[version] = match["name"]
    migrations: list[Migration] = []
    for version in sorted(found):
        pair = found[version]
        if "up" not in pair and scope.target in (None, pair["down"]):
            raise SourceError(str(pair["down"]), None, "a down migration with no up migration")
        if "up" not in pair:
            continue  # not the file asked about, and nothing to replay
        files = (pair["up"], pair.get("down"))
        with scope.reading(files) as context_only:
            migrations.append(
                Migration(
                    version=str(version),
                    name=names[version],
                    up=_sql_file(pair["up"]),
                    down=_sql_file(pair["down"]) if "down" in pair and not context_only else None,
                    transaction=Transaction.never
                    if _autocommit(pair["up"])
                    else Transaction.multi_statement,
                    layout=Layout.golang_migrate,
                )
            )
        if scope.reached(files):
            break
    return migrations


def _read_dbmate(directory: Path, scope: _Scope) -> list[Migration]:
    files = sorted(_sql_files(directory), key=lambda f: _natural_key(f.name))
    migrations: list[Migration] = []
    for file in files:
        with scope.reading((file,)):
            migrations.append(_dbmate_migration(file))
        if scope.reached((file,)):
            break
    return migrations


def _dbmate_migration(file: Path) -> Migration:
    sections, in_transaction = _dbmate_sections(file, read_text(file))
    in_transaction = in_transaction and not _autocommit(file)
    match = _LEADING_VERSION.match(migration_name(file.name))
    return Migration(
        version=match["version"] if match and match["version"] else file.stem,
        name=match["name"] if match and match["name"] else file.stem,
        up=sections["up"],
        down=sections.get("down"),
        transaction=Transaction.always if in_transaction else Transaction.never,
        layout=Layout.dbmate,
    )


def _dbmate_sections(file: Path, text: str) -> tuple[dict[str, SqlSection], bool]:
    marks = list(_DBMATE_MARK.finditer(text))
    if not marks or marks[0]["direction"] != "up":
        line = text[: marks[0].start()].count("\n") + 1 if marks else 1
        raise SourceError(str(file), Position(line, 1), "expected a '-- migrate:up' line first")
    sections: dict[str, SqlSection] = {}
    in_transaction = True
    for index, mark in enumerate(marks):
        direction = mark["direction"]
        if direction in sections:
            line = text[: mark.start()].count("\n") + 1
            raise SourceError(str(file), Position(line, 1), f"a second '-- migrate:{direction}'")
        if direction == "up" and "transaction:false" in mark["options"].replace(" ", ""):
            in_transaction = False
        start = mark.end() + 1 if mark.end() < len(text) else mark.end()
        end = marks[index + 1].start() if index + 1 < len(marks) else len(text)
        first_line = text[:start].count("\n") + 1
        sections[direction] = SqlSection(file, text[start:end], first_line)
    return sections, in_transaction


def _read_sqitch(directory: Path, scope: _Scope) -> list[Migration]:
    plan = directory / "sqitch.plan"
    migrations: list[Migration] = []
    seen: set[str] = set()
    for number, raw in enumerate(read_text(plan).splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("%", "#", "@")):
            continue
        name = line.split()[0]
        if name in seen:
            # a reworked change: its new scripts carry the name suffixed by the tag
            continue
        seen.add(name)
        deploy = directory / "deploy" / f"{name}.sql"
        if not deploy.is_file():
            raise SourceError(
                str(plan), Position(number, 1), f"change {name!r} has no deploy/{name}.sql"
            )
        revert = directory / "revert" / f"{name}.sql"
        verify = directory / "verify" / f"{name}.sql"
        with scope.reading((deploy, revert, verify)) as context_only:
            migrations.append(
                Migration(
                    version=str(len(seen)),
                    name=name,
                    up=_sql_file(deploy),
                    down=_sql_file(revert) if revert.is_file() and not context_only else None,
                    # sqitch runs each script as written; scripts carry their own BEGIN/COMMIT
                    transaction=Transaction.never,
                    layout=Layout.sqitch,
                    verify=_sql_file(verify) if verify.is_file() and not context_only else None,
                )
            )
        if scope.reached((deploy, revert, verify)):
            break
    return migrations


def _read_diesel(directory: Path, scope: _Scope) -> list[Migration]:
    folders = _diesel_folders(directory)
    migrations: list[Migration] = []
    for folder in folders:
        match = _DIESEL_DIR.match(folder.name)
        down = folder / "down.sql"
        files = (folder / "up.sql", down)
        with scope.reading(files) as context_only:
            migrations.append(
                Migration(
                    version=match["version"] if match else folder.name,
                    name=match["name"] if match else folder.name,
                    up=_sql_file(folder / "up.sql"),
                    down=_sql_file(down) if down.is_file() and not context_only else None,
                    transaction=_diesel_transaction(folder),
                    layout=Layout.diesel,
                )
            )
        if scope.reached(files):
            break
    return migrations


def _diesel_transaction(folder: Path) -> Transaction:
    """Diesel wraps each migration in a transaction unless metadata.toml turns it off."""
    metadata = folder / "metadata.toml"
    if metadata.is_file():
        for line in read_text(metadata).splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "run_in_transaction":
                return _setting(value)
    return Transaction.always


def _duplicate(version: str, file: Path, other: Path) -> None:
    raise SourceError(str(file), None, f"version {version} is also used by {other.name}")


_READERS: dict[Layout, Callable[[Path, _Scope], list[Migration]]] = {
    Layout.plain: _read_plain,
    Layout.flyway: _read_flyway,
    Layout.golang_migrate: _read_golang_migrate,
    Layout.dbmate: _read_dbmate,
    Layout.sqitch: _read_sqitch,
    Layout.diesel: _read_diesel,
}


def _sql_file(path: Path) -> SqlSection:
    return SqlSection(path, read_text(path))


def _setting(value: str) -> Transaction:
    return Transaction.never if value.strip().lower() == "false" else Transaction.always
