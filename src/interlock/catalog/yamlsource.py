"""YAML documents read with the line and column of every value, for precise errors.

PyYAML's composer (C-accelerated when libyaml is present) keeps a mark on each node;
we build plain Python values from the nodes and keep a side table of positions keyed
by the path of keys and indexes that leads to each value.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from interlock.errors import Position, SourceError

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - libyaml missing; the pure loader is slower
    _Loader = yaml.SafeLoader

Key = tuple[str | int, ...]


@dataclass
class Document:
    """One YAML document: its value, where it came from, and the position of each part."""

    file: str
    value: Any
    positions: dict[Key, Position] = field(default_factory=dict)

    def position(self, *key: str | int) -> Position:
        """The position of the value at `key`, or of its nearest enclosing value."""
        path: Key = tuple(key)
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, Position(line=1, column=1))

    def error(self, message: str, *key: str | int) -> SourceError:
        return SourceError(self.file, self.position(*key), message)


def load_documents(path: Path, display: str | None = None) -> Iterator[Document]:
    """Yield each document of a (possibly multi-document) YAML file with positions."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError(name, None, f"cannot read file: {error}") from error
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            positions: dict[Key, Position] = {}
            value = _build(loader, node, (), positions)
            yield Document(name, value, positions)
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(name, text, error) from error
    finally:
        loader.dispose()


# What PyYAML was reading when it failed, for the errors whose cause is where that began: a
# quote or bracket never closed is found only at the end of the file, far from the mistake.
_STARTED = {
    "while scanning a quoted scalar": "quoted string",
    "while parsing a flow sequence": "'['",
    "while parsing a flow mapping": "'{'",
    "while scanning a simple key": "key",
    "while scanning a block scalar": "block scalar",
}


def _syntax_error(file: str, text: str, error: yaml.MarkedYAMLError) -> SourceError:
    """The YAML error at the place its problem starts, saying where PyYAML noticed it."""
    problem, found, started = error.problem or str(error), error.problem_mark, error.context_mark
    construct = _STARTED.get(error.context or "")
    if construct is None or started is None or found is None:
        mark = found or started
        where = Position(mark.line + 1, mark.column + 1) if mark else None
        return SourceError(file, where, f"invalid YAML: {problem}")
    lines = text.splitlines()
    end = (len(lines), 0) if text.endswith("\n") or not lines else (len(lines) - 1, len(lines[-1]))
    if "end of stream" in problem or (found.line, found.column) >= end:
        detail = f"unclosed {construct} (started here; the file ended at line {len(lines)})"
    else:
        detail = (
            f"{problem} at line {found.line + 1}, column {found.column + 1} "
            f"(in the {construct} that starts here)"
        )
    return SourceError(
        file, Position(started.line + 1, started.column + 1), f"invalid YAML: {detail}"
    )


def _build(
    loader: yaml.SafeLoader, node: yaml.Node, key: Key, positions: dict[Key, Position]
) -> Any:
    positions[key] = Position(node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            name = str(loader.construct_object(key_node))
            result[name] = _build(loader, value_node, (*key, name), positions)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(loader, item, (*key, index), positions) for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)
