"""`migrate lint` and squawk scored against PostgreSQL itself on a real migration history.

Run: `.venv/bin/python benchmarks/lint_oracle.py [--corpus DIR] [--rows N] [--show]`
(needs squawk-cli, the `bench` extra; a throwaway PostgreSQL is started).

The oracle: each migration file of the corpus (default: procrastinate's 38, in
benchmarks/corpora/procrastinate) is applied in one transaction, statement by statement, to a
real PostgreSQL whose tables hold `--rows` rows each (filled after every file). For each
statement it records the relation locks the transaction holds (`pg_locks`), the relations
rewritten (`pg_class.relfilenode` changed) and the tables scanned (`pg_stat_xact_user_tables`
seq_scan), limited to relations that existed before the file.

Two questions, each scored as precision and recall for both tools, side by side:

- per statement: does it rewrite or scan an existing table while the transaction holds
  SHARE or stronger on it? Interlock predicts so with a finding that says it rewrites or
  scans under such a lock; squawk with one of its rules about rewrites, scans and index
  builds (SQUAWK_REWRITE_RULES).
- per file: does it take SHARE or stronger (a lock that makes writers, or readers, queue
  behind it) on an existing relation with no lock_timeout set? Interlock and squawk predict
  so with their lock-timeout rule.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from interlock.envs import start_postgres
from interlock.migrations import LintSettings, lint_paths, read_migrations

CORPUS = Path(__file__).resolve().parent / "corpora" / "procrastinate"
STRONG = {"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"}
STRONG_NAMES = {"SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"}
SQUAWK_REWRITE_RULES = {
    "adding-field-with-default",
    "adding-foreign-key-constraint",
    "adding-not-nullable-field",
    "adding-serial-primary-key-field",
    "changing-column-type",
    "constraint-missing-not-valid",
    "disallowed-unique-constraint",
    "require-concurrent-index-creation",
}
TIMEOUT_RULES = {"require-timeout-settings", "require-lock-timeout"}

_RELATIONS = """
    SELECT c.oid, c.relname, c.relfilenode, c.relkind FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i', 'm', 'p', 'v', 'S')"""
_LOCKS = "SELECT relation, mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted"
_SCANS = "SELECT relid, seq_scan FROM pg_stat_xact_user_tables"


@dataclass
class Observed:
    """What one statement did, as PostgreSQL showed it."""

    file: str
    line: int
    sql: str
    strong_scan: bool = False  # rewrote or scanned an existing table under SHARE or stronger
    strong_locks: set[str] = field(default_factory=set)  # existing relations it locked so


def observe(url: str, corpus: Path, rows: int) -> tuple[list[Observed], dict[str, bool], list[str]]:
    """Apply every file; per statement what it did, per file whether it took a strong lock on
    an existing relation; and the notes (a file that failed, a table left empty)."""
    statements: list[Observed] = []
    strong_files: dict[str, bool] = {}
    notes: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        for migration in read_migrations(corpus):
            name = migration.up.path.name
            existing = {r[0]: r for r in conn.execute(_RELATIONS).fetchall()}
            conn.execute("BEGIN")
            observed: list[Observed] = []
            try:
                for statement in migration.up.statements:
                    observed.append(_one(conn, statement, name, existing))
                conn.execute("COMMIT")
            except psycopg.Error as error:
                conn.execute("ROLLBACK")
                notes.append(f"{name}: {str(error).strip().splitlines()[0]} (file left out)")
                continue
            statements += observed
            strong_files[name] = any(o.strong_locks for o in observed)
            notes += fill_tables(conn, rows)
    return statements, strong_files, notes


