"""Database contracts: the queries a service runs against a database it does not own.

A file a consumer keeps beside its code and can write by hand:

    apiVersion: interlock/v1
    kind: DatabaseContract
    consumer: orders
    database: inventory
    queries:
      - name: product-price
        sql: SELECT id, name, price FROM products WHERE id = $1

Files are named `*.dbcontract.yaml`. Each query must parse as PostgreSQL SQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pglast
import yaml

from interlock.catalog import Document, load_documents
from interlock.errors import Position, SourceError, UserInputError

SUFFIXES = (".dbcontract.yaml", ".dbcontract.yml")


@dataclass(frozen=True)
class ContractQuery:
    """One named query of a consumer, with where it is written."""

    consumer: str
    database: str
    name: str
    sql: str
    source: str = ""


@dataclass(frozen=True)
class DatabaseContract:
    consumer: str
    database: str
    queries: tuple[ContractQuery, ...]
    file: str

    def to_json(self) -> dict[str, Any]:
        return {
            "apiVersion": "interlock/v1",
            "kind": "DatabaseContract",
            "consumer": self.consumer,
            "database": self.database,
            "queries": [{"name": q.name, "sql": q.sql} for q in self.queries],
        }


def find_database_contracts(paths: Iterable[Path]) -> list[Path]:
    """The contract files named by `paths` (files, or directories searched recursively)."""
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
                found.extend(Path(folder) / f for f in sorted(files) if f.endswith(SUFFIXES))
        else:
            raise UserInputError(f"{path}: no such file or directory")
    return found


def load_database_contracts(paths: Iterable[Path]) -> list[DatabaseContract]:
    """Every database contract in `paths`; a malformed one is a `SourceError` with its place."""
    return [_read(doc) for path in find_database_contracts(paths) for doc in load_documents(path)]


def load_contract_queries(paths: Iterable[Path]) -> list[ContractQuery]:
    """Every query of every database contract in `paths`, as the migration checks use them."""
    return [query for contract in load_database_contracts(paths) for query in contract.queries]


def _read(doc: Document) -> DatabaseContract:
    value = doc.value
    if not isinstance(value, dict):
        raise doc.error("expected a mapping with apiVersion, kind, consumer, database, queries")
    for key in ("apiVersion", "kind", "consumer", "database", "queries"):
        if key not in value:
            raise doc.error(f"missing required field {key!r}")
    if value["kind"] != "DatabaseContract":
        raise doc.error(f"unknown kind {value['kind']!r}: expected 'DatabaseContract'", "kind")
    for key in ("consumer", "database"):
        if not isinstance(value[key], str):
            raise doc.error(f"{key!r} must be a name", key)
    if not isinstance(value["queries"], list):
        raise doc.error("'queries' must be a list of {name, sql}", "queries")
    queries = []
    for index, item in enumerate(value["queries"]):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("name"), str)
            or not isinstance(item.get("sql"), str)
        ):
            raise doc.error("each query needs a 'name' and an 'sql' string", "queries", index)
        _check_sql(doc, item["sql"], index)
        where = doc.position("queries", index, "sql")
        queries.append(
            ContractQuery(
                value["consumer"],
                value["database"],
                item["name"],
                item["sql"].strip(),
                f"{doc.file}:{where.line}",
            )
        )
    return DatabaseContract(value["consumer"], value["database"], tuple(queries), doc.file)


def _check_sql(doc: Document, sql: str, index: int) -> None:
    try:
        pglast.parse_sql(sql)
    except pglast.parser.ParseError as error:
        where = doc.position("queries", index, "sql")
        raise SourceError(
            doc.file, Position(where.line, where.column), f"query does not parse: {error.args[0]}"
        ) from None


def write_database_contract(contract: DatabaseContract, path: Path) -> None:
    """Write a contract in the same hand-editable form it is read in."""
    text = yaml.safe_dump(contract.to_json(), sort_keys=False, allow_unicode=True, width=100)
    path.write_text(text, encoding="utf-8")


def contract_from_queries(
    consumer: str, database: str, queries: Iterable[str], file: str = ""
) -> DatabaseContract:
    """A first version of a contract from the queries a consumer was seen running.

    Each query gets a name from its verb and tables (`select-products`, `update-products-2`),
    so the file reads well and can be edited by hand afterwards.
    """
    named: list[ContractQuery] = []
    seen: dict[str, int] = {}
    for sql in sorted(set(queries)):
        try:
            statements = pglast.parse_sql(sql)
        except pglast.parser.ParseError:
            continue  # a truncated or non-PostgreSQL statement cannot be part of a contract
        verb = (
            type(statements[0].stmt).__name__.removesuffix("Stmt").lower()
            if statements
            else "query"
        )
        tables = sorted({str(n.relname) for n in _range_vars(statements)})
        base = "-".join([verb, *tables])[:60]
        seen[base] = seen.get(base, 0) + 1
        name = base if seen[base] == 1 else f"{base}-{seen[base]}"
        named.append(ContractQuery(consumer, database, name, sql, file))
    return DatabaseContract(consumer, database, tuple(named), file)


def _range_vars(node: Any) -> Iterable[Any]:
    from pglast import ast

    if isinstance(node, (list, tuple)):
        for item in node:
            yield from _range_vars(item)
    elif isinstance(node, ast.Node):
        if isinstance(node, ast.RangeVar):
            yield node
        for name in node.__slots__:  # type: ignore[attr-defined]  # pglast declares fields as slots
            yield from _range_vars(getattr(node, name, None))
