"""PostgreSQL parse trees read lazily from libpg_query's JSON, with pglast's names and values.

pglast builds a Python object for every node of every statement (~35 µs a statement), while
lint reads a handful of fields of a few statements. Here the parser's JSON becomes dicts
(orjson, ~3 µs a statement) and a node turns a field into pglast's value only when a rule reads
it: the same attribute names, enums, tuples, defaults and character offsets as `pglast.ast`,
checked node for node against pglast by the tests. Node classes come from `nodes`:
`isinstance(node, nodes.AlterTableStmt)`.

One difference: the JSON leaves out a text field that is empty, so `COMMENT ... IS ''` or
`LOCATION ''` read as None where pglast has ''. (String constants keep their ''.) Across the
41,268 statements of PostgreSQL's regression tests that pglast parses, those 5 are the only
ones that differ.
"""

from __future__ import annotations

import gc
import json
import sys
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from pglast import ast as pglast_ast
from pglast import enums, parser

ParseError = parser.ParseError

_INTEGERS = (
    "int", "int16", "int32", "long", "Index", "AttrNumber", "SubTransactionId", "bits32",
    "RelFileNumber", "AclMode", "Oid", "uint32", "uint64",
)  # fmt: skip
_SCALAR_DEFAULTS: dict[str, Any] = {
    "char*": None,
    "bool": False,
    "char": "\x00",
    "Cost": 0.0,
    "Cardinality": 0.0,
    **dict.fromkeys(_INTEGERS, 0),
}

# A_Const's value: the JSON key of each constant kind, and pglast's node class for it
_CONSTANTS = {
    "ival": "Integer",
    "fval": "Float",
    "boolval": "Boolean",
    "sval": "String",
    "bsval": "BitString",
}

Reader = Callable[["SqlNode"], Any]


class _Offsets:
    """Byte offsets in the UTF-8 text to character offsets, as pglast reports them."""

    def __init__(self, sql: str) -> None:
        self._starts = [0, *accumulate(len(c.encode()) for c in sql)]

    def __call__(self, offset: int) -> int:
        return bisect_right(self._starts, offset) - 1


class SqlNode:
    """A parse-tree node; each field is read from the parser's JSON on first access."""

    __slots__ = ("__dict__", "_offsets", "_raw")  # __dict__ keeps the fields already read
    _field_names: ClassVar[tuple[str, ...]] = ()
    _child_fields: ClassVar[tuple[str, ...]] = ()  # the fields that may hold nodes

    def __init__(self, raw: dict[str, Any], offsets: _Offsets | None) -> None:
        self._raw = raw
        self._offsets = offsets

    if TYPE_CHECKING:  # fields are made per node class from pglast's: any name may be read

        def __getattr__(self, name: str) -> Any: ...

    def __repr__(self) -> str:
        shown = (f"{f}={getattr(self, f)!r}" for f in self._field_names if f != "location")
        return f"<{type(self).__name__} {' '.join(shown)}>"

    def location_of(self, offset: int) -> int | None:
        """The character offset of a byte offset; None for the parser's "unknown" (-1)."""
        if offset < 0:
            return None
        return self._offsets(offset) if self._offsets is not None else offset


