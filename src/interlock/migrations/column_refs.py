"""Which table columns a SQL query touches, resolved against a schema.

Aliases, joins, `*`, CTEs, subqueries (correlated too), INSERT column lists, UPDATE SET
targets and set operations are resolved, so that a query that reads `p.price` through an
alias, or `*` from a table, is known to read `products.price`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pglast
from pglast import ast

Schema = Mapping[str, Sequence[str]]  # table name -> its column names


@dataclass(frozen=True)
class ColumnUse:
    """A column of a base table that a query uses, and how the query named it."""

    table: str
    column: str
    how: str  # "qualified", "unqualified", "star", "insert", "update"

    def __str__(self) -> str:
        return f"{self.table}.{self.column} ({self.how})"


@dataclass
class _Source:
    """Something in a FROM clause: a base table (with its columns, when the schema knows it)
    or a derived relation (a CTE or a subquery) with its output column names."""

    table: str | None
    columns: Sequence[str] | None


@dataclass
class _Scope:
    sources: dict[str, _Source] = field(default_factory=dict)
    ctes: dict[str, _Source] = field(default_factory=dict)
    parent: _Scope | None = None

    def cte(self, name: str) -> _Source | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.ctes:
                return scope.ctes[name]
            scope = scope.parent
        return None


def column_uses(sql: str, schema: Schema) -> list[ColumnUse]:
    """Every base-table column `sql` uses; raises pglast's ParseError on invalid SQL."""
    resolver = _Resolver({k.lower(): [c.lower() for c in v] for k, v in schema.items()})
    for raw in pglast.parse_sql(sql):
        resolver.statement(raw.stmt, _Scope())
    return sorted(set(resolver.uses), key=lambda u: (u.table, u.column, u.how))


def tables_used(sql: str) -> set[str]:
    """The base tables a query names (lower case, unqualified)."""
    return {
        str(node.relname).lower()
        for node in _nodes(pglast.parse_sql(sql))
        if isinstance(node, ast.RangeVar)
    }