def _one(
    conn: psycopg.Connection[Any], statement: Any, file: str, existing: dict[int, Any]
) -> Observed:
    scans_before = dict(conn.execute(_SCANS).fetchall())
    before = {r[0]: r for r in conn.execute(_RELATIONS).fetchall()}
    conn.execute(statement.text)
    after = {r[0]: r for r in conn.execute(_RELATIONS).fetchall()}
    locks = conn.execute(_LOCKS).fetchall()
    scans_after = dict(conn.execute(_SCANS).fetchall())
    held = {oid for oid, mode in locks if mode in STRONG and oid in existing}
    rewritten = {
        oid
        for oid, row in before.items()
        if oid in existing and oid in after and after[oid][2] != row[2] and row[3] in "rmp"
    }
    scanned = {
        oid for oid, n in scans_after.items() if oid in existing and n > scans_before.get(oid, 0)
    }
    # an index rewritten counts as its table's rewrite only through the table's own lock
    hits = {oid for oid in rewritten | scanned if oid in held}
    return Observed(
        file,
        statement.line,
        " ".join(statement.text.split()),
        strong_scan=bool(hits),
        strong_locks={existing[oid][1] for oid in held},
    )


_VALUES = {
    "text": "'v' || g", "character varying": "'v' || g", "integer": "g", "bigint": "g",
    "smallint": "(g % 30000)::smallint", "jsonb": "'{}'::jsonb", "json": "'{}'::json",
    "timestamp with time zone": "now()", "timestamp without time zone": "now()",
    "boolean": "false", "uuid": "gen_random_uuid()", "date": "current_date",
}  # fmt: skip


def fill_tables(conn: psycopg.Connection[Any], rows: int) -> list[str]:
    """Give every table with fewer than `rows` rows that many, made from its column types
    (an enum's first label; a foreign key the first id of the table it references)."""
    notes = []
    tables = [r[0] for r in conn.execute(
        "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.oid"
    ).fetchall()]  # fmt: skip
    for table in tables:
        have = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        if have is not None and have[0] >= rows:
            continue
        columns = conn.execute(
            """SELECT a.attname, format_type(a.atttypid, NULL), t.typtype, a.atttypid,
                      (SELECT confrelid::regclass::text FROM pg_constraint f
                        WHERE f.conrelid = a.attrelid AND f.contype = 'f' AND a.attnum = ANY(f.conkey) LIMIT 1)
               FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
               WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
                 AND a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = ''""",
            (f'"{table}"',),
        ).fetchall()
        names, values = [], []
        for name, type_name, kind, type_oid, references in columns:
            if references:
                value = f"(SELECT id FROM {references} LIMIT 1)"
            elif kind == "e":
                value = f"(SELECT enumlabel::{type_name} FROM pg_enum WHERE enumtypid = {type_oid} ORDER BY enumsortorder LIMIT 1)"
            elif type_name in _VALUES:
                value = _VALUES[type_name]
            else:
                notes.append(f"{table}: no value for {name} {type_name}; left empty")
                break
            names.append(f'"{name}"')
            values.append(value)
        else:
            insert = (
                f'INSERT INTO "{table}" ({", ".join(names)}) SELECT {", ".join(values)} FROM generate_series(1, {rows}) g'
                if names
                else f'INSERT INTO "{table}" SELECT FROM generate_series(1, {rows}) g'
            )
            try:
                conn.execute(insert)  # type: ignore[arg-type]
            except psycopg.Error as error:
                notes.append(f"{table}: {str(error).strip().splitlines()[0]}; left empty")
    conn.execute("ANALYZE")
    return notes


def flyway_copy(corpus: Path, into: Path) -> dict[str, str]:
    """The corpus as a Flyway directory (V1__..., in the corpus's order): each file in one
    transaction, as the oracle runs it, for both linters to read alike. Flyway name ->
    the corpus's own name."""
    names = {}
    for number, migration in enumerate(read_migrations(corpus), start=1):
        source = migration.up.path
        copy = f"V{number}__{source.stem.replace('.', '_')}.sql"
        shutil.copy(source, into / copy)
        names[copy] = source.name
    return names


class Places:
    """Which statement a finding's line falls in: the last one starting at or before it."""

    def __init__(self, statements: Iterable[Observed]) -> None:
        self._starts: dict[str, list[int]] = {}
        for o in statements:
            self._starts.setdefault(o.file, []).append(o.line)

    def __call__(self, file: str, line: int) -> tuple[str, int]:
        starts = [s for s in self._starts.get(file, []) if s <= line]
        return (file, max(starts) if starts else line)


