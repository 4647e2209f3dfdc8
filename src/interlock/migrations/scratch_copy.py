"""A scratch copy of a PostgreSQL database for a dry run; the source is only ever read.

`CREATE DATABASE ... TEMPLATE` when nothing else is connected to the source and the copy
is whole; otherwise the schema through `pg_dump`/`pg_restore` and the rows through COPY,
table by table, with optional row sampling and column masking for personal data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from interlock.errors import UserInputError
from interlock.migrations.database_url import connect, redact


@dataclass(frozen=True)
class ScratchCopy:
    """Where the copy lives and how it was made."""

    url: str
    name: str
    method: str  # "template" or "dump"
    seconds: float
    rows_copied: int | None = None


def database_url(url: str, dbname: str) -> str:
    """The same server and credentials as `url`, another database."""
    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo(**params)  # type: ignore[arg-type]


def source_name(url: str) -> str:
    name = conninfo_to_dict(url).get("dbname")
    if not name:
        raise UserInputError(f"--database-url {redact(url)!r}: the URL names no database")
    return str(name)


def make_copy(
    source_url: str, sample_percent: float | None = None, masks: Sequence[str] = ()
) -> ScratchCopy:
    """Copy the source database into a new scratch database on the same server."""
    source = source_name(source_url)
    scratch = f"interlock_dryrun_{uuid.uuid4().hex[:12]}"
    admin = database_url(source_url, "postgres")
    started = time.perf_counter()
    whole = sample_percent is None and not masks
    with connect(admin, autocommit=True) as conn:
        others = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (source,),
        ).fetchone()
        if whole and others is not None and others[0] == 0:
            try:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(scratch), sql.Identifier(source)
                    )
                )
                return ScratchCopy(
                    database_url(source_url, scratch),
                    scratch,
                    "template",
                    time.perf_counter() - started,
                )
            except (psycopg.errors.ObjectInUse, psycopg.errors.InsufficientPrivilege):
                pass  # someone connected in between, or not the source's owner: a dump
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
        except psycopg.errors.InsufficientPrivilege:
            user = conninfo_to_dict(source_url).get("user", "this user")
            raise UserInputError(
                f"--database-url {redact(source_url)!r}: {user} may not create databases there "
                "(the dry run makes its scratch copy beside the source)"
            ) from None
    target_url = database_url(source_url, scratch)
    try:
        rows = _dump_copy(source_url, target_url, sample_percent, masks)
    except BaseException:
        drop_copy(source_url, scratch)
        raise
    return ScratchCopy(target_url, scratch, "dump", time.perf_counter() - started, rows)


def drop_copy(source_url: str, scratch: str) -> None:
    with connect(database_url(source_url, "postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch))
        )


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise UserInputError(f"{name} not found: install the PostgreSQL client programs")


def _restore_section(source_url: str, target_url: str, section: str) -> None:
    dump = subprocess.run(
        [
            _pg_tool("pg_dump"),
            "--format=custom",
            f"--section={section}",
            "--no-owner",
            "--no-privileges",
            "--dbname",
            source_url,
        ],
        capture_output=True,
        check=False,
        env={**os.environ, "PGOPTIONS": "-c default_transaction_read_only=on"},
    )
    if dump.returncode != 0:
        raise UserInputError(f"pg_dump failed: {dump.stderr.decode(errors='replace').strip()}")
    restore = subprocess.run(
        [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--dbname", target_url],
        input=dump.stdout,
        capture_output=True,
        check=False,
    )
    if restore.returncode != 0:
        raise UserInputError(
            f"pg_restore failed: {restore.stderr.decode(errors='replace').strip()}"
        )


def _dump_copy(
    source_url: str, target_url: str, sample_percent: float | None, masks: Sequence[str]
) -> int:
    """Schema before data, rows by COPY (sampled, masked), then indexes and constraints."""
    masked = _parse_masks(masks)
    _restore_section(source_url, target_url, "pre-data")
    copied = 0
    with psycopg.connect(source_url) as src, psycopg.connect(target_url) as dst:
        src.read_only = True
        tables = src.execute(
            """SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
               AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2"""
        ).fetchall()
        for schema, table in tables:
            columns = [
                row[0]
                for row in src.execute(
                    """SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass
                       AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum""",
                    (f'"{schema}"."{table}"',),
                ).fetchall()
            ]
            copied += _copy_table(
                src, dst, schema, table, columns, sample_percent, masked.get(table, set())
            )
        dst.commit()
    _restore_section(source_url, target_url, "post-data")
    return copied


def _copy_table(
    src: psycopg.Connection[Any],
    dst: psycopg.Connection[Any],
    schema: str,
    table: str,
    columns: list[str],
    sample_percent: float | None,
    masked: set[str],
) -> int:
    selected = [
        sql.SQL("md5({}::text)").format(sql.Identifier(c)) if c in masked else sql.Identifier(c)
        for c in columns
    ]
    sample = (
        sql.SQL(" TABLESAMPLE BERNOULLI ({})").format(sql.Literal(sample_percent))
        if sample_percent is not None
        else sql.SQL("")
    )
    query = sql.SQL("COPY (SELECT {} FROM {}.{}{}) TO STDOUT").format(
        sql.SQL(", ").join(selected), sql.Identifier(schema), sql.Identifier(table), sample
    )
    target = sql.SQL("COPY {}.{} ({}) FROM STDIN").format(
        sql.Identifier(schema),
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
    )
    rows = 0
    with src.cursor().copy(query) as out, dst.cursor().copy(target) as into:
        for chunk in out:
            into.write(chunk)
            rows += bytes(chunk).count(b"\n")
    return rows


def _parse_masks(masks: Sequence[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for mask in masks:
        table, dot, column = mask.rpartition(".")
        if not dot or not table or not column:
            raise UserInputError(f"--mask {mask!r}: expected TABLE.COLUMN")
        found.setdefault(table.rsplit(".", 1)[-1], set()).add(column)
    return found