class _Field:
    """A field of a node class: read on first access, then found in the instance's __dict__.

    A non-data descriptor, like functools.cached_property (which takes a lock in 3.11).
    """

    __slots__ = ("name", "read")

    def __init__(self, name: str, read: Reader) -> None:
        self.name = name
        self.read = read

    def __get__(self, instance: SqlNode | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = self.read(instance)
        instance.__dict__[self.name] = value
        return value


class _NodeClasses:
    """`nodes.X` is the `SqlNode` class for pglast's `ast.X`, made on first use."""

    def __getattr__(self, name: str) -> type[SqlNode]:
        made = _make_class(name)
        setattr(self, name, made)  # later lookups are plain attribute reads
        return made


nodes = _NodeClasses()


def node(value: dict[str, Any], offsets: _Offsets | None = None) -> Any:
    """The node for a JSON `{"Type": {...}}` value; a `List` becomes a tuple, as in pglast.

    `{}` is a NULL element of a list (`SELECT DISTINCT`, `DROP OPERATOR ~ (none, bit)`): None.
    """
    for name, body in value.items():
        if name == "List":
            return tuple(node(item, offsets) for item in body.get("items", ()))
        return getattr(nodes, name)(body, offsets)
    return None


def _make_class(name: str) -> type[SqlNode]:
    original = getattr(pglast_ast, name, None)
    slots = getattr(original, "__slots__", None)
    if not isinstance(slots, dict):
        raise AttributeError(f"pglast has no parse-tree node {name!r}")
    readers = {field: _reader(field, info.c_type) for field, info in slots.items()}
    if name == "A_Const":
        readers["val"] = _constant_value
    namespace: dict[str, Any] = {f: _Field(f, read) for f, read in readers.items()}
    children = tuple(f for f, info in slots.items() if _holds_nodes(info.c_type))
    return type(
        name,
        (SqlNode,),
        {**namespace, "__slots__": (), "_field_names": tuple(slots), "_child_fields": children},
    )


def _holds_nodes(c_type: str) -> bool:
    """Lists, generic node pointers, and typed ones (RangeVar*, A_Const's ValUnion...)."""
    return c_type in ("List*", "Node*", "Expr*") or hasattr(pglast_ast, c_type.rstrip("*"))


def _reader(field: str, c_type: str) -> Reader:
    key = field.rstrip("_")  # pglast renames Python keywords: def -> def_
    if c_type in _SCALAR_DEFAULTS:
        default = _SCALAR_DEFAULTS[c_type]  # the JSON leaves out zero, false and null
        return lambda n: n._raw.get(key, default)
    if c_type == "ParseLoc":
        return lambda n: n.location_of(n._raw.get(key, 0))
    if c_type == "List*":
        return lambda n: (
            tuple(node(item, n._offsets) for item in n._raw[key]) if key in n._raw else None
        )
    if c_type in ("List*", "Node*", "Expr*"):
        return lambda n: node(n._raw[key], n._offsets) if key in n._raw else None
    enum = getattr(enums, c_type, None)
    if enum is not None:
        members = {member.name: member for member in enum}
        first = next(iter(enum))
        return lambda n: members[n._raw[key]] if key in n._raw else first
    struct = c_type.rstrip("*")
    if hasattr(pglast_ast, struct):  # a typed pointer: the JSON has the struct's fields bare
        return lambda n: getattr(nodes, struct)(n._raw[key], n._offsets) if key in n._raw else None
    return lambda n: n._raw.get(key)  # planner-only types (Bitmapset*): as the JSON has them


def _constant_value(n: SqlNode) -> Any:
    if n._raw.get("isnull"):
        return None
    for key, name in _CONSTANTS.items():
        if key in n._raw:
            return getattr(nodes, name)(n._raw[key], n._offsets)
    return None


@dataclass(slots=True)  # not frozen: one per statement, and frozen costs 4x
class ParsedStatement:
    """One top-level statement: its node and where its text is (character offsets)."""

    node: Any
    location: int
    length: int | None  # None: to the end of the text


def parse_statements(sql: str) -> list[ParsedStatement]:
    """Parse `sql` with PostgreSQL's parser; raises `ParseError` (message, offset) on bad SQL."""
    tree = _loads(parser.parse_sql_json(sql))
    offsets = None if sql.isascii() else _Offsets(sql)
    found = []
    for raw in tree.get("stmts", ()):
        location = raw.get("stmt_location", 0)
        length = raw.get("stmt_len")
        if offsets is not None:
            end = offsets(location + length) if length else None
            location = offsets(location)
            length = end - location if end is not None else None
        found.append(ParsedStatement(node(raw["stmt"], offsets), location, length))
    return found


def _loads(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # nested deeper than orjson's 1,024 levels: rare, slower
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 20 * text.count("{")))
        try:
            return json.loads(text)
        finally:
            sys.setrecursionlimit(limit)


def parse_trees(sql: str, kinds: Collection[str]) -> list[dict[str, Any]]:
    """Each statement of `sql` of these kinds as the parser's JSON, `{"CreateStmt": {...}}`.

    For a pass that reads a few fields of some statements (the schema replay): no nodes are
    made, and the JSON of the other statements is not even decoded. Raises `ParseError` as
    `parse_statements` does.
    """
    # A RawStmt, the parser's top-level statement, is the only node with a "stmt" key, and a
    # quote inside a JSON string is escaped: the JSON splits into statements at '{"stmt":'.
    # Each piece is '{"Kind":{...}}' with RawStmt's other fields, then "," or, last, "]}".
    pieces = parser.parse_sql_json(sql).split(_STATEMENT)
    wanted = tuple(f'{{"{kind}":' for kind in kinds)
    last = len(pieces) - 1
    return [
        _loads(_STATEMENT + piece[: -1 if index < last else -2])["stmt"]
        for index, piece in enumerate(pieces)
        if index and piece.startswith(wanted)
    ]


_STATEMENT = '{"stmt":'


def json_fields(node: SqlNode) -> dict[str, Any]:
    """A node's fields as the parser's JSON has them.

    libpg_query's names (`def`, not pglast's `def_`), enums by name, typed pointers (a
    `RangeVar*`) as bare fields, other nodes as `{"Type": {...}}`; zero, false, null and empty
    values are left out.
    """
    return node._raw


def walk(start: Any) -> Iterator[Any]:
    """Every node under `start`, itself included; only fields that hold nodes are read."""
    stack = [start]
    while stack:
        current = stack.pop()
        if isinstance(current, tuple):
            stack.extend(current)
        elif isinstance(current, SqlNode):
            yield current
            stack.extend(getattr(current, f) for f in current._child_fields)


@contextmanager
def bulk_parsing() -> Iterator[None]:
    """Pause the cyclic garbage collector while many trees are built and kept.

    Parse trees hold no reference cycles, yet building tens of thousands of dicts triggers
    collection after collection over everything already built: 4x the parse time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