class _Resolver:
    def __init__(self, schema: Mapping[str, list[str]]) -> None:
        self.schema = schema
        self.uses: list[ColumnUse] = []

    def statement(self, node: Any, scope: _Scope) -> list[str]:
        """Resolve one statement; returns its output column names (for CTEs and subqueries)."""
        if isinstance(node, ast.SelectStmt):
            return self.select(node, scope)
        if isinstance(node, ast.InsertStmt):
            return self.insert(node, scope)
        if isinstance(node, ast.UpdateStmt):
            return self.update(node, scope)
        if isinstance(node, ast.DeleteStmt):
            inner = self.with_clause(node.withClause, scope)
            self.add_table(inner, node.relation)
            for item in node.usingClause or ():
                self.from_item(item, inner)
            self.expressions(node.whereClause, inner)
            return []
        return []

    def with_clause(self, clause: Any, scope: _Scope) -> _Scope:
        inner = _Scope(parent=scope)
        for cte in getattr(clause, "ctes", None) or ():
            names = self.statement(cte.ctequery, inner)
            if cte.aliascolnames:
                names = [n.sval for n in cte.aliascolnames]
            inner.ctes[cte.ctename] = _Source(None, names)
        return inner

    def select(self, node: Any, scope: _Scope) -> list[str]:
        if node.op and node.op.name != "SETOP_NONE":
            left = self.statement(node.larg, self.with_clause(node.withClause, scope))
            self.statement(node.rarg, self.with_clause(node.withClause, scope))
            return left
        inner = self.with_clause(node.withClause, scope)
        for item in node.fromClause or ():
            self.from_item(item, inner)
        names: list[str] = []
        for target in node.targetList or ():
            self.expressions(target.val, inner)
            names.extend(self.output_names(target, inner))
        for part in (
            node.whereClause,
            node.groupClause,
            node.havingClause,
            node.sortClause,
            node.distinctClause,
        ):
            self.expressions(part, inner)
        for values in node.valuesLists or ():
            self.expressions(values, inner)
        return names

    def output_names(self, target: Any, scope: _Scope) -> list[str]:
        if target.name:
            return [target.name]
        value = target.val
        if isinstance(value, ast.ColumnRef):
            last = (value.fields or ())[-1]
            if isinstance(last, ast.A_Star):
                sources = scope.sources.values()
                return [c for s in sources for c in (s.columns or ())]
            return [last.sval]
        return ["?column?"]

    def insert(self, node: Any, scope: _Scope) -> list[str]:
        inner = self.with_clause(node.withClause, scope)
        table = str(node.relation.relname).lower()
        columns = [c.name for c in node.cols or ()] or list(self.schema.get(table, ()))
        self.uses.extend(ColumnUse(table, c.lower(), "insert") for c in columns)
        if node.selectStmt is not None:
            self.statement(node.selectStmt, inner)
        self.returning(node.returningClause, table, inner)
        return []

    def update(self, node: Any, scope: _Scope) -> list[str]:
        inner = self.with_clause(node.withClause, scope)
        table = self.add_table(inner, node.relation)
        for item in node.fromClause or ():
            self.from_item(item, inner)
        for target in node.targetList or ():
            self.uses.append(ColumnUse(table, target.name.lower(), "update"))
            self.expressions(target.val, inner)
        self.expressions(node.whereClause, inner)
        self.returning(node.returningClause, table, inner)
        return []

    def returning(self, clause: Any, table: str, scope: _Scope) -> None:
        targets = getattr(clause, "exprs", None) or ()
        if targets and table not in scope.sources:
            scope.sources[table] = _Source(table, self.schema.get(table))
        for target in targets:
            self.expressions(target.val, scope)

    def add_table(self, scope: _Scope, relation: Any) -> str:
        table = str(relation.relname).lower()
        alias = relation.alias.aliasname if relation.alias else table
        scope.sources[alias] = _Source(table, self.schema.get(table))
        return table

    def from_item(self, item: Any, scope: _Scope) -> None:
        if isinstance(item, ast.RangeVar):
            relname = str(item.relname)
            cte = scope.cte(relname) if not item.schemaname else None
            if cte is not None:
                scope.sources[str(item.alias.aliasname) if item.alias else relname] = cte
            else:
                self.add_table(scope, item)
        elif isinstance(item, ast.JoinExpr):
            self.from_item(item.larg, scope)
            self.from_item(item.rarg, scope)
            self.expressions(item.quals, scope)
            for name in item.usingClause or ():
                self.reference([str(name.sval)], scope, "unqualified")
        elif isinstance(item, ast.RangeSubselect):
            names = self.statement(
                item.subquery, _Scope(parent=scope if item.lateral else None, ctes=_all_ctes(scope))
            )
            if item.alias is not None:
                if item.alias.colnames:
                    names = [n.sval for n in item.alias.colnames]
                scope.sources[str(item.alias.aliasname)] = _Source(None, names)
        else:
            self.expressions(item, scope)

    def expressions(self, node: Any, scope: _Scope) -> None:
        """Every column reference in an expression tree; subqueries get a child scope."""
        for found in _expression_nodes(node):
            if isinstance(found, ast.ColumnRef):
                fields = [
                    str(f.sval) if isinstance(f, ast.String) else "*" for f in found.fields or ()
                ]
                self.reference(fields, scope, "qualified" if len(fields) > 1 else "unqualified")
            elif isinstance(found, ast.SubLink):
                self.statement(found.subselect, _Scope(parent=scope))

    def reference(self, fields: list[str], scope: _Scope, how: str) -> None:
        column = fields[-1].lower()
        if len(fields) >= 2:
            source = _lookup_alias(scope, fields[-2])
            if source is None or source.table is None:
                return
            if column == "*":
                self.uses.extend(ColumnUse(source.table, c, "star") for c in source.columns or ())
            else:
                self.uses.append(ColumnUse(source.table, column, how))
            return
        if column == "*":
            for source in scope.sources.values():
                if source.table is not None:
                    self.uses.extend(
                        ColumnUse(source.table, c, "star") for c in source.columns or ()
                    )
            return
        owner = _owner_of(scope, column)
        if owner is not None and owner.table is not None:
            self.uses.append(ColumnUse(owner.table, column, how))


def _all_ctes(scope: _Scope) -> dict[str, _Source]:
    found: dict[str, _Source] = {}
    current: _Scope | None = scope
    while current is not None:
        for name, source in current.ctes.items():
            found.setdefault(name, source)
        current = current.parent
    return found


def _lookup_alias(scope: _Scope, alias: str) -> _Source | None:
    current: _Scope | None = scope
    while current is not None:
        if alias in current.sources:
            return current.sources[alias]
        current = current.parent
    return None


def _owner_of(scope: _Scope, column: str) -> _Source | None:
    """The innermost source that has `column`; a lone source of unknown shape owns it too."""
    current: _Scope | None = scope
    while current is not None:
        sources = list(current.sources.values())
        for source in sources:
            if source.columns is not None and column in source.columns:
                return source
        unknown = [s for s in sources if s.columns is None]
        if len(sources) == 1 and unknown:
            return unknown[0]
        current = current.parent
    return None


def _expression_nodes(node: Any) -> Iterator[Any]:
    """ColumnRefs and SubLinks in an expression, not descending into subqueries."""
    if node is None:
        return
    if isinstance(node, (list, tuple)):
        for item in node:
            yield from _expression_nodes(item)
        return
    if not isinstance(node, ast.Node):
        return
    if isinstance(node, (ast.ColumnRef, ast.SubLink)):
        yield node
        return
    for name in node.__slots__:  # type: ignore[attr-defined]  # pglast declares fields as slots
        yield from _expression_nodes(getattr(node, name, None))


def _nodes(node: Any) -> Iterator[Any]:
    if isinstance(node, (list, tuple)):
        for item in node:
            yield from _nodes(item)
    elif isinstance(node, ast.Node):
        yield node
        for name in node.__slots__:  # type: ignore[attr-defined]  # pglast declares fields as slots
            yield from _nodes(getattr(node, name, None))