def interlock_predictions(
    folder: Path, names: dict[str, str], place: Places
) -> tuple[set[tuple[str, int]], set[str]]:
    report = lint_paths([folder], LintSettings(pg_version=16))
    scans = {
        place(names[Path(f.file).name], f.line)
        for f in report.findings
        if (f.rewrites_table or f.scans_table) and f.lock in STRONG_NAMES
    }
    timeouts = {names[Path(f.file).name] for f in report.findings if f.rule in TIMEOUT_RULES}
    return scans, timeouts


def squawk_predictions(
    folder: Path, names: dict[str, str], place: Places
) -> tuple[set[tuple[str, int]], set[str]]:
    squawk = shutil.which("squawk", path=str(Path(sys.executable).parent))
    if squawk is None:
        raise SystemExit("squawk not found: .venv/bin/pip install squawk-cli (the bench extra)")
    files = sorted(str(p) for p in folder.glob("*.sql"))
    done = subprocess.run(
        [squawk, "--reporter", "json", "--assume-in-transaction", "--pg-version", "16", *files],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    found = json.loads(done.stdout or "[]")
    scans = {
        place(names[Path(v["file"]).name], int(v["line"]) + 1)  # squawk counts lines from 0
        for v in found
        if v["rule_name"] in SQUAWK_REWRITE_RULES
    }
    timeouts = {names[Path(v["file"]).name] for v in found if v["rule_name"] in TIMEOUT_RULES}
    return scans, timeouts


def score(
    truth: Iterable[Any], predicted: set[Any], universe: set[Any]
) -> tuple[float, float, int, int, int]:
    positive = set(truth)
    predicted = predicted & universe
    hits = len(positive & predicted)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(positive) if positive else 1.0
    return precision, recall, hits, len(predicted) - hits, len(positive) - hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--show", action="store_true", help="list each miss and false alarm")
    args = parser.parse_args()
    server = start_postgres()
    try:
        url = server.create_database("oracle")
        statements, strong_files, notes = observe(url, args.corpus, args.rows)
    finally:
        server.stop()
    place = Places(statements)
    with tempfile.TemporaryDirectory() as tmp:
        names = flyway_copy(args.corpus, Path(tmp))
        ours = interlock_predictions(Path(tmp), names, place)
        theirs = squawk_predictions(Path(tmp), names, place)
    # a statement is its file and the line it starts on
    universe = {(o.file, o.line) for o in statements}
    truth = {(o.file, o.line) for o in statements if o.strong_scan}
    files = set(strong_files)
    file_truth = {f for f, strong in strong_files.items() if strong}
    print(
        f"corpus {args.corpus.name}: {len(files)} files applied, {len(universe)} statements, {args.rows} rows a table"
    )
    for note in notes:
        print(f"  note: {note}")
    print(f"oracle: {len(truth)} statements rewrite or scan an existing table under SHARE+; "
          f"{len(file_truth)} files take SHARE+ on an existing relation")  # fmt: skip
    print(f"\n{'':44}{'interlock':>22}{'squawk':>22}")
    for title, truth_set, index, space in (
        ("rewrites/scans under SHARE+ (per statement)", truth, 0, universe),
        ("lock timeout needed (per file)", file_truth, 1, files),
    ):
        a = score(truth_set, ours[index], space)
        b = score(truth_set, theirs[index], space)
        print(f"{title:44}" + "".join(f"   P {p:6.1%}  R {r:6.1%}" for p, r, *_ in (a, b)))
        print(
            f"{'  (hits / false alarms / misses)':44}"
            + "".join(f"{f'{h} / {fa} / {m}':>22}" for _, _, h, fa, m in (a, b))
        )
        if args.show:
            for who, predicted in (("interlock", ours[index]), ("squawk", theirs[index])):
                for item in sorted((predicted & space) - truth_set, key=str):
                    print(f"    {who} false alarm: {item}")
                for item in sorted(truth_set - predicted, key=str):
                    print(f"    {who} miss: {item}")
    sql_of = {(o.file, o.line): o.sql for o in statements}
    if args.show:
        for key in sorted(truth, key=str):
            print(f"  oracle positive {key}: {sql_of[key][:100]}")


if __name__ == "__main__":
    main()
